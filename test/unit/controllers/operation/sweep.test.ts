/** The retention sweep (docs/operations.md#retention-of-children, docs/operations.md#snapshot): expired snapshots and VolSync objects of long-finished Operations. */
import { describe, expect, test } from "bun:test";
import type { Operation } from "../../../../src/api/operation";
import { expiredChildren } from "../../../../src/controllers/operation/sweep";
import { REPLICATION_SOURCE } from "../../../../src/engines/common/resources";
import type { KubeObject } from "../../../../src/kube/types";

const NOW = Date.parse("2026-01-02T00:00:00Z");
const object = (name: string, labels: Record<string, string>, annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: "v1", kind: "X", metadata: { name, namespace: "ns", labels, annotations } });
const op = (phase: string | undefined, finishedAt?: string) => ({ metadata: { name: "o" }, status: { ...(phase ? { phase } : {}), ...(finishedAt ? { finishedAt } : {}) } }) as unknown as Operation;

describe("expiredChildren", () => {
  test("snapshots: only labelled ones whose expires-at has passed", () => {
    const actions = expiredChildren({
      snapshots: [
        object("old", { "ops.vworkspace.io/operation": "u" }, { "ops.vworkspace.io/expires-at": "2026-01-01T00:00:00Z" }),
        object("fresh", { "ops.vworkspace.io/operation": "u" }, { "ops.vworkspace.io/expires-at": "2026-01-03T00:00:00Z" }),
        object("kept", { "ops.vworkspace.io/operation": "u" }),
        object("foreign", {}, { "ops.vworkspace.io/expires-at": "2026-01-01T00:00:00Z" }),
      ],
      replications: [],
      operationByUid: () => undefined,
      now: NOW,
      childTtlSeconds: 86_400,
    });
    expect(actions.map((action) => action.name)).toEqual(["old"]);
  });

  test("VolSync objects: deleted once their Operation finished more than the child TTL ago", () => {
    const owners: Record<string, Operation> = {
      done: op("Failed", "2025-12-31T23:00:00Z"),
      recent: op("Succeeded", "2026-01-01T12:00:00Z"),
      running: op("Running"),
    };
    const actions = expiredChildren({
      snapshots: [],
      replications: ["done", "recent", "running", "orphan"].map((uid) => ({ type: REPLICATION_SOURCE, object: object(uid, { "ops.vworkspace.io/operation": uid }) })),
      operationByUid: (uid) => owners[uid],
      now: NOW,
      childTtlSeconds: 86_400,
    });
    expect(actions).toEqual([{ action: "delete", type: REPLICATION_SOURCE, namespace: "ns", name: "done" }]);
  });
});
