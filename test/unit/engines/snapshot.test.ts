import { describe, expect, test } from "bun:test";
import { snapshotEngine } from "../../../src/engines/snapshot/engine";
import type { ChildReader } from "../../../src/engines/types";
import type { KubeObject } from "../../../src/kube/types";
import { context, SOURCE_LABELS } from "./fixtures";

const signal = new AbortController().signal;
const pvc = (name: string): KubeObject => ({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name, namespace: "team-a" } });

function reader(pvcs: KubeObject[], seen: string[] = []): ChildReader {
  return {
    get: async () => undefined,
    list: async (_type, _namespace, selector) => {
      seen.push(selector ?? "");
      return pvcs;
    },
  };
}

function snapshot(name: string, status?: object): KubeObject {
  return { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name, namespace: "team-a", labels: SOURCE_LABELS }, ...(status ? { status } : {}) };
}

const RECORDED = { outputs: { volumeSnapshots: "nightly-data,nightly-logs", volumeSnapshotCount: "2", pvcs: "data,logs" } };

describe("the snapshot engine", () => {
  test("selects the release's PVCs by default and snapshots each, sorted by PVC name", async () => {
    const ctx = context("Backup", "snapshot", { ttl: "24h" });
    const selectors: string[] = [];
    const prepared = await snapshotEngine.prepare(ctx, reader([pvc("logs"), pvc("data")], selectors), signal);
    expect(selectors).toEqual(["app.kubernetes.io/instance=shop"]);
    expect(prepared).toEqual({ ready: true, facts: { pvcs: ["data", "logs"] } });
    const children = snapshotEngine.desiredChildren(ctx, { pvcs: ["data", "logs"] });
    expect(children.map((c) => c.object)).toEqual([
      {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshot",
        metadata: { name: "nightly-data", namespace: "team-a", labels: { ...SOURCE_LABELS, "ops.vworkspace.io/source-pvc": "data" }, annotations: { "ops.vworkspace.io/expires-at": "2026-11-23T08:00:00.000Z" } },
        spec: { source: { persistentVolumeClaimName: "data" } },
      },
      expect.objectContaining({ metadata: expect.objectContaining({ name: "nightly-logs" }) }),
    ]);
    expect(snapshotEngine.started(ctx, children.map((c) => c.object).reverse())).toEqual({
      engineRef: { kind: "VolumeSnapshot", name: "nightly-data", namespace: "team-a" },
      outputs: RECORDED.outputs,
    });
  });

  test("a class and an explicit selector are used as given; no TTL, no expiry", async () => {
    const ctx = context("Backup", "snapshot", { volumeSnapshotClassName: "csi", pvcLabelSelector: { tier: "db", app: "x" } });
    const selectors: string[] = [];
    const withClass: ChildReader = { ...reader([pvc("data")], selectors), get: async () => ({ apiVersion: "v1", kind: "VolumeSnapshotClass", metadata: { name: "csi" } }) };
    await snapshotEngine.prepare(ctx, withClass, signal);
    expect(selectors).toEqual(["app=x,tier=db"]);
    const [child] = snapshotEngine.desiredChildren(ctx, { pvcs: ["data"] });
    expect(child?.object.spec).toEqual({ source: { persistentVolumeClaimName: "data" }, volumeSnapshotClassName: "csi" });
    expect(child?.object.metadata.annotations).toBeUndefined();
    expect(await snapshotEngine.prepare(ctx, reader([pvc("data")]), signal)).toMatchObject({ ready: false, reason: "DependencyMissing" });
  });

  test("no matching PVC is a permanent failure", async () => {
    const ctx = context("Backup", "snapshot", {});
    expect(await snapshotEngine.prepare(ctx, reader([]), signal)).toEqual({ ready: false, permanent: true, reason: "VolumeSnapshotFailed", message: "no PersistentVolumeClaim matches app.kubernetes.io/instance=shop" });
  });

  test("succeeds when every snapshot is ready, fails on an error, waits otherwise", () => {
    const ctx = context("Backup", "snapshot", {}, { status: RECORDED });
    const observe = (...owned: KubeObject[]) => snapshotEngine.observe(ctx, { owned });
    expect(observe(snapshot("nightly-data", { readyToUse: true }), snapshot("nightly-logs", { readyToUse: true }))).toEqual({ state: "succeeded", message: "2 VolumeSnapshots ready to use" });
    expect(observe(snapshot("nightly-data", { readyToUse: true }), snapshot("nightly-logs"))).toEqual({ state: "running", message: "1/2 VolumeSnapshots ready to use" });
    expect(observe(snapshot("nightly-data", { readyToUse: false, error: { message: "driver error" } }), snapshot("nightly-logs"))).toEqual({ state: "failed", reason: "VolumeSnapshotFailed", message: "VolumeSnapshot nightly-data: driver error" });
    expect(observe(snapshot("nightly-data", { readyToUse: true }))).toEqual({ state: "missing", message: "VolumeSnapshot nightly-logs not found in namespace team-a" });
  });

  test("cancel deletes the snapshots; failure keeps them until the child TTL", () => {
    const ctx = context("Backup", "snapshot", {}, { status: RECORDED });
    const owned = [snapshot("nightly-data"), snapshot("nightly-logs")];
    expect(snapshotEngine.cancel(ctx, { owned }).map((a) => [a.action, a.name])).toEqual([["delete", "nightly-data"], ["delete", "nightly-logs"]]);
    expect(snapshotEngine.afterFailure(ctx, { owned })[0]).toMatchObject({ action: "patch", name: "nightly-data", patch: { metadata: { annotations: { "ops.vworkspace.io/expires-at": "2026-11-23T08:00:00.000Z" } } } });
  });
});
