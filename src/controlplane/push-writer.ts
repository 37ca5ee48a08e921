/**
 * Push mode's write edge (docs/connectivity.md#one-control-plane-three-modes): server-side apply as
 * `vworkspace-odoo`, never forced, with the cluster's stored kubeconfig; a field-manager conflict comes back
 * as a `conflict` result listing the fields, for the caller to resolve. API messages are redacted as the
 * agent redacts them.
 */
import { resourceRefOf } from "../agent/status/event-factory";
import { PUSH_FIELD_MANAGER } from "../api/push-access";
import { redactMessage } from "../api/redact";
import { ApplyConflictError, applyObject } from "../kube/apply";
import { KubeClient } from "../kube/client";
import { resolveKubeConfigText } from "../kube/config";
import { classifyError, KubeApiError } from "../kube/errors";
import { jobResult, type JobResult } from "../protocol";
import type { DirectWrite } from "./direct-write";

export function pushClient(kubeconfig: string, clusterId: string): KubeClient {
  return KubeClient.fromKubeConfig(resolveKubeConfigText(kubeconfig, `the Push kubeconfig of cluster ${clusterId}`), { userAgent: "vworkspace-control-plane" });
}

function failure(err: unknown): JobResult {
  if (err instanceof ApplyConflictError) {
    const detail = redactMessage(err.serverMessage);
    return jobResult({ outcome: "conflict", errorCode: "FieldManagerConflict", error: `FieldManagerConflict: ${detail}`, conflicts: err.conflicts });
  }
  const code = err instanceof KubeApiError && err.status === 403 ? "Forbidden" : "ApplyFailed";
  const detail = redactMessage(err instanceof KubeApiError ? err.serverMessage : err instanceof Error ? err.message : String(err));
  return jobResult({ outcome: "failed", errorCode: code, error: `${code}: ${detail}` });
}

export async function pushWrite(client: KubeClient, write: Exclude<DirectWrite, { action: "refuse" }>): Promise<JobResult> {
  try {
    if (write.action === "apply") {
      const written = await applyObject(client, write.type, write.object, { fieldManager: PUSH_FIELD_MANAGER, force: false });
      return jobResult({ outcome: "succeeded", appliedRef: resourceRefOf(written) });
    }
    await client.delete(write.type, write.ref.name, { namespace: write.ref.namespace }).catch((err: unknown) => {
      if (classifyError(err) !== "notFound") throw err;
    });
    return jobResult({ outcome: "succeeded", appliedRef: write.ref });
  } catch (err) {
    return failure(err);
  }
}
