/** Pull mode's acknowledgement of a fetched job (docs/connectivity.md#job-pipeline): `POST …/ack` before anything else. */
import type { Logger } from "../../observability/logger";
import type { AgentMetrics } from "../../observability/agent-metrics";
import { jobActionPath } from "../../protocol";
import type { AckOutcome, JobAcknowledger } from "../jobs/ports";
import { CpTransportError } from "./http";
import type { AgentTransport } from "./transport";

const ACK_TIMEOUT_MS = 30_000;

export class HttpJobAcknowledger implements JobAcknowledger {
  constructor(private readonly deps: { transport: AgentTransport; metrics: AgentMetrics; logger: Logger }) {}

  async ack(jobId: string, signal: AbortSignal): Promise<AckOutcome> {
    try {
      const response = await this.deps.transport.send({ endpoint: "ack", method: "POST", path: jobActionPath(jobId, "ack"), timeoutMs: ACK_TIMEOUT_MS, signal }, { jobScoped: true });
      if (response.status >= 200 && response.status < 300) return "acked";
      if (response.status === 401) return "stop";
      if (response.status === 403) this.deps.metrics.rejections.inc({ code: "Forbidden" });
      this.deps.logger.info({ jobId, status: response.status, requestId: response.requestId }, "ack not accepted; job skipped");
      return response.status >= 500 || response.status === 429 ? "stop" : "skipped";
    } catch (err) {
      if (!(err instanceof CpTransportError)) throw err;
      this.deps.logger.info({ jobId, err: err.message }, "ack failed; the job is left for redelivery");
      return "stop";
    }
  }
}
