/**
 * The long poll (docs/connectivity.md#endpoints, docs/connectivity.md#backoff, docs/connectivity.md#job-pipeline): one poll outstanding, at least 1 s between polls, results
 * kept from earlier failures re-posted first, jobs of one answer overlapped within the ordering rules of
 * ../jobs/overlap. A credentials swap aborts the poll in flight so the next one uses the new material. On
 * stop, the jobs in hand are finished.
 */
import * as v from "valibot";
import type { Logger } from "../../observability/logger";
import { jobsResponseSchema, pollPath } from "../../protocol";
import type { CredentialsProvider } from "../credentials/credentials";
import { CpTransportError, type CpResponse } from "./http";
import type { AgentMetrics } from "../../observability/agent-metrics";
import { jobOrder } from "../jobs/job-order";
import { runOverlapped } from "../jobs/overlap";
import type { JobPipeline } from "../jobs/pipeline";
import type { ResultDelivery } from "./results";
import { fullJitterBackoff, retryAfterMs } from "./retry";
import type { AgentState } from "./state";
import type { AgentTransport } from "./transport";
import { pause } from "./wakeup";

export interface PollerDeps {
  transport: AgentTransport;
  provider: CredentialsProvider;
  pipeline: JobPipeline;
  results: ResultDelivery;
  state: AgentState;
  metrics: AgentMetrics;
  logger: Logger;
  waitSeconds: number;
  minGapMs: number;
  /** Cap of the jobs answer; a larger one is aborted and backed off like a transport error. */
  maxResponseBytes: number;
  /** Jobs of one answer in flight at once (`--agent-job-concurrency`); 1 handles them one by one. */
  jobConcurrency: number;
}

export class Poller {
  readonly #backoff = fullJitterBackoff();
  #lastPollAt = 0;

  constructor(private readonly deps: PollerDeps) {}

  async run(signal: AbortSignal): Promise<void> {
    const { state } = this.deps;
    while (!signal.aborted) {
      await state.whenActive(signal);
      const gap = this.#lastPollAt + this.deps.minGapMs - Date.now();
      if (gap > 0) await pause(gap, signal);
      if (signal.aborted) return;
      if (!(await this.deps.results.retryPending(signal))) {
        await pause(this.#backoff.next(), signal);
        continue;
      }
      const response = await this.#poll(signal);
      if (!response) continue;
      await this.#handle(response, signal);
    }
  }

  async #poll(signal: AbortSignal): Promise<CpResponse | undefined> {
    const { provider, transport, waitSeconds } = this.deps;
    const clusterId = provider.snapshot()?.credentials.clusterId;
    if (!clusterId) return undefined;
    // A credentials swap or a pause (another loop got a 401/403) ends the poll in flight.
    const swapped = new AbortController();
    const unsubscribeSwap = provider.onSwap(() => swapped.abort());
    const unsubscribePause = this.deps.state.onChange(() => {
      if (this.deps.state.paused) swapped.abort();
    });
    this.#lastPollAt = Date.now();
    try {
      return await transport.send({
        endpoint: "jobs",
        method: "GET",
        path: pollPath(clusterId, waitSeconds),
        timeoutMs: (waitSeconds + 30) * 1000,
        signal: AbortSignal.any([signal, swapped.signal]),
        maxResponseBytes: this.deps.maxResponseBytes,
      });
    } catch (err) {
      if (!(err instanceof CpTransportError)) throw err;
      if (err.kind === "oversized") {
        this.deps.logger.warn({ limitBytes: this.deps.maxResponseBytes }, "jobs answer exceeded the size limit; poll aborted, backing off");
        await pause(this.#backoff.next(), signal);
      } else if (err.kind !== "aborted") {
        this.deps.logger.debug({ err: err.message }, "poll failed");
        await pause(this.#backoff.next(), signal);
      }
      return undefined;
    } finally {
      unsubscribeSwap();
      unsubscribePause();
    }
  }

  async #handle(response: CpResponse, signal: AbortSignal): Promise<void> {
    const { logger, pipeline, metrics } = this.deps;
    if (response.status === 200) {
      const parsed = v.safeParse(jobsResponseSchema, response.body ?? {});
      if (!parsed.success) {
        logger.warn({ requestId: response.requestId }, "poll answer is not a jobs document");
        await pause(this.#backoff.next(), signal);
        return;
      }
      this.#backoff.reset();
      const jobs = parsed.output.jobs;
      metrics.jobLag.set(lagSeconds(jobs));
      // The jobs in hand are finished even when stopping; the rest waits for redelivery.
      const inHand = new AbortController().signal;
      await runOverlapped(jobs, {
        concurrency: this.deps.jobConcurrency,
        order: jobOrder,
        run: (job, inOrder) => pipeline.process(job, inHand, inOrder),
        mayStart: () => !signal.aborted && !this.deps.state.paused,
      });
      metrics.jobLag.set(0);
      return;
    }
    if (response.status === 401 || response.status === 403) return; // paused by the transport
    const retryAfter = response.status === 429 || response.status === 503 ? retryAfterMs(response.headers.get("retry-after"), Date.now()) : undefined;
    logger.debug({ status: response.status, requestId: response.requestId, retryAfterMs: retryAfter }, "poll not answered with jobs");
    await pause(retryAfter ?? this.#backoff.next(), signal);
  }
}

function lagSeconds(jobs: unknown[]): number {
  const created = jobs
    .map((job) => Date.parse(String((job as { createdAt?: unknown } | null)?.createdAt ?? "")))
    .filter((at) => !Number.isNaN(at));
  return created.length === 0 ? 0 : Math.max(0, (Date.now() - Math.min(...created)) / 1000);
}
