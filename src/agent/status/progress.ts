/**
 * Progress tracking (docs/connectivity.md#results-and-progress): after a `succeeded` job the written object is looked at once a second
 * (in the informer cache for ApplicationInstances and Operations, by GET for other kinds)
 * and `POST …/status` is sent whenever its readiness view changes, until Ready, Failed, Deleted, the progress
 * timeout (Abandoned), or a newer job for the same object (Abandoned). In memory only: the startup resync
 * carries the state after a restart.
 */
import type { KubeClient } from "../../kube/client";
import { classifyError } from "../../kube/errors";
import type { KubeObject, ResourceType } from "../../kube/types";
import type { Logger } from "../../observability/logger";
import { jobActionPath, type StatusPhase, type StatusUpdate } from "../../protocol";
import { progressConditions, readinessOf } from "./readiness";
import type { AgentTransport } from "../transport/transport";
import { pause } from "../transport/wakeup";
import type { ProgressSink, TrackRequest } from "../jobs/ports";

const TERMINAL: readonly StatusPhase[] = ["Ready", "Failed", "Deleted", "Abandoned"];
const INTERVAL_MS = 1_000;
const MAX_TRACKED = 1000;

interface Tracking extends TrackRequest {
  since: number;
  lastSent?: string;
  abandon?: boolean;
}

export class ProgressTracker implements ProgressSink {
  readonly #byObject = new Map<string, Tracking>();
  readonly #stopped = new AbortController();

  constructor(
    private readonly deps: {
      client: Pick<KubeClient, "get">;
      transport: AgentTransport;
      logger: Logger;
      timeoutMs: number;
      /** The object from an informer cache (null: absent), or undefined when no cache covers it. */
      cached(type: ResourceType, namespace: string, name: string): KubeObject | null | undefined;
    },
  ) {}

  get tracked(): number {
    return this.#byObject.size;
  }

  /** Ends every tracking without a final post (the agent is stopping). */
  stop(): void {
    this.#stopped.abort();
  }

  track(request: TrackRequest): void {
    const signal = this.#stopped.signal;
    if (signal.aborted) return;
    const key = `${request.type.group}/${request.type.kind}/${request.namespace}/${request.name}`;
    const older = this.#byObject.get(key);
    if (older) older.abandon = true;
    if (!older && this.#byObject.size >= MAX_TRACKED) return;
    const tracking: Tracking = { ...request, since: Date.now() };
    this.#byObject.set(key, tracking);
    void this.#follow(key, tracking, signal);
  }

  async #follow(key: string, tracking: Tracking, signal: AbortSignal): Promise<void> {
    try {
      while (!signal.aborted) {
        if (tracking.abandon || Date.now() - tracking.since > this.deps.timeoutMs) {
          await this.#post(tracking, { phase: "Abandoned", timestamp: new Date().toISOString() }, signal);
          return;
        }
        const update = await this.#observe(tracking, signal);
        if (update && update.phase + JSON.stringify(update.conditions ?? []) !== tracking.lastSent) {
          tracking.lastSent = update.phase + JSON.stringify(update.conditions ?? []);
          if (!(await this.#post(tracking, update, signal))) return;
          if (TERMINAL.includes(update.phase as StatusPhase)) return;
        }
        await pause(INTERVAL_MS, signal);
      }
    } catch (err) {
      this.deps.logger.debug({ jobId: tracking.jobId, err: String(err) }, "progress tracking ended");
    } finally {
      if (this.#byObject.get(key) === tracking) this.#byObject.delete(key);
    }
  }

  async #observe(tracking: Tracking, signal: AbortSignal): Promise<StatusUpdate | undefined> {
    const object = await this.#read(tracking, signal);
    if (object === undefined) return undefined;
    if (object === null) return tracking.deletion ? { phase: "Deleted", timestamp: new Date().toISOString() } : undefined;
    if (tracking.deletion) return { phase: "Progressing", message: "deletion in progress", timestamp: new Date().toISOString() };
    const phase = readinessOf(object, tracking.generation);
    const conditions = progressConditions(object, phase);
    return { phase, ...(conditions.length > 0 ? { conditions } : {}), timestamp: new Date().toISOString() };
  }

  /** From a watch cache when one covers the object (no API call per second per job), else a GET. */
  async #read(tracking: Tracking, signal: AbortSignal): Promise<KubeObject | null | undefined> {
    const cached = this.deps.cached(tracking.type, tracking.namespace, tracking.name);
    if (cached !== undefined) return cached;
    try {
      return await this.deps.client.get(tracking.type, tracking.name, { namespace: tracking.namespace || undefined, signal });
    } catch (err) {
      return classifyError(err) === "notFound" ? null : undefined;
    }
  }

  /** False when the control plane no longer wants progress for this job (404/409) or the transport gave up. */
  async #post(tracking: Tracking, update: StatusUpdate, signal: AbortSignal): Promise<boolean> {
    try {
      const response = await this.deps.transport.send(
        { endpoint: "status", method: "POST", path: jobActionPath(tracking.jobId, "status"), body: update, timeoutMs: 30_000, signal },
        { jobScoped: true },
      );
      return response.status < 300;
    } catch {
      return !signal.aborted;
    }
  }
}
