/** The `snapshot` engine against the real external-snapshotter CRDs (docs/operations.md#snapshot); the test plays the CSI snapshotter. */
import { afterEach, describe, expect, test } from "bun:test";
import { OPERATION } from "../../../../src/api/groups";
import { PERSISTENT_VOLUME_CLAIM, VOLUME_SNAPSHOT, VOLUME_SNAPSHOT_CLASS } from "../../../../src/engines/common/resources";
import type { KubeClient } from "../../../../src/kube/client";
import type { KubeObject } from "../../../../src/kube/types";
import { eventually } from "../../../support/eventually";
import { useNamespace } from "../../../support/namespace";
import { conditionTable, createOperation, createTarget, getOperation, getOptional, waitForPhase } from "../../../support/operation";
import { actAsEngine, childrenOf } from "./act";
import { registerLifecycle, useScenarioState, type EngineScenario } from "./scenarios";

const ns = useNamespace({ slug: "engine-snapshot" });
const PVCS = ["data", "logs"];
const snapshotNames = (operation: string) => PVCS.map((pvc) => `${operation}-${pvc}`);

async function createPvc(client: KubeClient, name: string, labels: Record<string, string>): Promise<void> {
  await client.create(PERSISTENT_VOLUME_CLAIM, {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: ns.name, labels },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
  });
  // Admission adds kubernetes.io/pvc-protection; on this loaded shared cluster its controller releases it too late for teardown.
  await client.patch(PERSISTENT_VOLUME_CLAIM, name, { type: "merge", body: { metadata: { finalizers: null } } }, { namespace: ns.name });
}

async function playSnapshotter(client: KubeClient, operation: string, status: (name: string) => Record<string, unknown>): Promise<void> {
  for (const name of snapshotNames(operation)) await actAsEngine(client, VOLUME_SNAPSHOT, ns.name, name, status(name));
}

const ready = (name: string) => ({ readyToUse: true, boundVolumeSnapshotContentName: `content-${name}`, creationTime: "2026-11-22T08:00:00Z", restoreSize: "1Gi" });

const scenario: EngineScenario = {
  async prepare(client) {
    await createTarget(client, ns.name, "app", { managed: true, capabilities: { backup: "velero, snapshot" } });
    for (const pvc of PVCS) await createPvc(client, pvc, { "app.kubernetes.io/instance": "app" });
    await createPvc(client, "unrelated", { "app.kubernetes.io/instance": "other" });
  },
  spec: (extra = {}) => ({
    targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app" },
    type: "Backup",
    engine: "snapshot",
    parameters: { ttl: "720h" },
    ...extra,
  }),
  harnessOptions: () => ({}),
  child: (operation) => ({ type: VOLUME_SNAPSHOT, namespace: ns.name, name: snapshotNames(operation)[0]! }),
  succeed: (client, op) => playSnapshotter(client, op.metadata.name, ready),
  fail: (client, op) => playSnapshotter(client, op.metadata.name, () => ({ readyToUse: false, error: { message: "snapshot controller: driver timeout", time: "2026-11-22T08:00:00Z" } })),
  reasons: { progress: "VolumeSnapshotInProgress", success: "VolumeSnapshotReadyToUse", failure: "VolumeSnapshotFailed" },
  cancelled: async (client, op) => (await childrenOf(client, VOLUME_SNAPSHOT, ns.name, op.metadata.uid!)).length === 0,
  failedChildKept: async (client, op) => {
    const kept = await childrenOf(client, VOLUME_SNAPSHOT, ns.name, op.metadata.uid!);
    const expiry = (s: KubeObject) => Date.parse(s.metadata.annotations?.["ops.vworkspace.io/expires-at"] ?? "");
    // Failure replaces the 720h TTL with --child-ttl (24 h by default).
    return kept.length === 2 && kept.every((s) => expiry(s) < Date.now() + 25 * 3_600_000);
  },
  removeChildren: async (client, op) => {
    for (const name of snapshotNames(op.metadata.name)) await client.delete(VOLUME_SNAPSHOT, name, { namespace: ns.name });
  },
};

const state = useScenarioState(() => ns.name, () => scenario);

let snapshotClass: string | undefined;
afterEach(async () => {
  if (snapshotClass) await state.cluster.client.delete(VOLUME_SNAPSHOT_CLASS, snapshotClass).catch(() => undefined);
  snapshotClass = undefined;
});

describe("snapshot engine: the children", () => {
  test("two labelled PVCs → two VolumeSnapshots of the exact shape; both ready → Succeeded with count 2", async () => {
    const { client } = state.cluster;
    snapshotClass = `${ns.name}-csi`;
    await client.create(VOLUME_SNAPSHOT_CLASS, { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshotClass", metadata: { name: snapshotClass }, driver: "hostpath.csi.k8s.io", deletionPolicy: "Delete" });
    await scenario.prepare(client);
    await state.start();
    const op = await createOperation(client, ns.name, "snap", scenario.spec({ parameters: { ttl: "24h", volumeSnapshotClassName: snapshotClass } }));
    const running = await waitForPhase(client, ns.name, "snap", "Running");
    const snapshots = (await childrenOf(client, VOLUME_SNAPSHOT, ns.name, op.metadata.uid!)) as Array<KubeObject & { spec: unknown }>;
    expect(snapshots.map((s) => s.metadata.name).sort()).toEqual(snapshotNames("snap"));
    const data = snapshots.find((s) => s.metadata.name === "snap-data")!;
    expect(data.metadata.labels).toEqual({
      "app.vworkspace.io/managed-by": "vworkspace-operator",
      "ops.vworkspace.io/operation": op.metadata.uid!,
      "app.vworkspace.io/application-instance": "app",
      "ops.vworkspace.io/source-namespace": ns.name,
      "ops.vworkspace.io/source-pvc": "data",
    });
    expect(data.metadata.ownerReferences).toBeUndefined();
    const expiresAt = Date.parse(data.metadata.annotations?.["ops.vworkspace.io/expires-at"] ?? "");
    expect(expiresAt - Date.parse(running.status!.startedAt!)).toBeGreaterThan(23 * 3_600_000);
    expect(data.spec).toEqual({ source: { persistentVolumeClaimName: "data" }, volumeSnapshotClassName: snapshotClass });
    expect(running.status?.engineRef).toEqual({ kind: "VolumeSnapshot", name: "snap-data", namespace: ns.name });
    expect(running.status?.outputs).toEqual({ volumeSnapshots: "snap-data,snap-logs", volumeSnapshotCount: "2", pvcs: "data,logs" });

    await actAsEngine(client, VOLUME_SNAPSHOT, ns.name, "snap-data", ready("snap-data"));
    await eventually(async () => (await getOperation(client, ns.name, "snap"))?.status?.conditions?.find((c) => c.type === "Running")?.message === "1/2 VolumeSnapshots ready to use", { what: "half ready" });
    await actAsEngine(client, VOLUME_SNAPSHOT, ns.name, "snap-logs", ready("snap-logs"));
    const done = await waitForPhase(client, ns.name, "snap", "Succeeded");
    expect(conditionTable(done).Succeeded).toBe("True/VolumeSnapshotReadyToUse");
    expect(done.status?.outputs?.volumeSnapshotCount).toBe("2");
    // The snapshots are the backup: deleting the Operation keeps them.
    await client.delete(OPERATION, "snap", { namespace: ns.name });
    await eventually(async () => (await getOperation(client, ns.name, "snap")) === undefined, { what: "operation deleted" });
    expect(await childrenOf(client, VOLUME_SNAPSHOT, ns.name, op.metadata.uid!)).toHaveLength(2);
  });

  test("no PVC matches the selector → Failed/VolumeSnapshotFailed before any child exists", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    await createOperation(client, ns.name, "empty", scenario.spec({ parameters: { pvcLabelSelector: { tier: "none" } } }));
    const failed = await waitForPhase(client, ns.name, "empty", "Failed");
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")).toMatchObject({ status: "True", reason: "VolumeSnapshotFailed", message: "no PersistentVolumeClaim matches tier=none" });
    expect((await client.list(VOLUME_SNAPSHOT, { namespace: ns.name })).items).toEqual([]);
  });

  test("a named VolumeSnapshotClass that does not exist blocks with DependencyMissing", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    await createOperation(client, ns.name, "classless", scenario.spec({ parameters: { volumeSnapshotClassName: `${ns.name}-absent` } }));
    const blocked = await eventually(async () => {
      const op = await getOperation(client, ns.name, "classless");
      return conditionTable(op).Blocked === "True/DependencyMissing" ? op : undefined;
    }, { what: "Blocked=True/DependencyMissing" });
    expect(blocked.status?.phase).toBe("Pending");
  });

  test("the sweep deletes expired snapshots only", async () => {
    const { client } = state.cluster;
    const labelled = (name: string, expiresAt: string) => ({
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: { name, namespace: ns.name, labels: { "ops.vworkspace.io/operation": "some-uid" }, annotations: { "ops.vworkspace.io/expires-at": expiresAt } },
      spec: { source: { persistentVolumeClaimName: "data" } },
    });
    await client.create(VOLUME_SNAPSHOT, labelled("expired", new Date(Date.now() - 60_000).toISOString()));
    await client.create(VOLUME_SNAPSHOT, labelled("current", new Date(Date.now() + 3_600_000).toISOString()));
    await state.start(); // the Operation controller sweeps once at start, then hourly
    await eventually(async () => (await getOptional(client, VOLUME_SNAPSHOT, "expired", ns.name)) === undefined, { what: "expired snapshot swept" });
    expect(await getOptional(client, VOLUME_SNAPSHOT, "current", ns.name)).toBeDefined();
  });
});

describe("snapshot engine: lifecycle", () => {
  registerLifecycle(() => ns.name, () => scenario, state);
});
