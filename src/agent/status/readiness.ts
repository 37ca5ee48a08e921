/** The readiness view of an applied object (docs/connectivity.md#results-and-progress table), pure. */
import { redactMessage } from "../../api/redact";
import type { Condition, KubeObject } from "../../kube/types";
import type { StatusPhase, WireCondition } from "../../protocol";
import { wireCondition } from "./event-factory";

interface Status {
  conditions?: Condition[];
  observedGeneration?: number;
  phase?: string;
}

function statusOf(object: KubeObject): Status {
  return (object.status ?? {}) as Status;
}

function is(status: Status, type: string, value: "True" | "False"): boolean {
  return status.conditions?.some((condition) => condition.type === type && condition.status === value) ?? false;
}

export function readinessOf(object: KubeObject, appliedGeneration: number): Exclude<StatusPhase, "Deleted" | "Abandoned"> {
  const status = statusOf(object);
  const observed = status.observedGeneration ?? 0;
  switch (object.kind) {
    case "ApplicationInstance":
      if (is(status, "Blocked", "True") || (is(status, "Ready", "False") && is(status, "Reconciling", "False"))) return "Failed";
      return is(status, "Ready", "True") && observed >= appliedGeneration ? "Ready" : "Progressing";
    case "Operation":
      if (is(status, "Failed", "True")) return "Failed";
      return is(status, "Succeeded", "True") ? "Ready" : "Progressing";
    case "HelmRelease":
    case "HelmRepository":
    case "OCIRepository":
      if (is(status, "Stalled", "True")) return "Failed";
      return is(status, "Ready", "True") && observed === appliedGeneration ? "Ready" : "Progressing";
    case "BackupStorageLocation":
      return status.phase === "Available" ? "Ready" : status.phase === "Unavailable" ? "Failed" : "Progressing";
    case "Schedule":
      return status.phase === "Enabled" ? "Ready" : status.phase === "FailedValidation" ? "Failed" : "Progressing";
    default:
      return "Ready";
  }
}

/** The object's conditions, or a synthetic Ready for phase-only kinds. */
export function progressConditions(object: KubeObject, phase: StatusPhase): WireCondition[] {
  const conditions = statusOf(object).conditions;
  if (Array.isArray(conditions) && conditions.length > 0) return conditions.map(wireCondition);
  const ready = phase === "Ready" ? "True" : phase === "Failed" ? "False" : "Unknown";
  return [{ type: "Ready", status: ready, reason: phase, ...(statusOf(object).phase ? { message: redactMessage(`phase ${statusOf(object).phase}`) } : {}) }];
}
