/**
 * Registration (docs/connectivity.md#registration): which token and endpoint apply, whether an exchange is due, the
 * `POST /api/agent/register` call and the credentials Secret it produces. Tokens leave this module only as
 * fingerprints.
 */
import * as v from "valibot";
import type { ClusterSpec } from "../../api/cluster";
import { ANNOTATION_ROTATE_CREDENTIALS } from "../../api/labels";
import type { KubeObject } from "../../kube/types";
import { formatTime } from "../../kube/time";
import { controllerReference } from "../../kube/owners";
import { AGENT_PATHS, registerResponseSchema, trimBaseUrl, type RegisterResponse } from "../../protocol";
import { tokenFingerprint, type ClusterPublicKey } from "../../security";
import { ANNOTATION_TOKEN_ISSUED_AT, credentialsData, secretValue, type Credentials, type Secret } from "../../agent/credentials/credentials";
import type { TlsMaterial } from "../../agent/credentials/credentials";
import { CpTransportError, cpRequest } from "../../agent/transport/http";
import type { AgentMetrics } from "../../observability/agent-metrics";
import { retryAfterMs } from "../../agent/transport/retry";

export type TokenResolution =
  | { kind: "none" }
  | { kind: "missing"; secretName: string }
  | { kind: "resolved"; token: string; fingerprint: string; source: "secret" | "inline"; secretResourceVersion?: string };

export function resolveToken(spec: ClusterSpec, secret: (name: string) => Secret | undefined): TokenResolution {
  const ref = spec.registrationTokenSecretRef;
  if (ref?.name) {
    const holder = secret(ref.name);
    const token = secretValue(holder, ref.key ?? "registrationToken")?.trim();
    if (token) return { kind: "resolved", token, fingerprint: tokenFingerprint(token), source: "secret", ...(holder?.metadata.resourceVersion ? { secretResourceVersion: holder.metadata.resourceVersion } : {}) };
    if (!spec.registrationToken?.trim()) return { kind: "missing", secretName: ref.name };
  }
  const inline = spec.registrationToken?.trim();
  if (inline) return { kind: "resolved", token: inline, fingerprint: tokenFingerprint(inline), source: "inline" };
  return { kind: "none" };
}

export function endpointOf(spec: ClusterSpec): string | undefined {
  const endpoint = spec.controlPlaneEndpoint?.trim() || spec.controlPlaneBaseUrl?.trim();
  return endpoint ? trimBaseUrl(endpoint) : undefined;
}

export function reRegisterRequested(cluster: KubeObject): boolean {
  const value = cluster.metadata.annotations?.[ANNOTATION_ROTATE_CREDENTIALS];
  return value !== undefined && value.toLowerCase() !== "false";
}

/** Identifies the inputs of a refused exchange: no retry until one of them changes (docs/connectivity.md#registration step 3). */
export function registrationInputsKey(token: TokenResolution & { kind: "resolved" }, endpoint: string, annotation: boolean): string {
  return JSON.stringify([token.fingerprint, token.secretResourceVersion ?? "", endpoint, annotation]);
}

export type RegisterOutcome =
  | { kind: "registered"; response: RegisterResponse }
  | { kind: "refused"; status: number; message: string }
  | { kind: "retry"; message: string; retryAfterMs?: number };

export async function register(
  endpoint: string,
  token: string,
  body: { clusterId?: string; publicKey?: ClusterPublicKey },
  tls: TlsMaterial | undefined,
  metrics?: AgentMetrics,
): Promise<RegisterOutcome> {
  try {
    const response = await cpRequest(
      { baseUrl: endpoint, token, ...(tls ? { tls } : {}) },
      { endpoint: "register", method: "POST", path: AGENT_PATHS.register, body: { registrationToken: token, ...body }, timeoutMs: 120_000 },
      metrics,
    );
    if (response.status === 200) {
      const parsed = v.safeParse(registerResponseSchema, response.body);
      if (!parsed.success) return { kind: "retry", message: "register answer lacks clusterId or token" };
      return { kind: "registered", response: parsed.output };
    }
    // 409: the control plane will not let this token take over an existing cluster id; retrying cannot help.
    if (response.status === 400 || response.status === 401 || response.status === 403 || response.status === 409) {
      return { kind: "refused", status: response.status, message: `registration refused by the control plane (${response.status}${response.errorCode ? ` ${response.errorCode}` : ""})` };
    }
    const retryAfter = response.status === 429 || response.status === 503 ? retryAfterMs(response.headers.get("retry-after"), Date.now()) : undefined;
    return { kind: "retry", message: `registration answered ${response.status}; retrying`, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
  } catch (err) {
    if (!(err instanceof CpTransportError)) throw err;
    return { kind: "retry", message: `control plane unreachable (${err.kind}); retrying` };
  }
}

/** The credentials Secret written in one update after a successful exchange (docs/connectivity.md#registration step 4, docs/connectivity.md#local-storage). */
export function credentialsSecret(
  name: string,
  namespace: string,
  owner: KubeObject,
  endpoint: string,
  response: RegisterResponse,
  now: Date,
): { secret: Secret; credentials: Credentials } {
  const credentials: Credentials = { baseUrl: endpoint, clusterId: response.clusterId, token: response.token };
  if (response.expiresAt) credentials.expiresAt = response.expiresAt;
  if (response.signingKeys) credentials.jwks = JSON.stringify(response.signingKeys);
  const secret: Secret = {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: { name, namespace, annotations: { [ANNOTATION_TOKEN_ISSUED_AT]: formatTime(now) }, ownerReferences: [controllerReference(owner)] },
    data: credentialsData(credentials),
  };
  return { secret, credentials };
}
