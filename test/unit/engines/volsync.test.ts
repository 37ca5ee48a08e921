import { describe, expect, test } from "bun:test";
import { volSyncEngine } from "../../../src/engines/volsync/engine";
import type { KubeObject } from "../../../src/kube/types";
import { context, OWNER, OWNER_REF, SOURCE_LABELS } from "./fixtures";

function source(status: object, kind = "ReplicationSource"): KubeObject {
  return { apiVersion: "volsync.backube/v1alpha1", kind, metadata: { name: "nightly", namespace: "team-a", labels: SOURCE_LABELS }, status };
}

describe("the volsync engine", () => {
  test("Backup: a ReplicationSource with a manual trigger equal to the Operation UID", () => {
    const ctx = context("Backup", "volsync", { pvcName: "data", repository: "restic-repo", copyMethod: "Snapshot" as const, retain: { daily: 7, within: "72h" } });
    const [child] = volSyncEngine.desiredChildren(ctx, null);
    expect(child?.object).toEqual({
      apiVersion: "volsync.backube/v1alpha1",
      kind: "ReplicationSource",
      metadata: { name: "nightly", namespace: "team-a", labels: SOURCE_LABELS, ownerReferences: [OWNER_REF] },
      spec: { sourcePVC: "data", trigger: { manual: OWNER.uid }, restic: { repository: "restic-repo", copyMethod: "Snapshot", retain: { daily: 7, within: "72h" } } },
    });
    expect(volSyncEngine.started(ctx, [child!.object]).outputs).toEqual({ replicationSourceName: "nightly", pvcName: "data" });
  });

  test("Restore: a ReplicationDestination writing directly into the PVC", () => {
    const ctx = context("Restore", "volsync", { pvcName: "data", repository: "restic-repo", previous: 1 });
    const [child] = volSyncEngine.desiredChildren(ctx, null);
    expect(child?.object).toMatchObject({
      kind: "ReplicationDestination",
      spec: { trigger: { manual: OWNER.uid }, restic: { repository: "restic-repo", destinationPVC: "data", copyMethod: "Direct", previous: 1 } },
    });
    expect(volSyncEngine.started(ctx, [child!.object])).toEqual({
      engineRef: { kind: "ReplicationDestination", name: "nightly", namespace: "team-a" },
      outputs: { replicationDestinationName: "nightly", pvcName: "data" },
    });
  });

  test("the sync of this Operation decides; failures carry the mover's last log characters", () => {
    const ctx = context("Backup", "volsync", { pvcName: "data", repository: "r" });
    const observe = (status: object) => volSyncEngine.observe(ctx, { owned: [source(status)] });
    expect(observe({})).toEqual({ state: "running", message: "ReplicationSource nightly synchronizing" });
    expect(observe({ lastManualSync: "older-uid", latestMoverStatus: { result: "Successful" } })).toMatchObject({ state: "running" });
    expect(observe({ lastManualSync: OWNER.uid, lastSyncTime: "2026-11-22T08:00:00Z" })).toEqual({ state: "succeeded", message: "ReplicationSource nightly synchronized", outputs: { lastSyncTime: "2026-11-22T08:00:00Z" } });
    expect(observe({ lastManualSync: OWNER.uid, latestMoverStatus: { result: "Successful" } })).toMatchObject({ state: "succeeded" });
    const failure = observe({ latestMoverStatus: { result: "Failed", logs: `${"x".repeat(2000)}END` } });
    expect(failure).toMatchObject({ state: "failed", reason: "VolSyncFailed" });
    expect(failure.message.endsWith("END")).toBe(true);
    expect(failure.message.length).toBeLessThan(1024 + 60);
    expect(volSyncEngine.observe(ctx, { owned: [] })).toMatchObject({ state: "missing" });
  });

  test("cancel and failure pause and keep the object", () => {
    const ctx = context("Backup", "volsync", { pvcName: "data", repository: "r" });
    const pause = [{ action: "patch" as const, type: expect.objectContaining({ kind: "ReplicationSource" }), namespace: "team-a", name: "nightly", patch: { spec: { paused: true } } }];
    expect(volSyncEngine.cancel(ctx, { owned: [source({})] })).toEqual(pause);
    expect(volSyncEngine.afterFailure(ctx, { owned: [source({})] })).toEqual(pause);
  });
});
