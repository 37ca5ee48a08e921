/** The v1 agent API surface (docs/connectivity.md#pull-mode-wire-protocol, docs/connectivity.md#endpoints): media type, paths and the control plane's public routes. */

export const AGENT_MEDIA_TYPE = "application/vnd.vworkspace.agent.v1+json";
export const JWKS_MEDIA_TYPE = "application/jwk-set+json";

export const AGENT_API_PREFIX = "/api/agent";

export const AGENT_PATHS = {
  jobs: `${AGENT_API_PREFIX}/jobs`,
  events: `${AGENT_API_PREFIX}/events`,
  register: `${AGENT_API_PREFIX}/register`,
  rotate: `${AGENT_API_PREFIX}/credentials/rotate`,
} as const;

/** The three per-job endpoints; `{id}` is percent-encoded as one path segment. */
export type JobAction = "ack" | "status" | "result";

export function jobActionPath(jobId: string, action: JobAction): string {
  return `${AGENT_PATHS.jobs}/${encodeURIComponent(jobId)}/${action}`;
}

export function pollPath(clusterId: string, waitSeconds: number): string {
  const query = new URLSearchParams({ cluster: clusterId, wait: String(Math.trunc(waitSeconds)) });
  return `${AGENT_PATHS.jobs}?${query.toString()}`;
}

/** `controlPlaneEndpoint` with its trailing slashes ignored (docs/connectivity.md#the-cluster-resource). */
export function trimBaseUrl(endpoint: string): string {
  return endpoint.replace(/\/+$/, "");
}

export const JWKS_PATH = "/.well-known/vworkspace/jwks.json";
export const HEALTHZ_PATH = "/healthz";

/** Which endpoint a request targets, as used by metrics labels and fault injection. */
export const AGENT_ENDPOINTS = ["jobs", "ack", "status", "result", "events", "register", "rotate"] as const;
export type AgentEndpoint = (typeof AGENT_ENDPOINTS)[number];
