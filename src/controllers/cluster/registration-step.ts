/**
 * Whether the honoured Cluster's registration token is to be exchanged on this pass, and what an exchange's
 * outcome means for status and memory (docs/connectivity.md#registration). Pure: the reconciler makes the call
 * and the writes.
 */
import type { Cluster, ClusterStatus } from "../../api/cluster";
import type { ClusterMemory } from "./memory";
import { registrationInputsKey, reRegisterRequested, type RegisterOutcome, type TokenResolution } from "./registration";

export interface RegistrationInput {
  cluster: Cluster;
  /** The status as this pass builds it (observedToken, credentialStatus). */
  status: Pick<ClusterStatus, "observedToken" | "credentialStatus">;
  token: TokenResolution & { kind: "resolved" };
  endpoint: string;
  hasCredentials: boolean;
}

export type RegistrationDecision =
  /** Credentials exist from an exchange this status already records as consumed: adopt them, exchange nothing. */
  | { kind: "adopt" }
  /** The token in status is the current one and no re-registration is asked for. */
  | { kind: "current" }
  /** This token was exchanged already; an annotation asking for it is only to be removed. */
  | { kind: "exchanged"; removeAnnotation: boolean }
  /** The same inputs were refused before: wait for one of them to change. */
  | { kind: "blocked" }
  | { kind: "exchange"; inputs: string; clusterId: string | undefined };

export function registrationStep(input: RegistrationInput, memory: ClusterMemory): RegistrationDecision {
  const { cluster, status, token, endpoint, hasCredentials } = input;
  const annotation = reRegisterRequested(cluster);
  if (!status.observedToken && status.credentialStatus?.registrationTokenConsumed && hasCredentials && !annotation) return { kind: "adopt" };
  if (token.fingerprint === status.observedToken && !annotation) return { kind: "current" };
  // The cache may not show our own writes yet: never exchange twice for what was seen at one version.
  if (memory.exchangedAt === cluster.metadata.resourceVersion) return { kind: "exchanged", removeAnnotation: false };
  // A one-time token cannot be exchanged again; an annotation that arrived after the exchange asked for exactly it.
  if (memory.exchangedToken === token.fingerprint) return { kind: "exchanged", removeAnnotation: annotation };
  const inputs = registrationInputsKey(token, endpoint, annotation);
  if (memory.blockedRegistration === inputs) return { kind: "blocked" };
  return { kind: "exchange", inputs, clusterId: cluster.spec.clusterId?.trim() || undefined };
}

export type ExchangeVerdict =
  /** Try again later: after Retry-After when the control plane sent one, else after the backoff. */
  | { kind: "retry"; retryAfterMs: number | undefined }
  /** 401 while valid credentials exist: keep using them, do not try these inputs again. */
  | { kind: "keep-credentials" }
  /** Refused: the Cluster shows RegistrationFailed until the inputs change. */
  | { kind: "failed"; message: string }
  | { kind: "registered" };

/** The verdict on an exchange's outcome and the memory it leaves; the registered case's memory is the caller's (it needs the written Secret). */
export function exchangeVerdict(outcome: RegisterOutcome, inputs: string, hasCredentials: boolean): { verdict: ExchangeVerdict; memory: Partial<ClusterMemory> } {
  if (outcome.kind === "retry") return { verdict: { kind: "retry", retryAfterMs: outcome.retryAfterMs }, memory: { registration: { state: "pending", message: outcome.message } } };
  if (outcome.kind === "refused") {
    if (hasCredentials && outcome.status === 401) return { verdict: { kind: "keep-credentials" }, memory: { blockedRegistration: inputs } };
    return { verdict: { kind: "failed", message: outcome.message }, memory: { blockedRegistration: inputs, registration: { state: "failed", message: outcome.message } } };
  }
  return { verdict: { kind: "registered" }, memory: {} };
}
