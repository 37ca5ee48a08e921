/**
 * The event sender (docs/connectivity.md#event-buffer-and-resync): a bounded buffer that drops the oldest when full, batches sent at
 * `batchSize` events or `flushMs` after the oldest unsent one, one request in flight, a failed batch back at
 * the front in order. After a drop, a restart or a cluster-id change, once the buffer has drained the sender
 * posts a BufferOverflow event (if anything was dropped) and streams a condition snapshot outside the buffer.
 */
import type { Logger } from "../../observability/logger";
import type { AgentEvent } from "../../protocol";
import { AGENT_PATHS } from "../../protocol";
import { bufferOverflowEvent, type ClusterIdentity } from "./event-factory";
import { CpTransportError, type CpResponse } from "../transport/http";
import type { AgentMetrics } from "../../observability/agent-metrics";
import { fullJitterBackoff, retryAfterMs } from "../transport/retry";
import type { AgentState } from "../transport/state";
import type { AgentTransport } from "../transport/transport";
import { pause, Wakeup } from "../transport/wakeup";

export type ResyncTrigger = "startup" | "overflow" | "cluster-id-change";

export interface EventSenderDeps {
  transport: AgentTransport;
  state: AgentState;
  metrics: AgentMetrics;
  logger: Logger;
  bufferSize: number;
  batchSize: number;
  flushMs: number;
  cluster(): ClusterIdentity | undefined;
  /** Every current condition of every managed object, as ConditionTransition events. */
  snapshot(): AgentEvent[];
  /** Warning Event on the Cluster at the first drop of an overflow episode. */
  onOverflowStarted(dropped: number): void;
  /** Strips additive members when wire extensions are off. */
  wire(event: AgentEvent): AgentEvent;
}

const REQUEST_TIMEOUT_MS = 30_000;

export class EventSender {
  readonly #buffer: AgentEvent[] = [];
  readonly #queuedKeys = new Set<string>();
  readonly #wakeup = new Wakeup();
  readonly #backoff = fullJitterBackoff();
  #batchSize: number;
  #oldestAt: number | undefined;
  #resync: ResyncTrigger | undefined = "startup";
  #overflowStartedAt: Date | undefined;
  #dropped = 0;

  constructor(private readonly deps: EventSenderDeps) {
    this.#batchSize = deps.batchSize;
  }

  get size(): number {
    return this.#buffer.length;
  }

  enqueue(event: AgentEvent): void {
    if (event.eventKey && this.#queuedKeys.has(event.eventKey)) return;
    if (this.#buffer.length >= this.deps.bufferSize) this.#dropOldest();
    this.#buffer.push(event);
    if (event.eventKey) this.#queuedKeys.add(event.eventKey);
    this.#oldestAt ??= Date.now();
    this.deps.metrics.bufferOccupancy.set(this.#buffer.length);
    // The first event starts the flush timer; a full batch goes at once.
    if (this.#buffer.length === 1 || this.#buffer.length >= this.#batchSize) this.#wakeup.notify();
  }

  /** A cluster-id change: nothing queued for the old id is sent, and a snapshot follows. */
  reset(trigger: ResyncTrigger): void {
    this.#buffer.length = 0;
    this.#queuedKeys.clear();
    this.#oldestAt = undefined;
    this.#resync = trigger;
    this.deps.metrics.bufferOccupancy.set(0);
    this.#wakeup.notify();
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.deps.state.whenActive(signal);
      if (signal.aborted) return;
      if (this.#buffer.length === 0 && this.#resync) {
        await this.#sendResync(signal);
        continue;
      }
      const due = this.#oldestAt === undefined ? Number.POSITIVE_INFINITY : this.#oldestAt + this.deps.flushMs - Date.now();
      if (this.#buffer.length < this.#batchSize && due > 0) {
        await this.#wakeup.wait(Math.min(due, 60_000), signal);
        continue;
      }
      await this.#sendBatch(signal);
    }
  }

  /** Graceful shutdown: send what is buffered, for at most `timeoutMs`. */
  async flush(timeoutMs: number): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    while (this.#buffer.length > 0 && !signal.aborted && !this.deps.state.paused) {
      if (!(await this.#sendBatch(signal))) return;
    }
  }

  async #sendBatch(signal: AbortSignal): Promise<boolean> {
    const batch = this.#buffer.slice(0, this.#batchSize);
    const response = await this.#post(batch, signal);
    if (!response) return false;
    if (response.status === 204 || (response.status >= 200 && response.status < 300)) {
      this.#remove(batch.length);
      this.deps.metrics.eventsSent.inc(batch.length);
      this.#batchSize = this.deps.batchSize;
      return true;
    }
    if (response.status === 400) {
      this.deps.logger.warn({ count: batch.length, requestId: response.requestId, error: response.errorCode }, "control plane rejected an events batch; dropped");
      this.#remove(batch.length);
      this.deps.metrics.eventsDropped.inc({ reason: "rejected" }, batch.length);
      return true;
    }
    if (response.status === 413 && this.#batchSize > 1) {
      this.#batchSize = Math.max(1, Math.floor(this.#batchSize / 2));
      return true;
    }
    await this.#waitAfterFailure(response, signal);
    return false;
  }

  async #sendResync(signal: AbortSignal): Promise<void> {
    const cluster = this.deps.cluster();
    const trigger = this.#resync!;
    const overflow: AgentEvent[] =
      this.#dropped > 0 && cluster && this.#overflowStartedAt ? [bufferOverflowEvent(cluster, this.#overflowStartedAt, this.#dropped, new Date())] : [];
    const events = [...overflow, ...this.deps.snapshot()];
    for (let start = 0; start < events.length; start += this.deps.batchSize) {
      if (signal.aborted || this.#buffer.length >= this.#batchSize) return; // live events first; the snapshot starts over
      const batch = events.slice(start, start + this.deps.batchSize);
      const response = await this.#post(batch, signal);
      if (!response || response.status >= 300) {
        if (response?.status === 400) {
          this.deps.metrics.eventsDropped.inc({ reason: "rejected" }, batch.length);
          continue;
        }
        if (response) await this.#waitAfterFailure(response, signal);
        return;
      }
      this.deps.metrics.eventsSent.inc(batch.length);
    }
    this.deps.metrics.resyncs.inc({ trigger });
    this.#resync = undefined;
    this.#dropped = 0;
    this.#overflowStartedAt = undefined;
    const { overflow: observed } = this.deps.state.observations;
    if (observed.active) {
      this.deps.state.observations.overflow = { active: false, dropped: 0 };
      this.deps.state.changed();
    }
    this.deps.logger.info({ trigger, events: events.length }, "condition snapshot sent");
  }

  /** The answer, or undefined after a transport failure (already waited for). */
  async #post(batch: AgentEvent[], signal: AbortSignal): Promise<CpResponse | undefined> {
    try {
      return await this.deps.transport.send({
        endpoint: "events",
        method: "POST",
        path: AGENT_PATHS.events,
        body: { events: batch.map((event) => this.deps.wire(event)) },
        timeoutMs: REQUEST_TIMEOUT_MS,
        signal,
      });
    } catch (err) {
      if (signal.aborted) return undefined;
      this.deps.logger.debug({ err: err instanceof CpTransportError ? err.message : String(err) }, "events request failed");
      await pause(this.#backoff.next(), signal);
      return undefined;
    }
  }

  async #waitAfterFailure(response: CpResponse, signal: AbortSignal): Promise<void> {
    if (response.status === 401 || response.status === 403) return; // the transport paused the agent
    const retryAfter = response.status === 429 || response.status === 503 ? retryAfterMs(response.headers.get("retry-after"), Date.now()) : undefined;
    await pause(retryAfter ?? this.#backoff.next(), signal);
  }

  #remove(count: number): void {
    for (const event of this.#buffer.splice(0, count)) if (event.eventKey) this.#queuedKeys.delete(event.eventKey);
    this.#oldestAt = this.#buffer.length > 0 ? Date.now() : undefined;
    this.#backoff.reset();
    this.deps.metrics.bufferOccupancy.set(this.#buffer.length);
  }

  #dropOldest(): void {
    const dropped = this.#buffer.shift();
    if (dropped?.eventKey) this.#queuedKeys.delete(dropped.eventKey);
    this.#dropped++;
    this.deps.metrics.eventsDropped.inc({ reason: "overflow" });
    this.#resync = "overflow";
    if (!this.#overflowStartedAt) {
      this.#overflowStartedAt = new Date();
      this.deps.onOverflowStarted(this.#dropped);
    }
    this.deps.state.observations.overflow = { active: true, dropped: this.#dropped };
    this.deps.state.changed();
  }
}
