/**
 * The Cluster reconciler (docs/connectivity.md#the-cluster-resource, docs/connectivity.md#the-pull-agent): one pass over every Cluster. Non-honoured objects are marked
 * Ignored; the honoured one gets its finalizer, keypair, registration, TLS material and connectivity driver,
 * and a status computed from those facts and the driver's observations. The only writer of Cluster status.
 * Decisions are the pure steps of ./steps.ts and ./registration-step.ts over one ClusterMemory; this class
 * gathers state and performs the I/O they ask for.
 */
import { CONNECTIVITY_MODES, decodeCluster, type Cluster, type ClusterPhase, type ClusterStatus, type ConnectivityMode } from "../../api/cluster";
import { CLUSTER } from "../../api/groups";
import type { AgentConfig } from "../../agent/config";
import { credentialsFromSecret, type Credentials, type Secret, type TlsMaterial } from "../../agent/credentials/credentials";
import { resolveTls } from "../../agent/credentials/tls";
import { modeOf, type ConnectivityDriver, type DriverDeps, type DriverFactory } from "../../connectivity/types";
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
import type { AgentMetrics } from "../../observability/agent-metrics";
import type { Logger } from "../../observability/logger";
import type { ClusterKeypair, TrustedKeySet } from "../../security";
import { honouredCluster } from "../../api/honoured-cluster";
import type { ModeHealth } from "./health";
import { handOverDue, type HandOver } from "./handover-plan";
import { ensureKeypair } from "./keypair";
import { freshMemory, type ClusterMemory } from "./memory";
import { exchangeIfDue } from "./exchange";
import { endpointOf, resolveToken, type register } from "./registration";
import { readSecret } from "./secrets";
import { clusterStatus } from "./status";
import { configurationWarnings, connectivityState, credentialProblems, credentialStatusOf, healthCheckDue, intervalMs, managedNamespaces, modeSwitch, ownSecret, rotationDue, transitionEvents, trustedKeysOf } from "./steps";

export interface ClusterReconcilerDeps {
  client: KubeClient;
  discovery: Pick<Discovery, "resourceType">;
  config: AgentConfig;
  /** The operator namespace. */
  namespace: string;
  clusters: Pick<SharedView<KubeObject>, "list">;
  secret(name: string): Secret | undefined;
  gate: Pick<NamespaceGate, "isGated" | "view">;
  managedObjects(): KubeObject[];
  cached(type: ResourceType, namespace: string, name: string): KubeObject | null | undefined;
  status: Pick<StatusWriter, "apply">;
  events: Pick<EventRecorder, "record">;
  metrics: AgentMetrics;
  logger: Logger;
  /** Re-runs the reconcile (driver observations changed). */
  enqueue(): void;
  /** The driver of a connectivity mode (src/connectivity/). */
  createDriver: DriverFactory;
  /** The registration exchange with the control plane. */
  register: typeof register;
  /** The ControllersHealthy verdict of the cluster as it is now, for a mode and the cluster id GitOps applies. */
  controllersHealthy(mode: ConnectivityMode, clusterId: string | undefined, signal: AbortSignal): Promise<ModeHealth>;
  /** Whether the Push RoleBinding exists in a namespace (status.managedNamespaces[].pushAccess). */
  pushAccess(namespace: string): boolean;
  /** Deletes the Push RoleBindings the operator created, before the Cluster's finalizer goes. */
  removePushAccess(signal: AbortSignal): Promise<void>;
  /** Renames the previous writer's managedFields entries on the control plane's objects in the gated namespaces. */
  handOverFieldOwnership(handOver: HandOver, signal: AbortSignal): Promise<number>;
}

const TERMINATION_FLUSH_MS = 5_000;

export class ClusterReconciler {
  #driver: ConnectivityDriver | undefined;
  #memory: ClusterMemory = freshMemory(undefined);

  constructor(private readonly deps: ClusterReconcilerDeps) {}

  async reconcile(signal: AbortSignal): Promise<WorkResult | void> {
    const all = this.deps.clusters.list() as Cluster[];
    const honoured = honouredCluster(all);
    for (const other of all) if (other !== honoured) await this.#markIgnored(other, honoured!, signal);
    if (!honoured) {
      await this.stop();
      return;
    }
    if (this.#memory.honouredUid !== honoured.metadata.uid) {
      await this.stop();
      this.#memory = freshMemory(honoured.metadata.uid);
    }
    if (isDeleting(honoured)) return this.#terminate(honoured, signal);
    const current = await addFinalizer(this.deps.client, CLUSTER, honoured, CLUSTER.finalizer);
    return this.#reconcileHonoured(current, signal);
  }

  /** Condition changes of a managed object, for the driver's event stream. */
  observe(previous: KubeObject | undefined, current: KubeObject): void {
    this.#driver?.observe(previous, current);
  }

  /** Stops the driver (operator shutdown or no honoured Cluster). */
  async stop(): Promise<void> {
    const driver = this.#driver;
    this.#driver = undefined;
    await driver?.stop(TERMINATION_FLUSH_MS);
  }

  async #reconcileHonoured(stored: Cluster, signal: AbortSignal): Promise<WorkResult | void> {
    const { deps } = this;
    const memory = this.#memory;
    const decoded = decodeCluster(stored);
    const cluster: Cluster = decoded.ok ? { ...decoded.value, metadata: stored.metadata } : stored;
    const spec = cluster.spec ?? {};
    const now = new Date();
    const endpoint = endpointOf(spec);
    const token = resolveToken(spec, deps.secret);
    const tls = endpoint ? resolveTls(spec, endpoint, deps.secret, now) : ({ ok: true, tls: undefined, insecure: false } as const);
    const status: ClusterStatus = { ...(cluster.status ?? {}) };
    const period = intervalMs(cluster, deps.config.heartbeatIntervalOverrideMs);
    let requeueMs = period;
    const mode = modeOf(cluster);
    const inEffect = memory.mode ?? cluster.status?.connectivityMode;
    const switched = modeSwitch(inEffect, mode);
    if (switched) memory.health = undefined;
    await this.#prepareMode(inEffect, mode, signal);

    const warnings = configurationWarnings(endpoint, tls, token, memory);
    Object.assign(memory, warnings.memory);
    for (const event of warnings.events) deps.events.record(cluster, event);
    const keypair = await this.#keypair(cluster);
    status.publicKey = keypair.publicJwk;

    let credentials = credentialsFromSecret(ownSecret(deps.secret(deps.config.credentialsSecret), cluster, CLUSTER.kind));
    let written: Cluster = cluster;
    if (endpoint && token.kind === "resolved" && tls.ok) {
      const registered = await exchangeIfDue(deps, memory, { cluster, status, endpoint, token, tls: tls.tls, keypair, credentials, signal }, () => this.#driver?.registered());
      if (registered.credentials) credentials = registered.credentials;
      if (registered.patched) written = registered.patched;
      if (registered.retryMs !== undefined) requeueMs = Math.min(requeueMs, registered.retryMs);
    }
    if (memory.registered) Object.assign(status, memory.registered, { credentialStatus: { ...status.credentialStatus, ...memory.registered.credentialStatus } });

    const problems = credentialProblems(cluster, credentials, this.#driver?.rotating ?? false, now);
    const trusted = trustedKeysOf(cluster, credentials, deps.secret);
    if (credentials && tls.ok) {
      await this.#runDriver(cluster, credentials, tls.tls, trusted.keys, keypair);
      if (problems.mismatch || problems.expired) this.#driver?.pause(problems.mismatch ? "ClusterIdMismatch" : "CredentialExpired");
    } else {
      await this.stop();
    }
    this.#triggerRotation(cluster, credentials, now);

    if (healthCheckDue(memory, Date.now(), period)) {
      memory.health = { at: Date.now(), verdict: await deps.controllersHealthy(mode, credentials?.clusterId ?? spec.clusterId, signal) };
    }
    const observations = this.#driver?.observations();
    const view = clusterStatus({
      mode,
      previousPhase: cluster.status?.phase,
      previousConditions: cluster.status?.conditions as never,
      generation: cluster.metadata.generation,
      now,
      hasCredentials: credentials !== undefined,
      tokenResolvable: token.kind === "resolved",
      tokenSecretMissing: token.kind === "missing",
      registration: memory.registration,
      ...(tls.ok ? {} : { tlsInvalid: tls.message }),
      ...(problems.mismatch ? { clusterIdMismatch: problems.mismatch } : {}),
      ...(problems.expired ? { expired: problems.expired } : {}),
      agent: observations,
      controllersHealthy: { status: memory.health!.verdict.status, reason: memory.health!.verdict.reason, message: memory.health!.verdict.message },
      signingMode: spec.security?.payloadSigning?.mode ?? "warn",
      trustedKeys: trusted,
      keypairReady: true,
    });
    status.phase = view.phase;
    status.conditions = view.conditions;
    status.connectivityMode = mode;
    if (observations?.heartbeat.lastHeartbeat) status.lastHeartbeat = observations.heartbeat.lastHeartbeat;
    const credentialStatus = credentialStatusOf(status, credentials, observations?.lastRotatedAt, formatTime);
    if (credentialStatus) status.credentialStatus = credentialStatus;
    status.managedNamespaces = managedNamespaces(deps.gate.view.list(), (name) => deps.gate.isGated(name), deps.pushAccess);
    const before = cluster.status?.conditions as never;
    for (const event of transitionEvents(before, view.conditions)) deps.events.record(cluster, event);
    this.#driver?.observe({ ...cluster, status: { conditions: before } }, { ...cluster, status: { conditions: view.conditions } });
    this.#exportConnectivityState(mode, view.phase, observations?.heartbeat.misses ?? 0);
    if (credentials?.issuedAt) deps.metrics.credentialAge.set(Math.max(0, (now.getTime() - Date.parse(credentials.issuedAt)) / 1000));
    await deps.status.apply(CLUSTER, written, status as Record<string, unknown>, { signal });
    // Announced once status shows the new mode; a pass that fails before this point switches again.
    if (switched) deps.events.record(cluster, switched);
    memory.mode = mode;
    return { requeueAfterMs: requeueMs };
  }

  /**
   * What must happen before a wanted mode takes effect (docs/connectivity.md#mixed-fleets-and-changing-mode):
   * the other mode's driver stops, finishing the job in hand, and only then does field ownership move to
   * the new writer, so no write of the old one lands after the hand-over. A failed hand-over fails the pass;
   * status keeps the mode in effect and the next pass resumes it.
   */
  async #prepareMode(inEffect: ConnectivityMode | undefined, mode: ConnectivityMode, signal: AbortSignal): Promise<void> {
    if (this.#driver && this.#driver.mode !== mode) await this.stop();
    const memory = this.#memory;
    const due = handOverDue(inEffect, mode, memory.handOver);
    if (!due) return;
    memory.handOver = { to: mode, done: false };
    await this.deps.handOverFieldOwnership(due, signal);
    memory.handOver = { to: mode, done: true };
  }

  async #runDriver(cluster: Cluster, credentials: Credentials, tls: TlsMaterial | undefined, trustedKeys: TrustedKeySet | undefined, keypair: ClusterKeypair): Promise<void> {
    const inputs = { cluster, credentials, tls, trustedKeys, keypair };
    // Another cluster id or another mode needs another driver; stopping drains the job in hand.
    const mode = modeOf(cluster);
    if (this.#driver && (this.#driver.clusterId !== credentials.clusterId || this.#driver.mode !== mode)) await this.stop();
    if (this.#driver) {
      this.#driver.update(inputs);
      return;
    }
    const driver = this.deps.createDriver(mode, this.#driverDeps(), inputs);
    this.#driver = driver;
    await driver.start();
  }

  #driverDeps(): DriverDeps {
    const { deps } = this;
    const honoured = () => deps.clusters.list().find((candidate) => candidate.metadata.uid === this.#memory.honouredUid) as Cluster | undefined;
    return {
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
      controllersHealthy: () => (this.#memory.health ? { type: "ControllersHealthy", ...this.#memory.health.verdict } : undefined),
      recordEvent: (type, reason, note) => {
        const cluster = honoured();
        if (cluster) deps.events.record(cluster, { type, reason, action: "Agent", note });
      },
      onChange: () => deps.enqueue(),
      onRotationConfirmed: async () => {
        const cluster = honoured();
        if (cluster?.spec?.rotateCredentials) await deps.client.patch(CLUSTER, cluster.metadata.name, { type: "merge", body: { spec: { rotateCredentials: false } } });
      },
    };
  }

  /** One series, labelled with the mode in effect; none in Push without a status channel. */
  #exportConnectivityState(mode: ConnectivityMode, phase: ClusterPhase, misses: number): void {
    const gauge = this.deps.metrics.connectivityState;
    for (const other of CONNECTIVITY_MODES) if (other !== mode) gauge.remove({ mode: other });
    const gitops = this.#memory.health?.verdict.gitops;
    if (mode === "gitops") gauge.set({ mode }, gitops ?? 0);
    else if (mode === "push" && phase === "Active") gauge.remove({ mode });
    else gauge.set({ mode }, connectivityState(phase, misses));
  }

  #triggerRotation(cluster: Cluster, credentials: Credentials | undefined, now: Date): void {
    const driver = this.#driver;
    const memory = this.#memory;
    const observations = driver?.observations();
    const due = rotationDue({ cluster, credentials, driver: { running: driver !== undefined, rotating: driver?.rotating ?? false, paused: observations?.paused ?? false }, now }, memory);
    if (!driver || !due) return;
    Object.assign(memory, due.memory);
    const rotation = driver.rotate(due.trigger);
    // A failed rotation asked for by the spec is retried on a later pass (one interval apart).
    if (due.trigger === "spec") {
      void rotation.then((result) => {
        if (!result.ok && this.#memory === memory) memory.specRotationGeneration = undefined;
      });
    }
  }

  async #keypair(cluster: Cluster): Promise<ClusterKeypair> {
    const { deps } = this;
    const existing = deps.secret(deps.config.keypairSecret) ?? (await readSecret(deps.client, deps.namespace, deps.config.keypairSecret));
    const { keypair, generated } = await ensureKeypair(deps.client, deps.namespace, deps.config.keypairSecret, cluster, existing, ownSecret(existing, cluster, CLUSTER.kind) !== undefined);
    const published = cluster.status?.publicKey?.kid;
    if (generated && published && published !== keypair.publicJwk.kid) this.#memory.keypairAnnounced = false;
    return keypair;
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
    await deps.removePushAccess(signal);
    await removeFinalizer(deps.client, CLUSTER, cluster, CLUSTER.finalizer);
    this.#memory = freshMemory(undefined);
  }
}

function namespaceLabels(gate: Pick<NamespaceGate, "view">, name: string): Record<string, string> | undefined | null {
  const namespace = gate.view.get(name);
  if (!namespace) return undefined;
  return namespace.metadata.labels ?? null;
}
