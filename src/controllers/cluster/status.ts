/**
 * Phase and conditions of the honoured Cluster (docs/connectivity.md#phase, docs/connectivity.md#cluster-conditions), pure: facts gathered by the
 * reconciler and the agent's observations in, the status fields the controller owns out. Messages never carry
 * tokens, key material or payload content.
 */
import type { ClusterPhase, ConnectivityMode } from "../../api/cluster";
import { setCondition } from "../../kube/conditions";
import type { Condition, ConditionStatus } from "../../kube/types";
import type { AgentObservations } from "../../agent/transport/state";

export type RegistrationFact =
  | { state: "none" }
  | { state: "pending"; message: string }
  | { state: "failed"; message: string }
  | { state: "exchanged" };

export interface ClusterFacts {
  mode: ConnectivityMode;
  previousPhase: ClusterPhase | undefined;
  previousConditions: readonly Condition[] | undefined;
  generation: number | undefined;
  now: Date;
  hasCredentials: boolean;
  tokenResolvable: boolean;
  tokenSecretMissing: boolean;
  registration: RegistrationFact;
  tlsInvalid?: string;
  clusterIdMismatch?: string;
  expired?: string;
  /** Undefined while no agent runs. */
  agent: (AgentObservations & { paused: boolean }) | undefined;
  controllersHealthy: { status: ConditionStatus; reason: string; message: string };
  signingMode: "disabled" | "warn" | "enforce";
  trustedKeys: { available: boolean; message: string };
  keypairReady: boolean;
}

export interface ClusterStatusView {
  phase: ClusterPhase;
  conditions: Condition[];
}

type Set = { type: string; status: ConditionStatus; reason: string; message?: string };

export function clusterStatus(facts: ClusterFacts): ClusterStatusView {
  const sets: Set[] = [];
  const agent = facts.agent;
  const heartbeat = agent?.heartbeat;
  const auth = authCondition(facts);
  sets.push(auth);
  sets.push(connectedCondition(facts));
  const disconnected = facts.mode !== "gitops" && (heartbeat?.misses ?? 0) >= 3;
  sets.push(disconnectedCondition(facts, disconnected));
  sets.push({ type: "ControllersHealthy", ...facts.controllersHealthy });
  sets.push(
    agent?.overflow.active
      ? { type: "BufferOverflow", status: "True", reason: "EventBufferFull", message: `${agent.overflow.dropped} events dropped` }
      : { type: "BufferOverflow", status: "False", reason: "BufferDrained", message: "no events dropped since the last resync" },
  );
  const verified = payloadsVerified(facts);
  if (verified) sets.push(verified);
  sets.push(payloadsEncrypted(facts));
  sets.push({ type: "Ignored", status: "False", reason: "Honoured", message: "this Cluster is the one the operator acts on" });

  let conditions = (facts.previousConditions ?? []).filter((condition) => condition.type !== "PayloadsVerified" || verified !== undefined);
  for (const set of sets) conditions = setCondition(conditions, set, facts.generation, facts.now);
  return { phase: phaseOf(facts, auth, disconnected), conditions };
}

/**
 * Whether the Cluster has a status channel: Pull always needs one; Push and GitOps only once credentials
 * exist or a registration token is configured (docs/connectivity.md#push-mode).
 */
export function hasStatusChannel(facts: Pick<ClusterFacts, "mode" | "hasCredentials" | "tokenResolvable" | "tokenSecretMissing" | "registration">): boolean {
  return facts.mode === "pull" || facts.hasCredentials || facts.tokenResolvable || facts.tokenSecretMissing || facts.registration.state !== "none";
}

function disconnectedCondition(facts: ClusterFacts, disconnected: boolean): Set {
  if (facts.mode === "gitops") return { type: "Disconnected", status: "False", reason: "GitOpsMode", message: "GitOps mode: Flux applies the desired state, no link to lose" };
  if (!hasStatusChannel(facts)) return { type: "Disconnected", status: "False", reason: "StatusChannelDisabled", message: "Push mode without agent credentials: no status channel" };
  if (disconnected) return { type: "Disconnected", status: "True", reason: "NoRecentRoundTrip", message: `${facts.agent?.heartbeat.misses} consecutive heartbeats missed` };
  return { type: "Disconnected", status: "False", reason: "Connected", message: "" };
}

function authCondition(facts: ClusterFacts): Set {
  const auth = facts.agent?.auth;
  if (facts.clusterIdMismatch) return { type: "Authenticated", status: "False", reason: "CredentialRejected", message: facts.clusterIdMismatch };
  if (auth?.state === "rotation-failed") return { type: "Authenticated", status: "False", reason: "RotationFailed", message: auth.message };
  if (facts.expired) return { type: "Authenticated", status: "False", reason: "CredentialExpired", message: facts.expired };
  if (auth?.state === "rejected") return { type: "Authenticated", status: "False", reason: "CredentialRejected", message: auth.message };
  if (facts.registration.state === "failed") return { type: "Authenticated", status: "False", reason: "RegistrationFailed", message: facts.registration.message };
  if (!facts.hasCredentials) {
    if (facts.tokenSecretMissing) return { type: "Authenticated", status: "False", reason: "TokenSecretMissing", message: "the registration token Secret does not resolve" };
    if (!hasStatusChannel(facts)) return { type: "Authenticated", status: "False", reason: "CredentialMissing", message: `${facts.mode} mode without agent credentials: no status channel configured` };
    if (!facts.tokenResolvable) return { type: "Authenticated", status: "False", reason: "CredentialMissing", message: "no credentials and no registration token" };
    return { type: "Authenticated", status: "False", reason: "CredentialMissing", message: "registration not completed yet" };
  }
  if (auth?.state === "accepted") return { type: "Authenticated", status: "True", reason: "CredentialAccepted", message: "the control plane accepts the agent credential" };
  const previous = facts.previousConditions?.find((condition) => condition.type === "Authenticated");
  if (previous?.status === "True") return { type: "Authenticated", status: "True", reason: previous.reason, message: previous.message };
  return { type: "Authenticated", status: "True", reason: "RegistrationComplete", message: "registration token exchanged for a credential" };
}

function connectedCondition(facts: ClusterFacts): Set {
  const heartbeat = facts.agent?.heartbeat;
  if (facts.tlsInvalid) return { type: "Connected", status: "False", reason: "TLSConfigInvalid", message: facts.tlsInvalid };
  if (facts.agent?.paused && (facts.agent.auth?.state === "rejected" || facts.clusterIdMismatch)) {
    return { type: "Connected", status: "False", reason: "CredentialRejected", message: "agent paused until the credentials Secret or the Cluster changes" };
  }
  if (!facts.hasCredentials) {
    if (facts.tokenResolvable || facts.registration.state !== "none") {
      const message = facts.registration.state === "pending" || facts.registration.state === "failed" ? facts.registration.message : "waiting for the registration token";
      return { type: "Connected", status: "False", reason: "RegistrationPending", message };
    }
    if (facts.tokenSecretMissing) return { type: "Connected", status: "False", reason: "RegistrationPending", message: "the registration token Secret does not resolve" };
    if (!hasStatusChannel(facts)) return { type: "Connected", status: "Unknown", reason: "StatusChannelDisabled", message: `${facts.mode} mode without agent credentials: no status channel` };
    return { type: "Connected", status: "False", reason: "CredentialMissing", message: "no credentials Secret and no registration token" };
  }
  if (heartbeat && heartbeat.misses >= 3) {
    const reason = heartbeat.lastMissTls ? "TLSHandshakeFailed" : "ControlPlaneUnreachable";
    return { type: "Connected", status: "False", reason, message: `${heartbeat.misses} consecutive heartbeats missed` };
  }
  if (heartbeat?.completed) {
    const message = heartbeat.misses > 0 ? `last heartbeat answered; ${heartbeat.misses} missed since` : "heartbeat answered";
    return { type: "Connected", status: "True", reason: "RoundTripOK", message };
  }
  const previous = facts.previousConditions?.find((condition) => condition.type === "Connected");
  if (previous && previous.status === "True") return { type: "Connected", status: "True", reason: previous.reason, message: previous.message };
  return { type: "Connected", status: "True", reason: "ControlPlaneReachable", message: "registration succeeded" };
}

function payloadsVerified(facts: ClusterFacts): Set | undefined {
  if (facts.signingMode === "disabled") return undefined;
  if (!facts.trustedKeys.available) return { type: "PayloadsVerified", status: "False", reason: "TrustedKeysUnavailable", message: facts.trustedKeys.message };
  const last = facts.agent?.signature;
  if (!last) return { type: "PayloadsVerified", status: "True", reason: "TrustedKeysLoaded", message: facts.trustedKeys.message };
  return { type: "PayloadsVerified", status: last.ok ? "True" : "False", reason: last.reason, message: last.message };
}

function payloadsEncrypted(facts: ClusterFacts): Set {
  const last = facts.agent?.encryption;
  if (last && !last.ok) return { type: "PayloadsEncrypted", status: "False", reason: last.reason, message: last.message };
  if (!facts.keypairReady) return { type: "PayloadsEncrypted", status: "False", reason: "JobPayloadDecryptionFailed", message: "the cluster keypair is not available" };
  return { type: "PayloadsEncrypted", status: "True", reason: "KeypairReady", message: "keypair present and published" };
}

function phaseOf(facts: ClusterFacts, auth: Set, disconnected: boolean): ClusterPhase {
  const authFailed = auth.status === "False" && ["RegistrationFailed", "CredentialRejected", "CredentialExpired", "RotationFailed"].includes(auth.reason);
  if (facts.tlsInvalid || authFailed) return "Error";
  // Nothing whose loss matters: Flux or the control plane's own writes carry the desired state.
  if (facts.mode !== "pull" && !hasStatusChannel(facts)) return "Active";
  if (facts.mode === "gitops") return facts.hasCredentials ? "Active" : "Pending";
  // Until a first exchange there is nothing to be connected with; registration retries keep this phase.
  if (!facts.hasCredentials) return "Pending";
  if (disconnected) return "Disconnected";
  if (facts.agent?.heartbeat.completed) return "Connected";
  if (facts.previousPhase === "Connected" || facts.previousPhase === "Disconnected") return facts.previousPhase;
  return "Registering";
}
