/** ReplicationSource/-Destination status → Operation verdict and outputs (operations.md §7.8). */
import type { KubeObject } from "../../kube/types";
import { failed, running, succeeded, type EngineReasons, type EngineVerdict } from "../common/verdict";

export const VOLSYNC_REASONS: EngineReasons = {
  progress: "VolSyncInProgress",
  success: "VolSyncCompleted",
  failure: "VolSyncFailed",
};

const MAX_LOG_CHARACTERS = 1024;

interface VolSyncStatus {
  lastManualSync?: string;
  lastSyncTime?: string;
  latestMoverStatus?: { result?: string; logs?: string };
}

export const volSyncStatus = (child: KubeObject) => (child.status ?? {}) as VolSyncStatus;

export function volSyncVerdict(child: KubeObject, operationUid: string): EngineVerdict {
  const status = volSyncStatus(child);
  const what = `${child.kind} ${child.metadata.name}`;
  const result = status.latestMoverStatus?.result;
  // A mover result belongs to this Operation's sync only once lastManualSync names it, except a failure,
  // which VolSync reports before it records the manual trigger as done.
  if (result === "Failed") {
    const logs = (status.latestMoverStatus?.logs ?? "").slice(-MAX_LOG_CHARACTERS);
    return failed(VOLSYNC_REASONS, logs ? `${what} mover failed: ${logs}` : `${what} mover failed`);
  }
  if (status.lastManualSync === operationUid && (result === undefined || result === "Successful")) {
    return succeeded(VOLSYNC_REASONS, `${what} synchronized`);
  }
  return running(VOLSYNC_REASONS, `${what} synchronizing`);
}
