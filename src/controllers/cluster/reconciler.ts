/**
 * The Cluster reconciler (docs/connectivity.md#the-cluster-resource, docs/connectivity.md#the-pull-agent): one pass over every Cluster. Non-honoured objects are marked
 * Ignored; the honoured one gets its finalizer, keypair, registration, TLS material and agent, and a status
 * computed from those facts and the agent's observations. The only writer of Cluster status.
 */
import { decodeCluster, type Cluster, type ClusterPhase, type ClusterStatus } from "../../api/cluster";
import { CLUSTER } from "../../api/groups";
import { ANNOTATION_ALLOWED_TYPES, ANNOTATION_ROTATE_CREDENTIALS } from "../../api/labels";
import { Agent } from "../../agent/agent";
import type { AgentConfig } from "../../agent/config";
import { credentialsFromSecret, type Credentials, type Secret } from "../../agent/credentials/credentials";
import type { AgentMetrics } from "../../observability/agent-metrics";
import { fullJitterBackoff } from "../../agent/transport/retry";
import { resolveTls } from "../../agent/credentials/tls";
import { findCondition, setCondition } from "../../kube/conditions";
import type { KubeClient } from "../../kube/client";
import type { Discovery } from "../../kube/discovery";
import type { EventRecorder } from "../../kube/events";
import { addFinalizer, isDeleting, removeFinalizer } from "../../kube/owners";
import type { StatusWriter } from "../../kube/status";
import { formatTime } from "../../kube/time";
import type { KubeObject, ResourceType } from "../../kube/types";
import type { WorkResult } from "../../kube/workqueue";
import type { SharedView } from "../../manager/informers";
import type { NamespaceGate } from "../../manager/namespace-gate";
import type { Logger } from "../../observability/logger";
import { tokenFingerprint, parseTrustedKeys, TrustedKeysError, type ClusterKeypair, type TrustedKeySet } from "../../security";
import { controllersHealthy, type HealthVerdict } from "./health";
import { honouredCluster } from "../../api/honoured-cluster";
import { ensureKeypair } from "./keypair";
import { credentialsSecret, endpointOf, register, registrationInputsKey, reRegisterRequested, resolveToken, type TokenResolution } from "./registration";
import { readSecret, writeSecret } from "./secrets";
import { clusterStatus, type RegistrationFact } from "./status";

export interface ClusterReconcilerDeps {
  client: KubeClient;
  discovery: Discovery;
  config: AgentConfig;
  /** The operator namespace. */
  namespace: string;
  clusters: SharedView<KubeObject>;
  secret(name: string): Secret | undefined;
  gate: NamespaceGate;
  managedObjects(): KubeObject[];
  cached(type: ResourceType, namespace: string, name: string): KubeObject | null | undefined;
  status: StatusWriter;
  events: EventRecorder;
  metrics: AgentMetrics;
  logger: Logger;
  /** Re-runs the reconcile (agent observations changed). */
  enqueue(): void;
}

const TERMINATION_FLUSH_MS = 5_000;

export class ClusterReconciler {
  #agent: Agent | undefined;
  #honouredUid: string | undefined;
  #registration: RegistrationFact = { state: "none" };
  #blockedRegistration: string | undefined;
  #exchangedAt: string | undefined;
  #exchangedToken: string | undefined;
  readonly #registrationBackoff = fullJitterBackoff();
  #health: { at: number; verdict: HealthVerdict } | undefined;
  #deprecatedWarned: string | undefined;
  #insecureWarned: string | undefined;
  #keypairAnnounced = true;
  #specRotationGeneration: number | undefined;
  /** What the last exchange recorded in status: kept here so a pass on a stale cached copy cannot drop it. */
  #registered: Pick<ClusterStatus, "observedToken" | "credentialsSecretRef" | "credentialStatus"> | undefined;

  constructor(private readonly deps: ClusterReconcilerDeps) {}

  async reconcile(signal: AbortSignal): Promise<WorkResult | void> {
    const all = this.deps.clusters.list() as Cluster[];
    const honoured = honouredCluster(all);
    for (const other of all) if (other !== honoured) await this.#markIgnored(other, honoured!, signal);
    if (!honoured) {
      await this.stop();
      return;
    }
    if (this.#honouredUid !== honoured.metadata.uid) {
      await this.stop();
      this.#honouredUid = honoured.metadata.uid;
      this.#registration = { state: "none" };
      this.#blockedRegistration = undefined;
      this.#exchangedAt = undefined;
      this.#exchangedToken = undefined;
      this.#registered = undefined;
    }
    if (isDeleting(honoured)) return this.#terminate(honoured, signal);
    const current = await addFinalizer(this.deps.client, CLUSTER, honoured, CLUSTER.finalizer);
    return this.#reconcileHonoured(current, signal);
  }

  /** Condition changes of a managed object, for the agent's event sender. */
  observe(previous: KubeObject | undefined, current: KubeObject): void {
    this.#agent?.observe(previous, current);
  }

  /** Stops the agent (operator shutdown or no honoured Cluster). */
  async stop(): Promise<void> {
    const agent = this.#agent;
    this.#agent = undefined;
    await agent?.stop(TERMINATION_FLUSH_MS);
  }

  async #reconcileHonoured(stored: Cluster, signal: AbortSignal): Promise<WorkResult | void> {
    const { deps } = this;
    const decoded = decodeCluster(stored);
    const cluster: Cluster = decoded.ok ? { ...decoded.value, metadata: stored.metadata } : stored;
    const spec = cluster.spec ?? {};
    const now = new Date();
    const endpoint = endpointOf(spec);
    const token = resolveToken(spec, deps.secret);
    const tls = endpoint ? resolveTls(spec, endpoint, deps.secret, now) : ({ ok: true, tls: undefined, insecure: false } as const);
    const status: ClusterStatus = { ...(cluster.status ?? {}) };
    let requeueMs = this.#intervalMs(cluster);

    this.#warnOnce(cluster, endpoint, tls, token);
    const keypair = await this.#keypair(cluster);
    status.publicKey = keypair.publicJwk;

    let credentials = credentialsFromSecret(ownSecret(deps.secret(deps.config.credentialsSecret), cluster));
    let written: Cluster = cluster;
    if (endpoint && token.kind === "resolved" && tls.ok) {
      const registered = await this.#registerIfNeeded(cluster, status, endpoint, token, tls.tls, keypair, credentials, signal);
      if (registered.credentials) credentials = registered.credentials;
      if (registered.patched) written = registered.patched;
      if (registered.retryMs !== undefined) requeueMs = Math.min(requeueMs, registered.retryMs);
    }
    if (this.#registered) Object.assign(status, this.#registered, { credentialStatus: { ...status.credentialStatus, ...this.#registered.credentialStatus } });

    const mismatch = credentials && spec.clusterId && spec.clusterId !== credentials.clusterId
      ? `spec.clusterId differs from the registered cluster id; re-registration is required`
      : undefined;
    const expired = credentials?.expiresAt && Date.parse(credentials.expiresAt) < now.getTime() && !this.#agent?.rotation.running
      ? "the agent token passed token-expires-at without a successful rotation"
      : undefined;
    const trusted = this.#trustedKeys(cluster, credentials);

    if (credentials && tls.ok) {
      await this.#runAgent(cluster, credentials, tls.tls, trusted.keys, keypair);
      if (mismatch || expired) this.#agent?.state.pause(mismatch ? "ClusterIdMismatch" : "CredentialExpired");
    } else {
      await this.stop();
    }
    this.#triggerRotations(cluster, credentials, now);

    const verdict = await this.#healthVerdict(cluster, signal);
    const agent = this.#agent;
    const view = clusterStatus({
      previousPhase: cluster.status?.phase,
      previousConditions: cluster.status?.conditions as never,
      generation: cluster.metadata.generation,
      now,
      hasCredentials: credentials !== undefined,
      tokenResolvable: token.kind === "resolved",
      tokenSecretMissing: token.kind === "missing",
      registration: this.#registration,
      ...(tls.ok ? {} : { tlsInvalid: tls.message }),
      ...(mismatch ? { clusterIdMismatch: mismatch } : {}),
      ...(expired ? { expired } : {}),
      agent: agent ? { ...agent.state.observations, paused: agent.state.paused } : undefined,
      controllersHealthy: verdict,
      signingMode: spec.security?.payloadSigning?.mode ?? "warn",
      trustedKeys: trusted,
      keypairReady: true,
    });
    status.phase = view.phase;
    status.conditions = view.conditions;
    status.connectivityMode = spec.connectivityMode ?? "pull";
    const lastHeartbeat = agent?.state.observations.heartbeat.lastHeartbeat;
    if (lastHeartbeat) status.lastHeartbeat = lastHeartbeat;
    if (agent?.state.observations.lastRotatedAt && status.credentialStatus) status.credentialStatus.lastRotatedAt = agent.state.observations.lastRotatedAt;
    if (credentials && status.credentialStatus) {
      if (credentials.expiresAt) status.credentialStatus.expiresAt = formatTime(Date.parse(credentials.expiresAt));
      else delete status.credentialStatus.expiresAt;
    }
    status.managedNamespaces = this.#managedNamespaces();
    this.#recordTransitions(cluster, cluster.status?.conditions as never, view.conditions);
    this.#recordMetrics(view.phase, credentials, now);
    await deps.status.apply(CLUSTER, written, status as Record<string, unknown>, { signal });
    return { requeueAfterMs: requeueMs };
  }

  async #registerIfNeeded(
    cluster: Cluster,
    status: ClusterStatus,
    endpoint: string,
    token: TokenResolution & { kind: "resolved" },
    tls: Parameters<typeof register>[3],
    keypair: ClusterKeypair,
    credentials: Credentials | undefined,
    signal: AbortSignal,
  ): Promise<{ credentials?: Credentials; retryMs?: number; patched?: Cluster }> {
    const { deps } = this;
    const annotation = reRegisterRequested(cluster);
    if (!status.observedToken && status.credentialStatus?.registrationTokenConsumed && credentials && !annotation) {
      status.observedToken = token.fingerprint; // adoption: nothing to exchange
      return {};
    }
    if (token.fingerprint === status.observedToken && !annotation) return {};
    // The cache may not show our own writes yet: never exchange twice for what was seen at one version.
    if (this.#exchangedAt === cluster.metadata.resourceVersion) {
      status.observedToken = token.fingerprint;
      return {};
    }
    // This token was exchanged already (a one-time token cannot be exchanged again); an annotation that
    // arrived after that exchange asked for exactly it, so it is only removed.
    if (this.#exchangedToken === token.fingerprint) {
      status.observedToken = token.fingerprint;
      const patched = annotation ? await this.#patchAfterRegistration(cluster, credentials?.clusterId ?? "") : undefined;
      return patched ? { patched } : {};
    }
    const inputs = registrationInputsKey(token, endpoint, annotation);
    if (this.#blockedRegistration === inputs) return {};
    const clusterId = cluster.spec.clusterId?.trim() || undefined;
    const outcome = await register(endpoint, token.token, { ...(clusterId ? { clusterId } : {}), ...(deps.config.wireExtensions ? { publicKey: keypair.publicJwk } : {}) }, tls, deps.metrics);
    if (signal.aborted) return {};
    if (outcome.kind === "retry") {
      this.#registration = { state: "pending", message: outcome.message };
      return { retryMs: outcome.retryAfterMs ?? this.#registrationBackoff.next() };
    }
    if (outcome.kind === "refused") {
      this.#blockedRegistration = inputs;
      if (credentials && outcome.status === 401) {
        deps.logger.warn({ token: token.fingerprint }, "register answered 401 while valid credentials exist; keeping them");
        return {};
      }
      this.#registration = { state: "failed", message: outcome.message };
      deps.events.record(cluster, { type: "Warning", reason: "RegistrationFailed", action: "Register", note: outcome.message });
      return {};
    }
    this.#registrationBackoff.reset();
    const now = new Date();
    const existing = await readSecret(deps.client, deps.namespace, deps.config.credentialsSecret);
    const written = credentialsSecret(deps.config.credentialsSecret, deps.namespace, cluster, endpoint, outcome.response, now);
    const stored = await writeSecret(deps.client, written.secret, existing);
    const registered: Credentials = { ...written.credentials, ...(stored.metadata.resourceVersion ? { resourceVersion: stored.metadata.resourceVersion } : {}), issuedAt: formatTime(now) };
    const patched = await this.#patchAfterRegistration(cluster, outcome.response.clusterId);
    status.observedToken = token.fingerprint;
    status.credentialsSecretRef = { name: deps.config.credentialsSecret, namespace: deps.namespace };
    status.credentialStatus = {
      secretName: deps.config.credentialsSecret,
      secretNamespace: deps.namespace,
      registeredAt: formatTime(now),
      registrationTokenConsumed: true,
      ...(outcome.response.expiresAt ? { expiresAt: formatTime(Date.parse(outcome.response.expiresAt)) } : {}),
    };
    this.#registration = { state: "exchanged" };
    this.#registered = { observedToken: status.observedToken, credentialsSecretRef: status.credentialsSecretRef, credentialStatus: { ...status.credentialStatus } };
    this.#exchangedAt = cluster.metadata.resourceVersion;
    this.#exchangedToken = token.fingerprint;
    if (this.#agent) {
      this.#agent.state.observations.heartbeat = { misses: 0, lastMissTls: false, completed: false };
      this.#agent.state.observations.auth = undefined;
    }
    deps.logger.info({ clusterId: outcome.response.clusterId, token: tokenFingerprint(outcome.response.token) }, "registered with the control plane");
    deps.events.record(cluster, { type: "Normal", reason: "Registered", action: "Register", note: `registered as cluster ${outcome.response.clusterId}` });
    return { credentials: registered, ...(patched ? { patched } : {}) };
  }

  /** docs/connectivity.md#registration step 4: fill an empty clusterId, clear the inline token, remove the re-register annotation. */
  async #patchAfterRegistration(cluster: Cluster, clusterId: string): Promise<Cluster | undefined> {
    const spec: Record<string, unknown> = {};
    if (!cluster.spec.clusterId && clusterId) spec.clusterId = clusterId;
    if (cluster.spec.registrationToken) spec.registrationToken = null;
    const annotated = cluster.metadata.annotations?.[ANNOTATION_ROTATE_CREDENTIALS] !== undefined;
    if (Object.keys(spec).length === 0 && !annotated) return undefined;
    const body = { ...(Object.keys(spec).length > 0 ? { spec } : {}), ...(annotated ? { metadata: { annotations: { [ANNOTATION_ROTATE_CREDENTIALS]: null } } } : {}) };
    return this.deps.client.patch<Cluster>(CLUSTER, cluster.metadata.name, { type: "merge", body });
  }

  async #runAgent(cluster: Cluster, credentials: Credentials, tls: Parameters<typeof register>[3], trustedKeys: TrustedKeySet | undefined, keypair: ClusterKeypair): Promise<void> {
    const inputs = { cluster, credentials, tls, trustedKeys, keypair };
    if (this.#agent && this.#agent.clusterId !== credentials.clusterId) await this.stop();
    if (this.#agent) {
      this.#agent.update(inputs);
      return;
    }
    const { deps } = this;
    const agent = new Agent(
      {
        client: deps.client,
        discovery: deps.discovery,
        config: deps.config,
        namespace: deps.namespace,
        namespaces: { labels: (name) => namespaceLabels(deps.gate, name) },
        managedObjects: deps.managedObjects,
        cached: deps.cached,
        metrics: deps.metrics,
        logger: deps.logger.child({ component: "agent" }),
        readCredentialsSecret: () => readSecret(deps.client, deps.namespace, deps.config.credentialsSecret),
        controllersHealthy: () => (this.#health ? { type: "ControllersHealthy", ...this.#health.verdict } : undefined),
        recordEvent: (type, reason, note) => {
          const honoured = this.deps.clusters.list().find((candidate) => candidate.metadata.uid === this.#honouredUid);
          if (honoured) deps.events.record(honoured, { type, reason, action: "Agent", note });
        },
        onChange: () => deps.enqueue(),
        onRotationConfirmed: async () => {
          const honoured = this.deps.clusters.list().find((candidate) => candidate.metadata.uid === this.#honouredUid) as Cluster | undefined;
          if (honoured?.spec?.rotateCredentials) await deps.client.patch(CLUSTER, honoured.metadata.name, { type: "merge", body: { spec: { rotateCredentials: false } } });
        },
      },
      inputs,
    );
    this.#agent = agent;
    await agent.start();
  }

  #triggerRotations(cluster: Cluster, credentials: Credentials | undefined, now: Date): void {
    const agent = this.#agent;
    if (!agent || !credentials || agent.rotation.running || agent.state.paused) return;
    if (!this.#keypairAnnounced) {
      this.#keypairAnnounced = true;
      void agent.rotate("keypair");
      return;
    }
    // One rotation per generation that asks for it: the cache can still show the flag set after the
    // confirmed rotation reset it. A failed one is retried on a later pass (one interval apart).
    if (cluster.spec.rotateCredentials && this.#specRotationGeneration !== cluster.metadata.generation) {
      this.#specRotationGeneration = cluster.metadata.generation;
      void agent.rotate("spec").then((result) => {
        if (!result.ok) this.#specRotationGeneration = undefined;
      });
      return;
    }
    if (credentials.expiresAt && credentials.issuedAt) {
      const expires = Date.parse(credentials.expiresAt);
      const issued = Date.parse(credentials.issuedAt);
      if (expires > issued && expires - now.getTime() <= (expires - issued) * 0.2 && expires > now.getTime()) void agent.rotate("expiry");
    }
  }

  async #keypair(cluster: Cluster): Promise<ClusterKeypair> {
    const { deps } = this;
    const existing = deps.secret(deps.config.keypairSecret) ?? (await readSecret(deps.client, deps.namespace, deps.config.keypairSecret));
    const { keypair, generated } = await ensureKeypair(deps.client, deps.namespace, deps.config.keypairSecret, cluster, existing, ownSecret(existing, cluster) !== undefined);
    const published = cluster.status?.publicKey?.kid;
    if (generated && published && published !== keypair.publicJwk.kid) this.#keypairAnnounced = false;
    return keypair;
  }

  #trustedKeys(cluster: Cluster, credentials: Credentials | undefined): { keys: TrustedKeySet | undefined; available: boolean; message: string } {
    const ref = cluster.spec.security?.payloadSigning?.trustedKeysSecretRef;
    const source = ref?.name ? (() => {
      const holder = this.deps.secret(ref.name);
      const value = holder?.data?.[ref.key ?? "jwks.json"];
      return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
    })() : credentials?.jwks;
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

  async #healthVerdict(cluster: Cluster, signal: AbortSignal): Promise<HealthVerdict> {
    const interval = this.#intervalMs(cluster);
    if (this.#health && Date.now() - this.#health.at < interval) return this.#health.verdict;
    const verdict = await controllersHealthy(this.deps.client, this.deps.discovery, this.deps.config, signal);
    this.#health = { at: Date.now(), verdict };
    return verdict;
  }

  #intervalMs(cluster: Cluster): number {
    return this.deps.config.heartbeatIntervalOverrideMs ?? (cluster.spec?.heartbeatIntervalSeconds ?? 30) * 1000;
  }

  #managedNamespaces(): NonNullable<ClusterStatus["managedNamespaces"]> {
    return this.deps.gate.view
      .list()
      .filter((namespace) => this.deps.gate.isGated(namespace.metadata.name))
      .map((namespace) => {
        const types = namespace.metadata.annotations?.[ANNOTATION_ALLOWED_TYPES];
        const allowedOperationTypes = types ? types.split(",").map((type) => type.trim()).filter(Boolean) : [];
        return { name: namespace.metadata.name, allowedOperationTypes, pushAccess: false };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  #warnOnce(cluster: Cluster, endpoint: string | undefined, tls: ReturnType<typeof resolveTls>, token: TokenResolution): void {
    const { events } = this.deps;
    if (token.kind === "resolved" && token.source === "inline" && this.#deprecatedWarned !== token.fingerprint) {
      this.#deprecatedWarned = token.fingerprint;
      events.record(cluster, { type: "Warning", reason: "DeprecatedField", action: "Register", note: "spec.registrationToken is deprecated; use registrationTokenSecretRef" });
    }
    if (endpoint && tls.ok && tls.insecure && this.#insecureWarned !== endpoint) {
      this.#insecureWarned = endpoint;
      events.record(cluster, { type: "Warning", reason: "InsecureControlPlaneEndpoint", action: "Connect", note: "the control-plane endpoint uses http://; traffic is not encrypted" });
    }
    if (tls.ok && tls.expiresWithinDays !== undefined) {
      events.record(cluster, { type: "Warning", reason: "ClientCertificateExpiring", action: "Connect", note: `the mTLS client certificate expires in ${tls.expiresWithinDays} days` });
    }
  }

  /** Kubernetes Events for the transitions docs/connectivity.md#kubernetes-events-on-the-cluster names. */
  #recordTransitions(cluster: Cluster, before: Parameters<typeof findCondition>[0], after: Parameters<typeof findCondition>[0]): void {
    const { events } = this.deps;
    const was = findCondition(before, "Disconnected");
    const now = findCondition(after, "Disconnected");
    if (now?.status === "True" && was?.status !== "True") events.record(cluster, { type: "Warning", reason: "Disconnected", action: "Heartbeat", note: now.message });
    if (now?.status === "False" && was?.status === "True") events.record(cluster, { type: "Normal", reason: "Reconnected", action: "Heartbeat", note: "heartbeat answered again" });
    const auth = findCondition(after, "Authenticated");
    const authBefore = findCondition(before, "Authenticated");
    if (auth?.reason === "CredentialRejected" && authBefore?.reason !== "CredentialRejected") {
      events.record(cluster, { type: "Warning", reason: "CredentialRejected", action: "Authenticate", note: auth.message });
    }
    this.#agent?.observe({ ...cluster, status: { conditions: before } }, { ...cluster, status: { conditions: after } });
  }

  #recordMetrics(phase: ClusterPhase, credentials: Credentials | undefined, now: Date): void {
    const { metrics } = this.deps;
    const misses = this.#agent?.state.observations.heartbeat.misses ?? 0;
    const state = phase === "Connected" && misses === 0 ? 1 : phase === "Connected" || phase === "Registering" ? 0 : -1;
    metrics.connectivityState.set({ mode: "pull" }, state);
    if (credentials?.issuedAt) metrics.credentialAge.set(Math.max(0, (now.getTime() - Date.parse(credentials.issuedAt)) / 1000));
  }

  async #markIgnored(cluster: Cluster, honoured: Cluster, signal: AbortSignal): Promise<void> {
    const message = `Cluster ${honoured.metadata.name} is honoured (oldest); this one is ignored`;
    const previous = findCondition(cluster.status?.conditions as never, "Ignored");
    const conditions = setCondition(cluster.status?.conditions as never, { type: "Ignored", status: "True", reason: "DuplicateCluster", message }, cluster.metadata.generation, new Date());
    if (previous?.status !== "True") this.deps.events.record(cluster, { type: "Warning", reason: "DuplicateCluster", action: "Select", note: message });
    if (isDeleting(cluster)) await removeFinalizer(this.deps.client, CLUSTER, cluster, CLUSTER.finalizer);
    await this.deps.status.apply(CLUSTER, cluster, { ...(cluster.status ?? {}), phase: "Ignored", conditions }, { signal });
  }

  async #terminate(cluster: Cluster, signal: AbortSignal): Promise<void> {
    const { deps } = this;
    if (cluster.status?.phase !== "Terminating") {
      await deps.status.apply(CLUSTER, cluster, { ...(cluster.status ?? {}), phase: "Terminating" }, { signal }).catch(() => undefined);
    }
    await this.stop();
    await removeFinalizer(deps.client, CLUSTER, cluster, CLUSTER.finalizer);
    this.#honouredUid = undefined;
  }
}

/**
 * A Secret the operator wrote for another Cluster (one since deleted or replaced, its garbage collection
 * pending) does not belong to this one; Secrets without a Cluster owner (written by hand) are used.
 */
function ownSecret(secret: Secret | undefined, cluster: Cluster): Secret | undefined {
  const owner = secret?.metadata.ownerReferences?.find((reference) => reference.kind === CLUSTER.kind && reference.controller);
  return owner && owner.uid !== cluster.metadata.uid ? undefined : secret;
}

function namespaceLabels(gate: NamespaceGate, name: string): Record<string, string> | undefined | null {
  const namespace = gate.view.get(name);
  if (!namespace) return undefined;
  return namespace.metadata.labels ?? null;
}
