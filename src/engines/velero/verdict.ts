/** Velero `status.phase` → Operation verdict and outputs (operations.md §7.2). */
import type { KubeObject } from "../../kube/types";
import { failed, running, type EngineReasons, type EngineVerdict } from "../common/verdict";

export const BACKUP_REASONS: EngineReasons = {
  progress: "VeleroBackupInProgress",
  success: "VeleroBackupCompleted",
  failure: "VeleroBackupFailed",
};
export const RESTORE_REASONS: EngineReasons = {
  progress: "VeleroRestoreInProgress",
  success: "VeleroRestoreCompleted",
  failure: "VeleroRestoreFailed",
};

interface VeleroStatus {
  phase?: string;
  errors?: number;
  warnings?: number;
  failureReason?: string;
  validationErrors?: string[];
  progress?: { totalItems?: number; itemsBackedUp?: number; itemsRestored?: number };
}

const IN_PROGRESS = new Set([
  "",
  "New",
  "InProgress",
  "WaitingForPluginOperations",
  "WaitingForPluginOperationsPartiallyFailed",
  "Finalizing",
  "FinalizingPartiallyFailed",
]);

export function veleroStatus(child: KubeObject): VeleroStatus {
  return (child.status ?? {}) as VeleroStatus;
}

export function veleroVerdict(child: KubeObject, reasons: EngineReasons): EngineVerdict {
  const status = veleroStatus(child);
  const phase = status.phase ?? "";
  const what = `Velero ${child.kind.toLowerCase()} ${child.metadata.name}`;
  if (phase === "Completed") return { phase: "Succeeded", reason: reasons.success, message: `${what} completed` };
  if (phase === "PartiallyFailed") {
    const counts = `${status.errors ?? 0} errors, ${status.warnings ?? 0} warnings`;
    return {
      phase: "Succeeded",
      reason: reasons.success,
      message: `${what} partially failed (${counts})`,
      partialFailure: `${what} partially failed: ${counts}`,
    };
  }
  if (phase === "Failed" || phase === "FailedValidation") {
    const detail = status.failureReason || (status.validationErrors ?? []).join("; ");
    return failed(reasons, detail ? `${what} ${phase}: ${detail}` : `${what} ${phase}`);
  }
  if (phase === "Deleting") return failed(reasons, "Velero backup is being deleted");
  if (IN_PROGRESS.has(phase)) return running(reasons, `Velero phase ${phase || "New"}${itemProgress(status)}`);
  return running(reasons, `Velero phase ${phase} (unknown to this operator)`);
}

function itemProgress({ progress }: VeleroStatus): string {
  if (!progress?.totalItems) return "";
  const done = progress.itemsBackedUp ?? progress.itemsRestored ?? 0;
  return `, ${done}/${progress.totalItems} items`;
}

/** `errors` and `warnings` outputs; counts Velero has not reported yet are zero. */
export function veleroCounts(child: KubeObject): { errors: string; warnings: string } {
  const status = veleroStatus(child);
  return { errors: String(status.errors ?? 0), warnings: String(status.warnings ?? 0) };
}
