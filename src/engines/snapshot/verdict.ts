/** VolumeSnapshot statuses → Operation verdict and outputs (operations.md §7.7). */
import type { KubeObject } from "../../kube/types";
import { failed, running, succeeded, type EngineReasons, type EngineVerdict } from "../common/verdict";

export const SNAPSHOT_REASONS: EngineReasons = {
  progress: "VolumeSnapshotInProgress",
  success: "VolumeSnapshotReadyToUse",
  failure: "VolumeSnapshotFailed",
};

interface SnapshotStatus {
  readyToUse?: boolean;
  error?: { message?: string };
}

const statusOf = (snapshot: KubeObject) => (snapshot.status ?? {}) as SnapshotStatus;

/** `snapshots` are the Operation's own VolumeSnapshots, one per selected PVC, already ownership-checked. */
export function snapshotVerdict(snapshots: readonly KubeObject[], expected: number): EngineVerdict {
  const broken = snapshots.find((s) => statusOf(s).readyToUse !== true && statusOf(s).error !== undefined);
  if (broken) {
    const message = statusOf(broken).error?.message ?? "error without message";
    return failed(SNAPSHOT_REASONS, `VolumeSnapshot ${broken.metadata.name}: ${message}`);
  }
  const ready = snapshots.filter((s) => statusOf(s).readyToUse === true).length;
  if (ready === expected && snapshots.length === expected) {
    return succeeded(SNAPSHOT_REASONS, `${expected} VolumeSnapshot${expected === 1 ? "" : "s"} ready to use`);
  }
  return running(SNAPSHOT_REASONS, `${ready}/${expected} VolumeSnapshots ready to use`);
}

export function snapshotOutputs(names: readonly string[], pvcs: readonly string[]): Record<string, string> {
  return { volumeSnapshots: names.join(","), volumeSnapshotCount: String(names.length), pvcs: pvcs.join(",") };
}
