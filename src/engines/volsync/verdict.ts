/** ReplicationSource/-Destination status → Operation progress (docs/operations.md#volsync). */
import type { KubeObject } from "../../kube/types";
import type { TemplateReasons } from "../../operations/templates";
import type { Progress } from "../types";

const MAX_LOG_CHARACTERS = 1024;

interface VolSyncStatus {
  lastManualSync?: string;
  lastSyncTime?: string;
  latestMoverStatus?: { result?: string; logs?: string };
}

const volSyncStatus = (child: KubeObject) => (child.status ?? {}) as VolSyncStatus;

export function volSyncProgress(child: KubeObject, operationUid: string, reasons: TemplateReasons): Progress {
  const status = volSyncStatus(child);
  const what = `${child.kind} ${child.metadata.name}`;
  const result = status.latestMoverStatus?.result;
  const outputs = status.lastSyncTime ? { lastSyncTime: status.lastSyncTime } : undefined;
  if (result === "Failed") {
    const logs = (status.latestMoverStatus?.logs ?? "").slice(-MAX_LOG_CHARACTERS);
    return { state: "failed", reason: reasons.failure, message: logs ? `${what} mover failed: ${logs}` : `${what} mover failed`, ...(outputs ? { outputs } : {}) };
  }
  if (status.lastManualSync === operationUid && (result === undefined || result === "Successful")) {
    return { state: "succeeded", message: `${what} synchronized`, ...(outputs ? { outputs } : {}) };
  }
  return { state: "running", message: `${what} synchronizing` };
}
