/** The `volsync` engine against the real VolSync CRDs (docs/operations.md#volsync); the test plays the VolSync mover. */
import { describe, expect, test } from "bun:test";
import { REPLICATION_DESTINATION, REPLICATION_SOURCE } from "../../../../src/engines/common/resources";
import type { KubeClient } from "../../../../src/kube/client";
import type { KubeObject } from "../../../../src/kube/types";
import { issueClaim } from "../../../../src/operations/approval-claim";
import { useNamespace } from "../../../support/namespace";
import { conditionTable, createOperation, createTarget, getOptional, waitForPhase } from "../../../support/operation";
import { actAsEngine } from "./act";
import { registerLifecycle, useScenarioState, type EngineScenario } from "./scenarios";

const ns = useNamespace({ slug: "engine-volsync" });
const SECRET = "volsync-approval-secret";

type Spec = KubeObject & { spec: Record<string, unknown> & { paused?: boolean } };

async function paused(client: KubeClient, name: string): Promise<boolean> {
  const child = (await getOptional(client, REPLICATION_SOURCE, name, ns.name)) as Spec | undefined;
  return child?.spec.paused === true;
}

const scenario: EngineScenario = {
  prepare: async (client) => void (await createTarget(client, ns.name, "app", { managed: true, capabilities: { backup: "volsync", restore: "volsync" } })),
  spec: (extra = {}) => ({
    targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app" },
    type: "Backup",
    engine: "volsync",
    parameters: { pvcName: "data", repository: "restic-config", pruneIntervalDays: 7, retain: { daily: 7, weekly: 4 } },
    ...extra,
  }),
  harnessOptions: () => ({ operations: { approvalClaimSecret: SECRET } }),
  child: (operation) => ({ type: REPLICATION_SOURCE, namespace: ns.name, name: operation }),
  succeed: async (client, op) =>
    void (await actAsEngine(client, REPLICATION_SOURCE, ns.name, op.metadata.name, {
      lastManualSync: op.metadata.uid,
      lastSyncTime: "2026-11-22T08:05:00Z",
      lastSyncDuration: "1m0s",
      latestMoverStatus: { result: "Successful", logs: "snapshot 1a2b3c saved" },
      conditions: [{ type: "Synchronizing", status: "False", reason: "WaitingForManual", message: "Synchronization complete", lastTransitionTime: "2026-11-22T08:05:00Z" }],
    })),
  fail: async (client, op) =>
    void (await actAsEngine(client, REPLICATION_SOURCE, ns.name, op.metadata.name, {
      latestMoverStatus: { result: "Failed", logs: "Fatal: unable to open repository" },
      conditions: [{ type: "Synchronizing", status: "False", reason: "Error", message: "mover failed", lastTransitionTime: "2026-11-22T08:05:00Z" }],
    })),
  reasons: { progress: "VolSyncInProgress", success: "VolSyncCompleted", failure: "VolSyncFailed" },
  cancelled: (client, op) => paused(client, op.metadata.name),
  failedChildKept: (client, op) => paused(client, op.metadata.name),
  removeChildren: async (client, op) => void (await client.delete(REPLICATION_SOURCE, op.metadata.name, { namespace: ns.name })),
};

const state = useScenarioState(() => ns.name, () => scenario);

describe("volsync engine: the children", () => {
  test("Backup: a ReplicationSource with the manual trigger; lastManualSync equal to the UID succeeds", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    const op = await createOperation(client, ns.name, "vs-backup", scenario.spec());
    const running = await waitForPhase(client, ns.name, "vs-backup", "Running");
    const source = (await client.get(REPLICATION_SOURCE, "vs-backup", { namespace: ns.name })) as Spec;
    expect(source.metadata.labels).toEqual({
      "app.vworkspace.io/managed-by": "vworkspace-operator",
      "ops.vworkspace.io/operation": op.metadata.uid!,
      "app.vworkspace.io/application-instance": "app",
      "ops.vworkspace.io/source-namespace": ns.name,
    });
    expect(source.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Operation", name: "vs-backup", uid: op.metadata.uid });
    expect(source.spec).toEqual({
      sourcePVC: "data",
      trigger: { manual: op.metadata.uid! },
      restic: { repository: "restic-config", copyMethod: "Snapshot", pruneIntervalDays: 7, retain: { daily: 7, weekly: 4 } },
    });
    expect(running.status?.engineRef).toEqual({ kind: "ReplicationSource", name: "vs-backup", namespace: ns.name });
    // A sync of an earlier trigger is not this Operation's.
    await actAsEngine(client, REPLICATION_SOURCE, ns.name, "vs-backup", { lastManualSync: "an-older-trigger", latestMoverStatus: { result: "Successful" } });
    await scenario.succeed(client, op);
    const done = await waitForPhase(client, ns.name, "vs-backup", "Succeeded");
    expect(conditionTable(done).Succeeded).toBe("True/VolSyncCompleted");
    expect(done.status?.outputs).toEqual({ replicationSourceName: "vs-backup", pvcName: "data", lastSyncTime: "2026-11-22T08:05:00Z" });
  });

  test("Restore: an approved ReplicationDestination writing into the PVC", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    const claim = issueClaim({ at: new Date().toISOString(), by: "bob", exp: Math.floor(Date.now() / 1000) + 3600, op: "vs-restore", rid: 9, v: 1 }, SECRET);
    const spec = scenario.spec({ type: "Restore", parameters: { pvcName: "data", repository: "restic-config", restoreAsOf: "2026-11-21T00:00:00Z" }, approvals: { claim } });
    const op = await createOperation(client, ns.name, "vs-restore", spec);
    const running = await waitForPhase(client, ns.name, "vs-restore", "Running");
    const destination = (await client.get(REPLICATION_DESTINATION, "vs-restore", { namespace: ns.name })) as Spec;
    expect(destination.spec).toEqual({
      trigger: { manual: op.metadata.uid! },
      restic: { repository: "restic-config", destinationPVC: "data", copyMethod: "Direct", restoreAsOf: "2026-11-21T00:00:00Z" },
    });
    expect(running.status?.outputs).toEqual({ replicationDestinationName: "vs-restore", pvcName: "data" });
    await actAsEngine(client, REPLICATION_DESTINATION, ns.name, "vs-restore", {
      lastManualSync: op.metadata.uid,
      lastSyncTime: "2026-11-22T08:10:00Z",
      latestImage: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "restored" },
    });
    const done = await waitForPhase(client, ns.name, "vs-restore", "Succeeded");
    expect(conditionTable(done).Succeeded).toBe("True/VolSyncCompleted");
  });

  test("mover Failed → Failed with the mover's logs; the source is paused and kept", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    const op = await createOperation(client, ns.name, "vs-fail", scenario.spec());
    await waitForPhase(client, ns.name, "vs-fail", "Running");
    await scenario.fail(client, op);
    const failed = await waitForPhase(client, ns.name, "vs-fail", "Failed");
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")).toMatchObject({ status: "True", reason: "VolSyncFailed", message: "ReplicationSource vs-fail mover failed: Fatal: unable to open repository" });
    expect(await paused(client, "vs-fail")).toBe(true);
  });
});

describe("volsync engine: lifecycle", () => {
  registerLifecycle(() => ns.name, () => scenario, state);
});
