/** Workflow `status.phase` → Operation verdict (operations.md §7.6). */
import type { KubeObject } from "../../kube/types";
import { failed, running, succeeded, type EngineReasons, type EngineVerdict } from "../common/verdict";

export const WORKFLOW_REASONS: EngineReasons = {
  progress: "WorkflowRunning",
  success: "WorkflowSucceeded",
  failure: "WorkflowFailed",
};

export function workflowVerdict(workflow: KubeObject): EngineVerdict {
  const status = (workflow.status ?? {}) as { phase?: string; message?: string; progress?: string };
  const phase = status.phase ?? "";
  const name = workflow.metadata.name;
  if (phase === "Succeeded") return succeeded(WORKFLOW_REASONS, `Workflow ${name} succeeded`);
  if (phase === "Failed" || phase === "Error") {
    return failed(WORKFLOW_REASONS, status.message ? `Workflow ${name} ${phase}: ${status.message}` : `Workflow ${name} ${phase}`);
  }
  const progress = status.progress ? ` (${status.progress})` : "";
  return running(WORKFLOW_REASONS, `Workflow ${name} ${phase || "Pending"}${progress}`);
}
