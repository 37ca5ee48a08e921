/** Workflow `status.phase` → Operation progress (docs/operations.md#workflow). */
import type { KubeObject } from "../../kube/types";
import type { TemplateReasons } from "../../operations/templates";
import type { Progress } from "../types";

export function workflowProgress(workflow: KubeObject, reasons: TemplateReasons): Progress {
  const status = (workflow.status ?? {}) as { phase?: string; message?: string; progress?: string };
  const phase = status.phase ?? "";
  const what = `Workflow ${workflow.metadata.name}`;
  if (phase === "Succeeded") return { state: "succeeded", message: `${what} succeeded` };
  if (phase === "Failed" || phase === "Error") {
    return { state: "failed", reason: reasons.failure, message: status.message ? `${what} ${phase}: ${status.message}` : `${what} ${phase}` };
  }
  const progress = status.progress ? ` (${status.progress})` : "";
  return { state: "running", message: `${what} ${phase || "Pending"}${progress}` };
}
