/** Job conditions → Operation verdict (operations.md §7.4). */
import type { KubeObject } from "../../kube/types";
import { failed, running, succeeded, type EngineReasons, type EngineVerdict } from "../common/verdict";

interface JobCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export const JOB_REASONS: EngineReasons = { progress: "JobRunning", success: "JobSucceeded", failure: "JobFailed" };
export const HOOK_JOB_REASONS: EngineReasons = {
  progress: "HelmHookJobRunning",
  success: "HelmHookJobSucceeded",
  failure: "HelmHookJobFailed",
};

export function jobVerdict(job: KubeObject, reasons: EngineReasons): EngineVerdict {
  const status = (job.status ?? {}) as { conditions?: JobCondition[]; active?: number; succeeded?: number; failed?: number };
  const conditions = status.conditions ?? [];
  const isTrue = (type: string) => conditions.find((c) => c.type === type && c.status === "True");
  const complete = isTrue("Complete");
  if (complete) return succeeded(reasons, `Job ${job.metadata.name} completed`);
  const failure = isTrue("Failed");
  if (failure) {
    const detail = [failure.reason, failure.message].filter((part) => part).join(": ");
    return failed(reasons, detail || `Job ${job.metadata.name} failed`);
  }
  const counts = `active ${status.active ?? 0}, succeeded ${status.succeeded ?? 0}, failed ${status.failed ?? 0}`;
  return running(reasons, `Job ${job.metadata.name} running (${counts})`);
}
