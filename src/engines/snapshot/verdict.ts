/** VolumeSnapshot statuses → Operation progress and outputs (docs/operations.md#snapshot). */
import type { KubeObject } from "../../kube/types";
import type { TemplateReasons } from "../../operations/templates";
import type { Progress } from "../types";

interface SnapshotStatus {
  readyToUse?: boolean;
  error?: { message?: string };
}

const statusOf = (snapshot: KubeObject) => (snapshot.status ?? {}) as SnapshotStatus;

/** `snapshots`: the Operation's own VolumeSnapshots; `expected`: how many it created (one per PVC). */
export function snapshotProgress(snapshots: readonly KubeObject[], expected: number, reasons: TemplateReasons): Progress {
  const broken = snapshots.find((s) => statusOf(s).readyToUse !== true && statusOf(s).error !== undefined);
  if (broken) {
    const message = statusOf(broken).error?.message || "error without a message";
    return { state: "failed", reason: reasons.failure, message: `VolumeSnapshot ${broken.metadata.name}: ${message}` };
  }
  const ready = snapshots.filter((s) => statusOf(s).readyToUse === true).length;
  if (snapshots.length === expected && ready === expected) {
    return { state: "succeeded", message: `${expected} VolumeSnapshot${expected === 1 ? "" : "s"} ready to use` };
  }
  return { state: "running", message: `${ready}/${expected} VolumeSnapshots ready to use` };
}

export function snapshotOutputs(names: readonly string[], pvcs: readonly string[]): Record<string, string> {
  return { volumeSnapshots: names.join(","), volumeSnapshotCount: String(names.length), pvcs: pvcs.join(",") };
}
