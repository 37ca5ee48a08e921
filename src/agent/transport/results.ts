/**
 * Result delivery (docs/connectivity.md#results-and-progress): posted right after the write; a result that cannot be delivered is
 * kept in memory (at most 1000, for at most 24 h) and re-posted before the next poll until `204`, `409`
 * (already recorded) or `404` (job gone).
 */
import type { Logger } from "../../observability/logger";
import { jobActionPath, type JobResult } from "../../protocol";
import { CpTransportError } from "./http";
import type { ResultSink } from "../jobs/ports";
import type { AgentTransport } from "./transport";

const MAX_PENDING = 1000;
const KEEP_MS = 24 * 3_600_000;
const REQUEST_TIMEOUT_MS = 30_000;

interface PendingResult {
  jobId: string;
  result: JobResult;
  since: number;
}

export type DeliveryOutcome = "delivered" | "dropped" | "kept";

export class ResultDelivery implements ResultSink {
  readonly #pending = new Map<string, PendingResult>();

  constructor(private readonly transport: AgentTransport, private readonly logger: Logger) {}

  get pending(): number {
    return this.#pending.size;
  }

  async deliver(jobId: string, result: JobResult, signal?: AbortSignal): Promise<DeliveryOutcome> {
    const outcome = await this.#post(jobId, result, signal);
    if (outcome === "kept") this.#keep({ jobId, result, since: Date.now() });
    return outcome;
  }

  /** Re-posts kept results, oldest first; stops at the first one that still fails. */
  async retryPending(signal?: AbortSignal): Promise<boolean> {
    for (const [id, pending] of this.#pending) {
      if (Date.now() - pending.since > KEEP_MS) {
        this.#pending.delete(id);
        continue;
      }
      const outcome = await this.#post(id, pending.result, signal);
      if (outcome === "kept") return false;
      this.#pending.delete(id);
    }
    return true;
  }

  async #post(jobId: string, result: JobResult, signal?: AbortSignal): Promise<DeliveryOutcome> {
    try {
      const response = await this.transport.send(
        { endpoint: "result", method: "POST", path: jobActionPath(jobId, "result"), body: result, timeoutMs: REQUEST_TIMEOUT_MS, ...(signal ? { signal } : {}) },
        { jobScoped: true },
      );
      if (response.status >= 200 && response.status < 300) return "delivered";
      if (response.status === 409) return "delivered";
      if (response.status === 404 || response.status === 403 || response.status === 400) {
        this.logger.warn({ jobId, status: response.status, requestId: response.requestId, error: response.errorCode }, "result not accepted; dropped");
        return "dropped";
      }
      return "kept";
    } catch (err) {
      if (!(err instanceof CpTransportError)) throw err;
      return "kept";
    }
  }

  #keep(pending: PendingResult): void {
    if (this.#pending.size >= MAX_PENDING) {
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#pending.delete(oldest);
    }
    this.#pending.set(pending.jobId, pending);
  }
}
