/**
 * The agent for the honoured Cluster (docs/connectivity.md#the-pull-agent): one credentials provider, and the poller, event
 * sender, heartbeat, progress tracker and rotation built on it. A connectivity driver (src/connectivity/)
 * creates it when a complete credentials Secret exists; the Cluster controller feeds it every change of its
 * inputs through `update` and reads its observations back to write status. A change of cluster id restarts
 * every loop with an emptied buffer.
 */
import type { Cluster, ConnectivityMode } from "../api/cluster";
import type { KubeClient } from "../kube/client";
import type { Discovery } from "../kube/discovery";
import type { KubeObject, ResourceType } from "../kube/types";
import type { Logger } from "../observability/logger";
import type { AgentEvent, JobResult, WireCondition } from "../protocol";
import type { ClusterKeypair, SecurityDecision, TrustedKeySet } from "../security";
import type { NamespaceView } from "./jobs/authorise";
import type { AgentConfig } from "./config";
import { pollWaitSeconds } from "./config";
import { CredentialsProvider, type Credentials, type Secret } from "./credentials/credentials";
import { auditEvent, conditionTransitionEvents, credentialRotatedEvent, snapshotEvents, type ClusterIdentity } from "./status/event-factory";
import { EventSender } from "./status/event-sender";
import { Heartbeat } from "./status/heartbeat";
import type { TlsMaterial } from "./credentials/credentials";
import { LedgerStore } from "./jobs/ledger-store";
import { MAX_PROCESSED_JOBS, LEDGER_MAX_BYTES } from "./jobs/ledger";
import type { AgentMetrics } from "../observability/agent-metrics";
import { JobPipeline, type SecuritySettings } from "./jobs/pipeline";
import { Poller } from "./transport/poller";
import { ProgressTracker } from "./status/progress";
import { ResultDelivery } from "./transport/results";
import { Rotation, type RotationResult, type RotationTrigger } from "./status/rotation";
import { AgentState, type AgentObservations } from "./transport/state";
import { AgentTransport } from "./transport/transport";
import { HttpJobAcknowledger } from "./transport/acknowledger";
import { JobWriter } from "./jobs/writer";

export interface AgentInputs {
  cluster: Cluster;
  credentials: Credentials;
  tls: TlsMaterial | undefined;
  trustedKeys: TrustedKeySet | undefined;
  keypair: ClusterKeypair | undefined;
}

export interface AgentOptions {
  /** The mode the agent serves, for its logs. */
  mode: ConnectivityMode;
  /** Whether the job poller runs (pull mode); without it the agent is the status channel alone. */
  poll: boolean;
}

export interface AgentDeps {
  client: KubeClient;
  discovery: Pick<Discovery, "resourceType">;
  config: AgentConfig;
  /** The operator namespace (credentials, keypair, ledger). */
  namespace: string;
  namespaces: NamespaceView;
  /** ApplicationInstances, Operations in gated namespaces, for the resync snapshot. */
  managedObjects(): KubeObject[];
  /** An object from the operator's informer caches (null: absent), undefined when none covers it. */
  cached(type: ResourceType, namespace: string, name: string): KubeObject | null | undefined;
  metrics: AgentMetrics;
  logger: Logger;
  readCredentialsSecret(): Promise<Secret | undefined>;
  controllersHealthy(): WireCondition | undefined;
  /** Kubernetes Event on the honoured Cluster. */
  recordEvent(type: "Normal" | "Warning", reason: string, note: string): void;
  /** Tells the controller to re-evaluate status (observations changed). */
  onChange(): void;
  /** After a confirmed rotation: reset `spec.rotateCredentials`. */
  onRotationConfirmed(): Promise<void>;
}

const AUDIT_EVENT_INTERVAL_MS = 60_000;
/** Warning Event reason when a job is refused because the ledger cannot forget a live signed job. */
export const LEDGER_FULL_REASON = "JobLedgerFull";
const AGGREGATED_REASONS = new Set(["JobPayloadSignatureInvalid", "JobPayloadDecryptionFailed", LEDGER_FULL_REASON]);

export class Agent {
  readonly state: AgentState;
  readonly provider = new CredentialsProvider();
  readonly sender: EventSender;
  readonly heartbeat: Heartbeat;
  readonly rotation: Rotation;
  readonly #poller: Poller;
  readonly #progress: ProgressTracker;
  readonly #ledger: LedgerStore;
  #inputs: AgentInputs;
  #loops: { abort: AbortController; pollAbort: AbortController; running: Promise<unknown> } | undefined;
  readonly #auditAggregation = new Map<string, { at: number; count: number }>();

  constructor(private readonly deps: AgentDeps, inputs: AgentInputs, private readonly options: AgentOptions) {
    this.#inputs = inputs;
    const { config, metrics, logger } = deps;
    this.state = new AgentState(() => ({ secretResourceVersion: this.#inputs.credentials.resourceVersion, clusterGeneration: this.#inputs.cluster.metadata.generation }));
    this.state.onChange(() => {
      metrics.paused.set(this.state.paused ? 1 : 0);
      deps.onChange();
    });
    this.provider.set(inputs.credentials, inputs.tls);
    const transport = new AgentTransport({ provider: this.provider, state: this.state, readSecret: deps.readCredentialsSecret, metrics, logger });
    this.#ledger = new LedgerStore({
      client: deps.client,
      namespace: deps.namespace,
      name: config.ledgerConfigMap,
      logger,
      limits: {
        keyTtlMs: config.idempotencyTtlMs,
        maxKeys: config.idempotencyMaxKeys,
        jobTtlMs: Math.max(86_400_000, (this.#signing().maxAgeSeconds + this.#signing().clockSkewSeconds) * 1000),
        maxJobs: MAX_PROCESSED_JOBS,
        maxBytes: LEDGER_MAX_BYTES,
      },
    });
    this.sender = new EventSender({
      transport,
      state: this.state,
      metrics,
      logger,
      bufferSize: config.eventBufferSize,
      batchSize: config.eventBatchSize,
      flushMs: config.eventFlushMs,
      cluster: () => this.#identity(),
      snapshot: () => this.#snapshot(),
      onOverflowStarted: (dropped) => deps.recordEvent("Warning", "BufferOverflow", `event buffer full: ${dropped} events dropped; a snapshot will be re-sent`),
      wire: (event) => this.#wireEvent(event),
    });
    this.heartbeat = new Heartbeat({
      transport,
      provider: this.provider,
      state: this.state,
      metrics,
      logger,
      intervalMs: () => config.heartbeatIntervalOverrideMs ?? (this.#inputs.cluster.spec.heartbeatIntervalSeconds ?? 30) * 1000,
      controllersHealthy: deps.controllersHealthy,
      wireExtensions: config.wireExtensions,
    });
    this.rotation = new Rotation({
      client: deps.client,
      namespace: deps.namespace,
      secretName: config.credentialsSecret,
      transport,
      provider: this.provider,
      heartbeat: this.heartbeat,
      state: this.state,
      metrics,
      logger,
      publicKey: () => this.#inputs.keypair?.publicJwk,
      wireExtensions: config.wireExtensions,
      onConfirmed: async (fingerprint) => {
        const identity = this.#identity();
        if (identity) this.sender.enqueue(credentialRotatedEvent(identity, fingerprint, new Date()));
        deps.recordEvent("Normal", "CredentialRotated", "agent credential rotated and confirmed");
        await deps.onRotationConfirmed();
      },
      onFailed: (detail) => deps.recordEvent("Warning", "RotationFailed", `credential rotation failed: ${detail}`),
    });
    const results = new ResultDelivery(transport, logger);
    this.#progress = new ProgressTracker({ client: deps.client, transport, logger, timeoutMs: config.jobProgressTimeoutMs, cached: deps.cached });
    const writer = new JobWriter({
      client: deps.client,
      discovery: deps.discovery,
      namespaces: deps.namespaces,
      veleroNamespace: config.veleroNamespace,
      allowBackupStorageLocations: config.allowJobBackupStorageLocations,
      clusterId: () => this.provider.snapshot()?.credentials.clusterId ?? "",
      honouredCluster: () => this.#inputs.cluster.metadata.name,
      allowedKinds: () => this.#inputs.cluster.spec.allowedJobKinds,
      cached: deps.cached,
    });
    const pipeline = new JobPipeline({
      acknowledger: new HttpJobAcknowledger({ transport, metrics, logger }),
      ledger: this.#ledger,
      writer,
      results,
      progress: this.#progress,
      metrics,
      logger,
      clusterId: () => this.provider.snapshot()?.credentials.clusterId ?? "",
      security: () => this.#security(),
      onSecurityDecision: (area, jobId, decision) => this.#onSecurityDecision(area, jobId, decision),
      onLedgerFull: (jobId) => this.#aggregatedWarning(LEDGER_FULL_REASON, `job ${jobId} refused: the processed-job ledger holds only signed jobs inside their replay window`),
      rotate: async () => {
        const rotated = await this.rotate("intent");
        const { name, uid } = this.#inputs.cluster.metadata;
        if (!rotated.ok) return { ok: false, detail: rotated.detail };
        return { ok: true, ref: { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", namespace: "", name, ...(uid ? { uid } : {}) } };
      },
      wireResult: (result) => this.#wireResult(result),
    });
    this.#poller = new Poller({
      transport,
      provider: this.provider,
      pipeline,
      results,
      state: this.state,
      metrics,
      logger,
      waitSeconds: pollWaitSeconds(config.pollIntervalMs),
      minGapMs: config.minPollGapMs,
      maxResponseBytes: config.maxJobsResponseBytes,
      jobConcurrency: config.jobConcurrency,
    });
  }

  get clusterId(): string {
    return this.#inputs.credentials.clusterId;
  }

  get mode(): ConnectivityMode {
    return this.options.mode;
  }

  get running(): boolean {
    return this.#loops !== undefined;
  }

  get rotating(): boolean {
    return this.rotation.running;
  }

  observations(): AgentObservations & { paused: boolean } {
    return { ...this.state.observations, paused: this.state.paused };
  }

  pause(reason: string): void {
    this.state.pause(reason);
  }

  /** A new registration replaced the credentials: heartbeat and authentication are observed afresh. */
  registered(): void {
    this.state.observations.heartbeat = { misses: 0, lastMissTls: false, completed: false };
    this.state.observations.auth = undefined;
  }

  async start(): Promise<void> {
    if (this.#loops) return;
    await this.#ledger.load();
    const abort = new AbortController();
    const pollAbort = new AbortController();
    const { poll, mode } = this.options;
    const running = Promise.all([
      this.sender.run(abort.signal),
      this.heartbeat.run(abort.signal),
      poll ? this.#poller.run(AbortSignal.any([abort.signal, pollAbort.signal])) : Promise.resolve(),
    ]).catch((err) => this.deps.logger.error({ err: String(err) }, "agent loop failed"));
    this.#loops = { abort, pollAbort, running };
    this.deps.logger.info({ clusterId: this.clusterId, mode }, "agent started");
  }

  /** New inputs: swaps credentials and TLS material, lifts a pause when the Secret or generation moved. */
  update(inputs: AgentInputs): void {
    const clusterIdChanged = inputs.credentials.clusterId !== this.#inputs.credentials.clusterId;
    this.#inputs = inputs;
    this.provider.set(inputs.credentials, inputs.tls);
    if (clusterIdChanged) this.sender.reset("cluster-id-change");
    if (this.state.maybeResume({ secretResourceVersion: inputs.credentials.resourceVersion, clusterGeneration: inputs.cluster.metadata.generation })) {
      this.deps.logger.info("agent resumed: credentials or Cluster changed since the pause");
      this.heartbeat.poke();
    }
  }

  rotate(trigger: RotationTrigger): Promise<RotationResult> {
    const signal = this.#loops?.abort.signal ?? AbortSignal.abort();
    return this.rotation.rotate(trigger, signal);
  }

  /** Condition transitions of a managed object or the Cluster (docs/connectivity.md#events). */
  observe(previous: KubeObject | undefined, current: KubeObject): void {
    for (const event of conditionTransitionEvents(previous, current, new Date())) this.sender.enqueue(event);
  }

  /** Graceful: the poller finishes its job in hand, buffered events get up to `flushMs`, then everything stops. */
  async stop(flushMs = 5_000): Promise<void> {
    const loops = this.#loops;
    if (!loops) return;
    this.#loops = undefined;
    loops.pollAbort.abort();
    await this.sender.flush(flushMs).catch(() => undefined);
    loops.abort.abort();
    this.#progress.stop();
    await loops.running;
    await this.#ledger.flush();
    this.deps.logger.info({ clusterId: this.clusterId }, "agent stopped");
  }

  #identity(): ClusterIdentity | undefined {
    const { name, uid } = this.#inputs.cluster.metadata;
    return uid ? { name, uid } : undefined;
  }

  #snapshot(): AgentEvent[] {
    const now = new Date();
    return [...this.deps.managedObjects(), this.#inputs.cluster].flatMap((object) => snapshotEvents(object, now));
  }

  #signing() {
    const signing = this.#inputs.cluster.spec.security?.payloadSigning;
    return { mode: signing?.mode ?? "warn", maxAgeSeconds: signing?.maxAgeSeconds ?? 86_400, clockSkewSeconds: signing?.clockSkewSeconds ?? 60 };
  }

  #security(): SecuritySettings {
    const signing = this.#signing();
    return {
      signingMode: signing.mode,
      encryptionMode: this.#inputs.cluster.spec.security?.payloadEncryption?.mode ?? "disabled",
      trustedKeys: this.#inputs.trustedKeys,
      maxAgeSeconds: signing.maxAgeSeconds,
      clockSkewSeconds: signing.clockSkewSeconds,
      keypair: this.#inputs.keypair,
    };
  }

  #onSecurityDecision(area: "signature" | "encryption", jobId: string, decision: SecurityDecision): void {
    const { observations } = this.state;
    const condition = decision.condition;
    if (condition && condition !== "remove") {
      const next = { ok: condition.status === "True", reason: condition.reason, message: condition.message };
      const previous = area === "signature" ? observations.signature : observations.encryption;
      if (area === "signature") observations.signature = next;
      else observations.encryption = next;
      // Status follows the verdict; a per-job message alone is not worth a status write per job.
      if (previous?.ok !== next.ok || previous?.reason !== next.reason || !next.ok) this.state.changed();
    }
    if (!decision.audit || !condition || condition === "remove") return;
    const identity = this.#identity();
    const type = area === "signature" ? "PayloadsVerified" : "PayloadsEncrypted";
    if (identity) this.sender.enqueue(auditEvent(identity, jobId, { type, reason: condition.reason, message: condition.message }, new Date()));
    this.#aggregatedWarning(condition.reason, condition.message);
  }

  /** At most one Kubernetes Event per reason and minute, with the count of failures it stands for. */
  #aggregatedWarning(reason: string, message: string): void {
    if (!AGGREGATED_REASONS.has(reason)) return;
    const now = Date.now();
    const entry = this.#auditAggregation.get(reason);
    if (entry && now - entry.at < AUDIT_EVENT_INTERVAL_MS) {
      entry.count++;
      return;
    }
    const count = (entry?.count ?? 0) + 1;
    this.#auditAggregation.set(reason, { at: now, count: 0 });
    this.deps.recordEvent("Warning", reason, count > 1 ? `${message} (${count} failures in the last minute)` : message);
  }

  #wireEvent(event: AgentEvent): AgentEvent {
    if (this.deps.config.wireExtensions) return event;
    const { jobId: _jobId, ...rest } = event;
    if (rest.kind === "ClusterHeartbeat") delete rest.conditions;
    return rest;
  }

  #wireResult(result: JobResult): JobResult {
    if (this.deps.config.wireExtensions) return result;
    const { errorCode: _code, conflicts: _conflicts, ...rest } = result;
    return rest;
  }
}
