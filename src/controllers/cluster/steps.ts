/**
 * The Cluster reconciler's decisions, pure: observed state and memory in, what to do out. The reconciler
 * (./reconciler.ts) gathers the state, applies the memory updates and performs the writes.
 */
import type { Cluster, ClusterPhase, ClusterStatus, ConnectivityMode } from "../../api/cluster";
import { ANNOTATION_ALLOWED_TYPES } from "../../api/labels";
import type { Credentials, Secret } from "../../agent/credentials/credentials";
import type { TlsResolution } from "../../agent/credentials/tls";
import type { RotationTrigger } from "../../agent/status/rotation";
import { findCondition } from "../../kube/conditions";
import type { EventInput } from "../../kube/events";
import type { Condition, KubeObject } from "../../kube/types";
import { parseTrustedKeys, TrustedKeysError, type TrustedKeySet } from "../../security";
import type { ClusterMemory } from "./memory";
import type { TokenResolution } from "./registration";

/** Heartbeat interval, status refresh and health re-check period. */
export function intervalMs(cluster: Cluster, overrideMs: number | undefined): number {
  return overrideMs ?? (cluster.spec?.heartbeatIntervalSeconds ?? 30) * 1000;
}

/** Why the driver must pause although credentials exist. */
export function credentialProblems(cluster: Cluster, credentials: Credentials | undefined, rotating: boolean, now: Date): { mismatch?: string; expired?: string } {
  const clusterId = cluster.spec?.clusterId;
  const mismatch = credentials && clusterId && clusterId !== credentials.clusterId ? "spec.clusterId differs from the registered cluster id; re-registration is required" : undefined;
  const expired = credentials?.expiresAt && Date.parse(credentials.expiresAt) < now.getTime() && !rotating ? "the agent token passed token-expires-at without a successful rotation" : undefined;
  return { ...(mismatch ? { mismatch } : {}), ...(expired ? { expired } : {}) };
}

export interface RotationInput {
  cluster: Cluster;
  credentials: Credentials | undefined;
  driver: { running: boolean; rotating: boolean; paused: boolean };
  now: Date;
}

/**
 * The rotation to start on this pass, if any: first announcing a regenerated keypair, then one per generation
 * that sets `spec.rotateCredentials` (the cache can still show the flag after the confirmed rotation reset
 * it), then the last fifth of the token's lifetime.
 */
export function rotationDue(input: RotationInput, memory: ClusterMemory): { trigger: RotationTrigger; memory: Partial<ClusterMemory> } | undefined {
  const { cluster, credentials, driver, now } = input;
  if (!driver.running || !credentials || driver.rotating || driver.paused) return undefined;
  if (!memory.keypairAnnounced) return { trigger: "keypair", memory: { keypairAnnounced: true } };
  if (cluster.spec.rotateCredentials && memory.specRotationGeneration !== cluster.metadata.generation) {
    return { trigger: "spec", memory: { specRotationGeneration: cluster.metadata.generation } };
  }
  if (credentials.expiresAt && credentials.issuedAt) {
    const expires = Date.parse(credentials.expiresAt);
    const issued = Date.parse(credentials.issuedAt);
    if (expires > issued && expires - now.getTime() <= (expires - issued) * 0.2 && expires > now.getTime()) return { trigger: "expiry", memory: {} };
  }
  return undefined;
}

/** Whether the cached ControllersHealthy verdict is too old to use. */
export function healthCheckDue(memory: ClusterMemory, nowMs: number, periodMs: number): boolean {
  return !memory.health || nowMs - memory.health.at >= periodMs;
}

export interface TrustedKeysFact {
  keys: TrustedKeySet | undefined;
  available: boolean;
  message: string;
}

/** The job-signing keys: from the Secret the spec names, else the JWKS of the registration response. */
export function trustedKeysOf(cluster: Cluster, credentials: Credentials | undefined, secret: (name: string) => Secret | undefined): TrustedKeysFact {
  const ref = cluster.spec.security?.payloadSigning?.trustedKeysSecretRef;
  const value = ref?.name ? secret(ref.name)?.data?.[ref.key ?? "jwks.json"] : undefined;
  const source = ref?.name ? (value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8")) : credentials?.jwks;
  const origin = ref?.name ? `Secret ${ref.name}` : "the registration response";
  if (!source) return { keys: undefined, available: false, message: `no trusted signing keys (${origin})` };
  try {
    const keys = parseTrustedKeys(source);
    if (keys.keys.length === 0) return { keys, available: false, message: `no usable signing key in ${origin}` };
    return { keys, available: true, message: `${keys.keys.length} trusted signing keys from ${origin}` };
  } catch (err) {
    return { keys: undefined, available: false, message: err instanceof TrustedKeysError ? `${origin}: ${err.message}` : `${origin} unreadable` };
  }
}

/** Configuration warnings as Kubernetes Events: a deprecated inline token and a plain-HTTP endpoint once each, an expiring client certificate every pass. */
export function configurationWarnings(endpoint: string | undefined, tls: TlsResolution, token: TokenResolution, memory: ClusterMemory): { events: EventInput[]; memory: Partial<ClusterMemory> } {
  const events: EventInput[] = [];
  const remembered: Partial<ClusterMemory> = {};
  if (token.kind === "resolved" && token.source === "inline" && memory.deprecatedWarned !== token.fingerprint) {
    remembered.deprecatedWarned = token.fingerprint;
    events.push({ type: "Warning", reason: "DeprecatedField", action: "Register", note: "spec.registrationToken is deprecated; use registrationTokenSecretRef" });
  }
  if (endpoint && tls.ok && tls.insecure && memory.insecureWarned !== endpoint) {
    remembered.insecureWarned = endpoint;
    events.push({ type: "Warning", reason: "InsecureControlPlaneEndpoint", action: "Connect", note: "the control-plane endpoint uses http://; traffic is not encrypted" });
  }
  if (tls.ok && tls.expiresWithinDays !== undefined) {
    events.push({ type: "Warning", reason: "ClientCertificateExpiring", action: "Connect", note: `the mTLS client certificate expires in ${tls.expiresWithinDays} days` });
  }
  return { events, memory: remembered };
}

/** Kubernetes Events for condition transitions (docs/connectivity.md#kubernetes-events-on-the-cluster). */
export function transitionEvents(before: readonly Condition[] | undefined, after: readonly Condition[]): EventInput[] {
  const events: EventInput[] = [];
  const was = findCondition(before, "Disconnected");
  const now = findCondition(after, "Disconnected");
  if (now?.status === "True" && was?.status !== "True") events.push({ type: "Warning", reason: "Disconnected", action: "Heartbeat", note: now.message });
  if (now?.status === "False" && was?.status === "True") events.push({ type: "Normal", reason: "Reconnected", action: "Heartbeat", note: "heartbeat answered again" });
  const auth = findCondition(after, "Authenticated");
  const authBefore = findCondition(before, "Authenticated");
  if (auth?.reason === "CredentialRejected" && authBefore?.reason !== "CredentialRejected") {
    events.push({ type: "Warning", reason: "CredentialRejected", action: "Authenticate", note: auth.message });
  }
  return events;
}

/** The `connectivity_state` gauge: 1 connected, 0 reconnecting or registering, -1 otherwise. */
export function connectivityState(phase: ClusterPhase, heartbeatMisses: number): number {
  if (phase === "Connected" && heartbeatMisses === 0) return 1;
  return phase === "Connected" || phase === "Registering" ? 0 : -1;
}

/**
 * A switch of `spec.connectivityMode` (docs/connectivity.md#mixed-fleets-and-changing-mode): the Normal Event to emit when the
 * mode in effect (remembered, else the one status last recorded) differs from the one asked for.
 */
export function modeSwitch(inEffect: ConnectivityMode | undefined, wanted: ConnectivityMode): EventInput | undefined {
  if (!inEffect || inEffect === wanted) return undefined;
  return { type: "Normal", reason: "ConnectivityModeChanged", action: "SwitchMode", note: `connectivity mode changed from ${inEffect} to ${wanted}` };
}

/** `status.managedNamespaces`: the gated namespaces by name, with the operation types their annotation allows. */
export function managedNamespaces(namespaces: readonly KubeObject[], isGated: (name: string) => boolean, pushAccess: (name: string) => boolean): NonNullable<ClusterStatus["managedNamespaces"]> {
  return namespaces
    .filter((namespace) => isGated(namespace.metadata.name))
    .map((namespace) => {
      const types = namespace.metadata.annotations?.[ANNOTATION_ALLOWED_TYPES];
      const allowedOperationTypes = types ? types.split(",").map((type) => type.trim()).filter(Boolean) : [];
      return { name: namespace.metadata.name, allowedOperationTypes, pushAccess: pushAccess(namespace.metadata.name) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The credential fields of status after this pass: the rotation the driver saw and the stored token's expiry. */
export function credentialStatusOf(status: ClusterStatus, credentials: Credentials | undefined, lastRotatedAt: string | undefined, format: (ms: number) => string): ClusterStatus["credentialStatus"] {
  const current = status.credentialStatus;
  if (!current) return undefined;
  const next = { ...current };
  if (lastRotatedAt) next.lastRotatedAt = lastRotatedAt;
  if (credentials) {
    if (credentials.expiresAt) next.expiresAt = format(Date.parse(credentials.expiresAt));
    else delete next.expiresAt;
  }
  return next;
}

/**
 * A Secret the operator wrote for another Cluster (one since deleted or replaced, its garbage collection
 * pending) does not belong to this one; Secrets without a Cluster owner (written by hand) are used.
 */
export function ownSecret(secret: Secret | undefined, cluster: Cluster, clusterKind: string): Secret | undefined {
  const owner = secret?.metadata.ownerReferences?.find((reference) => reference.kind === clusterKind && reference.controller);
  return owner && owner.uid !== cluster.metadata.uid ? undefined : secret;
}
