import { describe, expect, test } from "bun:test";
import type { Operation } from "../../../src/api/operation";
import { expiredSnapshots, expiredVolSyncChildren } from "../../../src/engines/sweep/select";
import type { KubeObject } from "../../../src/kube/types";

const NOW = Date.parse("2026-11-22T08:00:00Z");
const DAY = 86_400_000;

function snapshot(name: string, expiresAt?: string, deleting = false): KubeObject {
  return {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name, ...(expiresAt ? { annotations: { "ops.vworkspace.io/expires-at": expiresAt } } : {}), ...(deleting ? { deletionTimestamp: "2026-11-22T07:00:00Z" } : {}) },
  };
}

function operation(phase: NonNullable<Operation["status"]>["phase"], finishedAt?: string): Operation {
  return {
    apiVersion: "ops.vworkspace.io/v1alpha1",
    kind: "Operation",
    metadata: { name: "op" },
    spec: { targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app" }, type: "Backup", engine: "volsync" },
    status: { phase, ...(finishedAt ? { finishedAt } : {}) },
  };
}

describe("the child sweep", () => {
  test("deletes only snapshots whose expiry passed", () => {
    const all = [snapshot("old", "2026-11-22T07:59:59Z"), snapshot("new", "2026-11-22T08:00:01Z"), snapshot("forever"), snapshot("going", "2026-11-01T00:00:00Z", true)];
    expect(expiredSnapshots(all, NOW).map((s) => s.metadata.name)).toEqual(["old"]);
  });

  test("deletes VolSync objects only child-ttl after their Operation finished", () => {
    const child = (name: string): KubeObject => ({ apiVersion: "volsync.backube/v1alpha1", kind: "ReplicationSource", metadata: { name } });
    const owners: Record<string, Operation | undefined> = {
      done: operation("Succeeded", "2026-11-21T07:00:00Z"),
      recent: operation("Failed", "2026-11-21T09:00:00Z"),
      running: operation("Running"),
      orphan: undefined,
    };
    const expired = expiredVolSyncChildren(Object.keys(owners).map(child), (c) => owners[c.metadata.name], NOW, DAY);
    expect(expired.map((c) => c.metadata.name)).toEqual(["done"]);
  });
});
