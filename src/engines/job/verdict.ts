/** Job conditions → Operation progress (docs/operations.md#job). */
import type { KubeObject } from "../../kube/types";
import type { TemplateReasons } from "../../operations/templates";
import type { Progress } from "../types";

interface JobCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

interface JobStatus {
  conditions?: JobCondition[];
  active?: number;
  succeeded?: number;
  failed?: number;
}

export function jobProgress(job: KubeObject, reasons: TemplateReasons): Progress {
  const status = (job.status ?? {}) as JobStatus;
  const isTrue = (type: string) => status.conditions?.find((c) => c.type === type && c.status === "True");
  if (isTrue("Complete")) return { state: "succeeded", message: `Job ${job.metadata.name} completed` };
  const failure = isTrue("Failed");
  if (failure) {
    const detail = [failure.reason, failure.message].filter((part) => part).join(": ");
    return { state: "failed", reason: reasons.failure, message: detail || `Job ${job.metadata.name} failed` };
  }
  const counts = `active ${status.active ?? 0}, succeeded ${status.succeeded ?? 0}, failed ${status.failed ?? 0}`;
  return { state: "running", message: `Job ${job.metadata.name} running (${counts})` };
}
