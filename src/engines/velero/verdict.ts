/** Velero `status.phase` → Operation progress and outputs (docs/operations.md#velero). */
import { OperationReason } from "../../api/condition-vocabulary";
import type { KubeObject } from "../../kube/types";
import type { TemplateReasons } from "../../operations/templates";
import type { Progress } from "../types";

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

const statusOf = (child: KubeObject) => (child.status ?? {}) as VeleroStatus;

/** `errors` and `warnings` outputs; counts Velero has not reported yet are zero. */
export function veleroCounts(child: KubeObject): { errors: string; warnings: string } {
  const status = statusOf(child);
  return { errors: String(status.errors ?? 0), warnings: String(status.warnings ?? 0) };
}

export function veleroProgress(child: KubeObject, reasons: TemplateReasons): Progress {
  const status = statusOf(child);
  const phase = status.phase ?? "";
  const what = `Velero ${child.kind.toLowerCase()} ${child.metadata.name}`;
  const outputs = veleroCounts(child);
  if (phase === "Completed") return { state: "succeeded", message: `${what} completed`, outputs };
  if (phase === "PartiallyFailed") {
    const message = `${what} partially failed: ${outputs.errors} errors, ${outputs.warnings} warnings`;
    return { state: "succeeded", message, outputs, degraded: { reason: OperationReason.PartialFailure, message } };
  }
  if (phase === "Failed" || phase === "FailedValidation") {
    const detail = status.failureReason || (status.validationErrors ?? []).join("; ");
    return { state: "failed", reason: reasons.failure, message: detail ? `${what} ${phase}: ${detail}` : `${what} ${phase}`, outputs };
  }
  if (phase === "Deleting") return { state: "failed", reason: reasons.failure, message: "Velero backup is being deleted", outputs };
  const known = IN_PROGRESS.has(phase) ? "" : " (a phase this operator does not know; waiting)";
  return { state: "running", message: `Velero phase ${phase || "New"}${itemProgress(status)}${known}` };
}

function itemProgress({ progress }: VeleroStatus): string {
  if (!progress?.totalItems) return "";
  return `, ${progress.itemsBackedUp ?? progress.itemsRestored ?? 0}/${progress.totalItems} items`;
}
