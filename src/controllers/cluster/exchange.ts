/**
 * The registration exchange of one pass (docs/connectivity.md#registration): asks ./registration-step.ts whether
 * one is due, makes the call, writes the credentials Secret and patches the Cluster, and records in memory
 * what the next passes must know.
 */
import type { Cluster, ClusterStatus } from "../../api/cluster";
import { CLUSTER } from "../../api/groups";
import { ANNOTATION_ROTATE_CREDENTIALS } from "../../api/labels";
import type { AgentConfig } from "../../agent/config";
import type { Credentials, TlsMaterial } from "../../agent/credentials/credentials";
import type { KubeClient } from "../../kube/client";
import type { EventRecorder } from "../../kube/events";
import { formatTime } from "../../kube/time";
import type { AgentMetrics } from "../../observability/agent-metrics";
import type { Logger } from "../../observability/logger";
import { tokenFingerprint, type ClusterKeypair } from "../../security";
import type { ClusterMemory } from "./memory";
import { credentialsSecret, type register, type TokenResolution } from "./registration";
import { exchangeVerdict, registrationStep } from "./registration-step";
import { readSecret, writeSecret } from "./secrets";

export interface ExchangeDeps {
  client: Pick<KubeClient, "get" | "create" | "replace" | "patch">;
  config: Pick<AgentConfig, "credentialsSecret" | "wireExtensions">;
  namespace: string;
  events: Pick<EventRecorder, "record">;
  metrics: AgentMetrics;
  logger: Logger;
  register: typeof register;
}

export interface ExchangePass {
  cluster: Cluster;
  /** The status this pass builds; the exchange sets its token and credential fields. */
  status: ClusterStatus;
  endpoint: string;
  token: TokenResolution & { kind: "resolved" };
  tls: TlsMaterial | undefined;
  keypair: ClusterKeypair;
  credentials: Credentials | undefined;
  signal: AbortSignal;
}

export interface ExchangeResult {
  /** The credentials just written. */
  credentials?: Credentials;
  /** Try again this soon. */
  retryMs?: number;
  /** The Cluster as the post-registration patch left it. */
  patched?: Cluster;
}

export async function exchangeIfDue(deps: ExchangeDeps, memory: ClusterMemory, pass: ExchangePass, onRegistered: () => void): Promise<ExchangeResult> {
const { cluster, status, endpoint, token, tls, keypair, credentials, signal } = pass;
  const decision = registrationStep({ cluster, status, token, endpoint, hasCredentials: credentials !== undefined }, memory);
  switch (decision.kind) {
    case "current":
    case "blocked":
      return {};
    case "adopt":
      status.observedToken = token.fingerprint;
      return {};
    case "exchanged": {
      status.observedToken = token.fingerprint;
      const patched = decision.removeAnnotation ? await patchAfterRegistration(deps.client, cluster, credentials?.clusterId ?? "") : undefined;
      return patched ? { patched } : {};
    }
  }
  const body = { ...(decision.clusterId ? { clusterId: decision.clusterId } : {}), ...(deps.config.wireExtensions ? { publicKey: keypair.publicJwk } : {}) };
  const outcome = await deps.register(endpoint, token.token, body, tls, deps.metrics);
  if (signal.aborted) return {};
  const { verdict, memory: remembered } = exchangeVerdict(outcome, decision.inputs, credentials !== undefined);
  Object.assign(memory, remembered);
  if (verdict.kind === "retry") return { retryMs: verdict.retryAfterMs ?? memory.registrationBackoff.next() };
  if (verdict.kind === "keep-credentials") {
    deps.logger.warn({ token: token.fingerprint }, "register answered 401 while valid credentials exist; keeping them");
    return {};
  }
  if (verdict.kind === "failed") {
    deps.events.record(cluster, { type: "Warning", reason: "RegistrationFailed", action: "Register", note: verdict.message });
    return {};
  }
  if (outcome.kind !== "registered") return {};
  memory.registrationBackoff.reset();
  const now = new Date();
  const existing = await readSecret(deps.client, deps.namespace, deps.config.credentialsSecret);
  const written = credentialsSecret(deps.config.credentialsSecret, deps.namespace, cluster, endpoint, outcome.response, now);
  const stored = await writeSecret(deps.client, written.secret, existing);
  const registered: Credentials = { ...written.credentials, ...(stored.metadata.resourceVersion ? { resourceVersion: stored.metadata.resourceVersion } : {}), issuedAt: formatTime(now) };
  const patched = await patchAfterRegistration(deps.client, cluster, outcome.response.clusterId);
  status.observedToken = token.fingerprint;
  status.credentialsSecretRef = { name: deps.config.credentialsSecret, namespace: deps.namespace };
  status.credentialStatus = {
    secretName: deps.config.credentialsSecret,
    secretNamespace: deps.namespace,
    registeredAt: formatTime(now),
    registrationTokenConsumed: true,
    ...(outcome.response.expiresAt ? { expiresAt: formatTime(Date.parse(outcome.response.expiresAt)) } : {}),
  };
  memory.registration = { state: "exchanged" };
  memory.registered = { observedToken: status.observedToken, credentialsSecretRef: status.credentialsSecretRef, credentialStatus: { ...status.credentialStatus } };
  memory.exchangedAt = cluster.metadata.resourceVersion;
  memory.exchangedToken = token.fingerprint;
  onRegistered();
  deps.logger.info({ clusterId: outcome.response.clusterId, token: tokenFingerprint(outcome.response.token) }, "registered with the control plane");
  deps.events.record(cluster, { type: "Normal", reason: "Registered", action: "Register", note: `registered as cluster ${outcome.response.clusterId}` });
  return { credentials: registered, ...(patched ? { patched } : {}) };
}

/** docs/connectivity.md#registration step 4: fill an empty clusterId, clear the inline token, remove the re-register annotation. */
async function patchAfterRegistration(client: Pick<KubeClient, "patch">, cluster: Cluster, clusterId: string): Promise<Cluster | undefined> {
  const spec: Record<string, unknown> = {};
  if (!cluster.spec.clusterId && clusterId) spec.clusterId = clusterId;
  if (cluster.spec.registrationToken) spec.registrationToken = null;
  const annotated = cluster.metadata.annotations?.[ANNOTATION_ROTATE_CREDENTIALS] !== undefined;
  if (Object.keys(spec).length === 0 && !annotated) return undefined;
  const body = { ...(Object.keys(spec).length > 0 ? { spec } : {}), ...(annotated ? { metadata: { annotations: { [ANNOTATION_ROTATE_CREDENTIALS]: null } } } : {}) };
  return client.patch<Cluster>(CLUSTER, cluster.metadata.name, { type: "merge", body });
}
