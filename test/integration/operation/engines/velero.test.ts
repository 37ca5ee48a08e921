/** The `velero` engine against the real Velero CRDs (docs/operations.md#velero); the test plays Velero. */
import { afterEach, describe, expect, test } from "bun:test";
import { OPERATION } from "../../../../src/api/groups";
import { VELERO_BACKUP, VELERO_RESTORE, VOLUME_SNAPSHOT_CLASS } from "../../../../src/engines/common/resources";
import type { KubeClient } from "../../../../src/kube/client";
import type { KubeObject } from "../../../../src/kube/types";
import { issueClaim } from "../../../../src/operations/approval-claim";
import { eventually } from "../../../support/eventually";
import { useNamespace } from "../../../support/namespace";
import { conditionTable, createOperation, createTarget, getOperation, getOptional, waitForPhase } from "../../../support/operation";
import { actAsEngine } from "./act";
import { registerLifecycle, useScenarioState, type EngineScenario } from "./scenarios";

const ns = useNamespace({ slug: "engine-velero" });
const velero = useNamespace({ slug: "velero", gated: false });
const other = useNamespace({ slug: "engine-velero-b" });
const SECRET = "test-approval-secret";
const backupName = (operation: string, namespace = ns.name) => `${namespace}-${operation}`;

async function playVelero(client: KubeClient, name: string, status: Record<string, unknown>, type = VELERO_BACKUP): Promise<void> {
  await actAsEngine(client, type, velero.name, name, status);
}

const scenario: EngineScenario = {
  prepare: async (client) => void (await createTarget(client, ns.name, "app", { capabilities: { backup: "velero", restore: "velero" } })),
  spec: (extra = {}) => ({
    targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app" },
    type: "Backup",
    engine: "velero",
    parameters: { ttl: "720h", includedResources: ["configmaps"] },
    ...extra,
  }),
  harnessOptions: () => ({ operations: { veleroNamespace: velero.name, approvalClaimSecret: SECRET }, config: { watchNamespaces: [ns.name, velero.name, other.name] } }),
  child: (operation) => ({ type: VELERO_BACKUP, namespace: velero.name, name: backupName(operation) }),
  succeed: (client, op) => playVelero(client, backupName(op.metadata.name), { phase: "Completed", startTimestamp: "2026-11-22T08:00:00Z", completionTimestamp: "2026-11-22T08:01:00Z" }),
  fail: (client, op) => playVelero(client, backupName(op.metadata.name), { phase: "Failed", failureReason: "object storage unreachable" }),
  reasons: { progress: "VeleroBackupInProgress", success: "VeleroBackupCompleted", failure: "VeleroBackupFailed" },
  cancelled: async (client, op) => (await getOptional(client, VELERO_BACKUP, backupName(op.metadata.name), velero.name)) === undefined,
  failedChildKept: async (client, op) => (await getOptional(client, VELERO_BACKUP, backupName(op.metadata.name), velero.name)) !== undefined,
  removeChildren: async (client, op) => void (await client.delete(VELERO_BACKUP, backupName(op.metadata.name), { namespace: velero.name })),
};

const state = useScenarioState(() => ns.name, () => scenario);

let snapshotClass: string | undefined;
afterEach(async () => {
  if (snapshotClass) await state.cluster.client.delete(VOLUME_SNAPSHOT_CLASS, snapshotClass).catch(() => undefined);
  snapshotClass = undefined;
});

async function started(name: string, spec = scenario.spec(), namespace = ns.name) {
  const { client } = state.cluster;
  const op = await createOperation(client, namespace, name, spec);
  const running = await waitForPhase(client, namespace, name, "Running");
  return { op, running };
}

describe("velero engine: the Backup", () => {
  test("exact shape: source labels, included namespace, TTL, CSI class annotation by driver, no ownerReference", async () => {
    const { client } = state.cluster;
    snapshotClass = `${ns.name}-csi`;
    await client.create(VOLUME_SNAPSHOT_CLASS, { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshotClass", metadata: { name: snapshotClass }, driver: "hostpath.csi.k8s.io", deletionPolicy: "Delete" });
    await scenario.prepare(client);
    await state.start();
    const { op, running } = await started("nightly", scenario.spec({ parameters: { retention: "240h", snapshotVolumes: true, csiSnapshotClassName: snapshotClass, excludedResources: ["secrets"] } }));
    const backup = (await client.get(VELERO_BACKUP, backupName("nightly"), { namespace: velero.name })) as KubeObject & { spec: Record<string, unknown> };
    expect(backup.metadata.labels).toEqual({
      "app.vworkspace.io/managed-by": "vworkspace-operator",
      "ops.vworkspace.io/operation": op.metadata.uid!,
      "app.vworkspace.io/application-instance": "app",
      "ops.vworkspace.io/source-namespace": ns.name,
    });
    expect(backup.metadata.annotations).toEqual({ "velero.io/csi-volumesnapshot-class_hostpath.csi.k8s.io": snapshotClass });
    expect(backup.metadata.ownerReferences).toBeUndefined();
    expect(backup.spec).toEqual({ includedNamespaces: [ns.name], storageLocation: "default", ttl: "240h", snapshotVolumes: true, excludedResources: ["secrets"] });
    expect(running.status?.engineRef).toEqual({ kind: "Backup", name: backupName("nightly"), namespace: velero.name });
    expect(running.status?.outputs).toMatchObject({ backupName: backupName("nightly"), veleroNamespace: velero.name, storageLocation: "default" });
  });

  test("the same Operation name in two namespaces gives two distinct Backups", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await createTarget(client, other.name, "app", { capabilities: { backup: "velero" } });
    await state.start();
    const a = await started("nightly");
    const b = await started("nightly", scenario.spec(), other.name);
    const backups = (await client.list(VELERO_BACKUP, { namespace: velero.name })).items;
    expect(backups.map((item) => item.metadata.name).sort()).toEqual([backupName("nightly"), backupName("nightly", other.name)].sort());
    const owners = Object.fromEntries(backups.map((item) => [item.metadata.name, item.metadata.labels?.["ops.vworkspace.io/operation"]]));
    expect(owners[backupName("nightly")]).toBe(a.op.metadata.uid);
    expect(owners[backupName("nightly", other.name)]).toBe(b.op.metadata.uid);
    // Cancelling one never touches the other's Backup.
    await client.patch(OPERATION, "nightly", { type: "merge", body: { metadata: { annotations: { "ops.vworkspace.io/cancel": "true" } } } }, { namespace: other.name });
    await waitForPhase(client, other.name, "nightly", "Cancelled");
    expect(await getOptional(client, VELERO_BACKUP, backupName("nightly"), velero.name)).toBeDefined();
    expect(await getOptional(client, VELERO_BACKUP, backupName("nightly", other.name), velero.name)).toBeUndefined();
    // The harness cleans up its own namespace only; the second one's Operation goes while the operator runs.
    await client.delete(OPERATION, "nightly", { namespace: other.name });
    await eventually(async () => (await getOperation(client, other.name, "nightly")) === undefined, { what: "second operation deleted" });
  });

  test("a Backup with another Operation's UID is a WorkloadOwnershipConflict and is never deleted", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await client.create(VELERO_BACKUP, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: backupName("taken"), namespace: velero.name, labels: { "ops.vworkspace.io/operation": "someone-else" } }, spec: {} });
    await state.start();
    await createOperation(client, ns.name, "taken", scenario.spec());
    const failed = await waitForPhase(client, ns.name, "taken", "Failed");
    expect(conditionTable(failed).Failed).toBe("True/WorkloadOwnershipConflict");
    await client.delete(OPERATION, "taken", { namespace: ns.name });
    await eventually(async () => (await getOperation(client, ns.name, "taken")) === undefined, { what: "operation deleted" });
    const foreign = await getOptional(client, VELERO_BACKUP, backupName("taken"), velero.name);
    expect(foreign?.metadata.labels?.["ops.vworkspace.io/operation"]).toBe("someone-else");
  });

  test("PartiallyFailed: Succeeded with Degraded=True/PartialFailure and the counts as outputs", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    await started("partial");
    await playVelero(client, backupName("partial"), { phase: "InProgress", progress: { totalItems: 10, itemsBackedUp: 4 } });
    await eventually(async () => (await getOperation(client, ns.name, "partial"))?.status?.conditions?.find((c) => c.type === "Running")?.message === "Velero phase InProgress, 4/10 items", { what: "progress message" });
    await playVelero(client, backupName("partial"), { phase: "PartiallyFailed", errors: 2, warnings: 5 });
    const done = await waitForPhase(client, ns.name, "partial", "Succeeded");
    expect(conditionTable(done)).toMatchObject({ Succeeded: "True/VeleroBackupCompleted", Degraded: "True/PartialFailure" });
    expect(done.status?.outputs).toMatchObject({ errors: "2", warnings: "5" });
  });

  test.each([
    [{ phase: "FailedValidation", validationErrors: ["invalid storage location"] }, "FailedValidation: invalid storage location"],
    [{ phase: "Deleting" }, "Velero backup is being deleted"],
  ])("%p fails with VeleroBackupFailed", async (status, message) => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    await started("rejected");
    await playVelero(client, backupName("rejected"), status);
    const failed = await waitForPhase(client, ns.name, "rejected", "Failed");
    expect(conditionTable(failed).Failed).toBe("True/VeleroBackupFailed");
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")?.message).toContain(message);
  });

  test("deleting a Succeeded backup Operation leaves the Velero Backup in place", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    await started("keep");
    await playVelero(client, backupName("keep"), { phase: "Completed" });
    await waitForPhase(client, ns.name, "keep", "Succeeded");
    await client.delete(OPERATION, "keep", { namespace: ns.name });
    await eventually(async () => (await getOperation(client, ns.name, "keep")) === undefined, { what: "operation deleted" });
    expect(await getOptional(client, VELERO_BACKUP, backupName("keep"), velero.name)).toBeDefined();
  });
});

describe("velero engine: the Restore", () => {
  test("an approved Restore of an owned backup creates the Restore and completes", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await client.create(VELERO_BACKUP, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: "source-backup", namespace: velero.name, labels: { "ops.vworkspace.io/source-namespace": ns.name } }, spec: {} });
    await state.start();
    const claim = issueClaim({ at: new Date().toISOString(), by: "alice", exp: Math.floor(Date.now() / 1000) + 3600, op: "restore", rid: 7, v: 1 }, SECRET);
    const spec = scenario.spec({ type: "Restore", parameters: { backupName: "source-backup", restorePVs: true, existingResourcePolicy: "update" }, approvals: { claim } });
    const { op, running } = await started("restore", spec);
    const restore = (await client.get(VELERO_RESTORE, backupName("restore"), { namespace: velero.name })) as KubeObject & { spec: Record<string, unknown> };
    expect(restore.metadata.labels?.["ops.vworkspace.io/operation"]).toBe(op.metadata.uid);
    expect(restore.metadata.labels?.["ops.vworkspace.io/source-namespace"]).toBe(ns.name);
    expect(restore.spec).toEqual({ backupName: "source-backup", includedNamespaces: [ns.name], restorePVs: true, existingResourcePolicy: "update" });
    expect(running.status?.engineRef).toEqual({ kind: "Restore", name: backupName("restore"), namespace: velero.name });
    expect(conditionTable(running).Running).toBe("True/VeleroRestoreInProgress");
    await playVelero(client, backupName("restore"), { phase: "Completed", warnings: 1 }, VELERO_RESTORE);
    const done = await waitForPhase(client, ns.name, "restore", "Succeeded");
    expect(conditionTable(done).Succeeded).toBe("True/VeleroRestoreCompleted");
    expect(done.status?.outputs).toEqual({ restoreName: backupName("restore"), backupName: "source-backup", errors: "0", warnings: "1" });
  });
});

describe("velero engine: lifecycle", () => {
  registerLifecycle(() => ns.name, () => scenario, state);
});
