import type { KubeClient } from "../kube/client";
import type { CheckResult } from "../observability/health";

const PROBE_TIMEOUT_MS = 5_000;

/** The API server answers its own /readyz with our credentials. */
export async function checkApiServer(client: KubeClient): Promise<CheckResult> {
  try {
    const body = await client.requestText({ method: "GET", path: "/readyz", timeoutMs: PROBE_TIMEOUT_MS });
    return { ok: true, message: body.trim() || "ok" };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
