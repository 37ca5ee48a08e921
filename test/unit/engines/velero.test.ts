import { describe, expect, test } from "bun:test";
import { veleroEngine } from "../../../src/engines/velero/engine";
import { veleroProgress } from "../../../src/engines/velero/verdict";
import type { ChildReader } from "../../../src/engines/types";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { findTemplate } from "../../../src/operations/templates";
import { context, SOURCE_LABELS } from "./fixtures";

const BACKUP_REASONS = findTemplate("Backup", "velero")!.reasons;
const RESTORE_REASONS = findTemplate("Restore", "velero")!.reasons;
const signal = new AbortController().signal;

function reader(objects: Record<string, KubeObject>): ChildReader {
  return {
    get: async (type: ResourceType, _namespace: string | undefined, name: string) => objects[`${type.kind}/${name}`],
    list: async () => [],
  };
}

function backup(status: object): KubeObject {
  return { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: "team-a-nightly", namespace: "velero", labels: SOURCE_LABELS }, status };
}

describe("the velero Backup", () => {
  test("has the shape of docs/operations.md#velero, named after the Operation's namespace and name", async () => {
    const ctx = context("Backup", "velero", { storageLocation: "default", ttl: "24h", retention: "720h", snapshotVolumes: true, csiSnapshotClassName: "csi-fast", includedResources: ["configmaps"], excludedResources: ["secrets"] });
    const prepared = await veleroEngine.prepare(ctx, reader({ "Namespace/velero": { apiVersion: "v1", kind: "Namespace", metadata: { name: "velero" } }, "VolumeSnapshotClass/csi-fast": { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshotClass", metadata: { name: "csi-fast" }, driver: "hostpath.csi.k8s.io" } }), signal);
    expect(prepared).toEqual({ ready: true, facts: { snapshotClass: { name: "csi-fast", driver: "hostpath.csi.k8s.io" } } });
    if (!prepared.ready) throw new Error("not prepared");
    const [child] = veleroEngine.desiredChildren(ctx, prepared.facts);
    expect(child?.mode).toBe("create");
    expect(child?.object).toEqual({
      apiVersion: "velero.io/v1",
      kind: "Backup",
      metadata: {
        name: "team-a-nightly",
        namespace: "velero",
        labels: SOURCE_LABELS,
        annotations: { "velero.io/csi-volumesnapshot-class_hostpath.csi.k8s.io": "csi-fast" },
      },
      spec: {
        includedNamespaces: ["team-a"],
        storageLocation: "default",
        ttl: "720h",
        snapshotVolumes: true,
        includedResources: ["configmaps"],
        excludedResources: ["secrets"],
      },
    });
    expect(child?.object.metadata.ownerReferences).toBeUndefined();
    expect(veleroEngine.started(ctx, [child!.object])).toEqual({
      engineRef: { kind: "Backup", name: "team-a-nightly", namespace: "velero" },
      outputs: { backupName: "team-a-nightly", veleroNamespace: "velero", storageLocation: "default" },
    });
  });

  test("equal Operation names in two namespaces give distinct Backups; long names are shortened", () => {
    const a = context("Backup", "velero", {});
    const b = context("Backup", "velero", {});
    b.operation.metadata.namespace = "team-b";
    const nameOf = (ctx: typeof a) => veleroEngine.desiredChildren(ctx, {})[0]!.object.metadata.name;
    expect(nameOf(a)).toBe("team-a-nightly");
    expect(nameOf(b)).toBe("team-b-nightly");
    a.operation.metadata.name = "x".repeat(70);
    expect(nameOf(a)).toHaveLength(63);
  });

  test("a missing Velero namespace or snapshot class blocks with DependencyMissing", async () => {
    const ctx = context("Backup", "velero", { snapshotClassName: "csi-gone" });
    expect(await veleroEngine.prepare(ctx, reader({}), signal)).toEqual({ ready: false, reason: "DependencyMissing", message: 'Velero namespace "velero" not found' });
    const withNamespace = reader({ "Namespace/velero": { apiVersion: "v1", kind: "Namespace", metadata: { name: "velero" } } });
    expect(await veleroEngine.prepare(ctx, withNamespace, signal)).toMatchObject({ ready: false, reason: "DependencyMissing", message: expect.stringContaining('"csi-gone"') });
  });
});

describe("the velero Restore", () => {
  test("restores the Operation's namespace from the named backup", () => {
    const ctx = context("Restore", "velero", { backupName: "team-a-nightly", namespaceMapping: { "team-a": "team-a-copy" }, restorePVs: true, existingResourcePolicy: "update" as const });
    const [child] = veleroEngine.desiredChildren(ctx, {});
    expect(child?.object).toEqual({
      apiVersion: "velero.io/v1",
      kind: "Restore",
      metadata: { name: "team-a-nightly", namespace: "velero", labels: SOURCE_LABELS },
      spec: { backupName: "team-a-nightly", includedNamespaces: ["team-a"], namespaceMapping: { "team-a": "team-a-copy" }, restorePVs: true, existingResourcePolicy: "update" },
    });
    expect(veleroEngine.started(ctx, [child!.object]).outputs).toEqual({ restoreName: "team-a-nightly", backupName: "team-a-nightly" });
  });
});

describe("Velero phases", () => {
  test.each(["", "New", "InProgress", "WaitingForPluginOperations", "WaitingForPluginOperationsPartiallyFailed", "Finalizing", "FinalizingPartiallyFailed"])("%p is running", (phase) => {
    const progress = veleroProgress(backup(phase ? { phase } : {}), BACKUP_REASONS);
    expect(progress).toEqual({ state: "running", message: `Velero phase ${phase || "New"}` });
  });

  test("running messages carry item progress", () => {
    expect(veleroProgress(backup({ phase: "InProgress", progress: { totalItems: 10, itemsBackedUp: 4 } }), BACKUP_REASONS)).toEqual({ state: "running", message: "Velero phase InProgress, 4/10 items" });
  });

  test("Completed succeeds with the counts as outputs", () => {
    expect(veleroProgress(backup({ phase: "Completed", warnings: 2 }), BACKUP_REASONS)).toEqual({ state: "succeeded", message: "Velero backup team-a-nightly completed", outputs: { errors: "0", warnings: "2" } });
  });

  test("PartiallyFailed succeeds, degraded with PartialFailure", () => {
    const progress = veleroProgress(backup({ phase: "PartiallyFailed", errors: 3, warnings: 1 }), BACKUP_REASONS);
    expect(progress).toMatchObject({ state: "succeeded", outputs: { errors: "3", warnings: "1" }, degraded: { reason: "PartialFailure", message: expect.stringContaining("3 errors, 1 warnings") } });
  });

  test("Failed and FailedValidation fail with the failure reason or validation errors", () => {
    expect(veleroProgress(backup({ phase: "Failed", failureReason: "bucket unreachable" }), BACKUP_REASONS)).toMatchObject({ state: "failed", reason: "VeleroBackupFailed", message: "Velero backup team-a-nightly Failed: bucket unreachable" });
    expect(veleroProgress(backup({ phase: "FailedValidation", validationErrors: ["a", "b"] }), RESTORE_REASONS)).toMatchObject({ state: "failed", reason: "VeleroRestoreFailed", message: "Velero backup team-a-nightly FailedValidation: a; b" });
  });

  test("Deleting fails", () => {
    expect(veleroProgress(backup({ phase: "Deleting" }), BACKUP_REASONS)).toMatchObject({ state: "failed", message: "Velero backup is being deleted" });
  });

  test("observe reports a missing child; cancel deletes only owned children", () => {
    const ctx = context("Backup", "velero", {});
    expect(veleroEngine.observe(ctx, { owned: [] })).toMatchObject({ state: "missing" });
    expect(veleroEngine.observe(ctx, { owned: [backup({ phase: "InProgress" })] })).toMatchObject({ state: "running", outputs: { errors: "0", warnings: "0" } });
    expect(veleroEngine.cancel(ctx, { owned: [backup({})] })).toEqual([{ action: "delete", type: expect.objectContaining({ kind: "Backup" }), namespace: "velero", name: "team-a-nightly" }]);
    expect(veleroEngine.afterFailure(ctx, { owned: [backup({})] })).toEqual([]);
  });
});
