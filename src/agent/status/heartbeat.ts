/**
 * The heartbeat (docs/connectivity.md#heartbeat-and-controller-health): a ClusterHeartbeat posted outside the buffer every interval, with a
 * timeout of min(10 s, interval / 2). A miss is no HTTP answer or any status but 204/401/403/429/503; the
 * miss streak and the last success are observations the Cluster controller turns into phase and conditions.
 */
import type { Logger } from "../../observability/logger";
import { AGENT_PATHS, type WireCondition } from "../../protocol";
import type { CredentialsProvider } from "../credentials/credentials";
import { heartbeatEvent } from "./event-factory";
import { CpTransportError } from "../transport/http";
import type { AgentMetrics } from "../../observability/agent-metrics";
import { retryAfterMs } from "../transport/retry";
import type { AgentState } from "../transport/state";
import type { AgentTransport } from "../transport/transport";
import { Wakeup } from "../transport/wakeup";

export type BeatOutcome = { kind: "ok" } | { kind: "auth" } | { kind: "throttled"; retryAfterMs?: number } | { kind: "miss"; tls: boolean };

export interface HeartbeatDeps {
  transport: AgentTransport;
  provider: CredentialsProvider;
  state: AgentState;
  metrics: AgentMetrics;
  logger: Logger;
  intervalMs(): number;
  controllersHealthy(): WireCondition | undefined;
  wireExtensions: boolean;
}

export class Heartbeat {
  readonly #now = new Wakeup();

  constructor(private readonly deps: HeartbeatDeps) {}

  /** Beat at once (after registration or a resume) instead of waiting for the interval. */
  poke(): void {
    this.#now.notify();
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.deps.state.whenActive(signal);
      if (signal.aborted) return;
      const outcome = await this.beat(signal);
      const interval = this.deps.intervalMs();
      const wait = outcome.kind === "throttled" ? Math.max(interval, outcome.retryAfterMs ?? 0) : interval;
      await this.#now.wait(wait, signal);
    }
  }

  /** One heartbeat, its outcome recorded; `token` sends with a specific token (rotation confirmation). */
  async beat(signal: AbortSignal, token?: string): Promise<BeatOutcome> {
    const outcome = await this.#send(signal, token);
    if (signal.aborted && outcome.kind === "miss") return outcome;
    this.#record(outcome);
    return outcome;
  }

  async #send(signal: AbortSignal, token?: string): Promise<BeatOutcome> {
    const clusterId = this.deps.provider.snapshot()?.credentials.clusterId;
    if (!clusterId) return { kind: "miss", tls: false };
    const healthy = this.deps.wireExtensions ? this.deps.controllersHealthy() : undefined;
    try {
      const response = await this.deps.transport.send(
        {
          endpoint: "heartbeat",
          method: "POST",
          path: AGENT_PATHS.events,
          body: { events: [heartbeatEvent(clusterId, healthy, new Date())] },
          timeoutMs: Math.min(10_000, this.deps.intervalMs() / 2),
          signal,
        },
        token ? { token } : {},
      );
      if (response.status >= 200 && response.status < 300) return { kind: "ok" };
      if (response.status === 401 || response.status === 403) return { kind: "auth" };
      if (response.status === 429 || response.status === 503) {
        const retryAfter = retryAfterMs(response.headers.get("retry-after"), Date.now());
        return retryAfter === undefined ? { kind: "throttled" } : { kind: "throttled", retryAfterMs: retryAfter };
      }
      return { kind: "miss", tls: false };
    } catch (err) {
      if (!(err instanceof CpTransportError)) throw err;
      return { kind: "miss", tls: err.kind === "tls" };
    }
  }

  #record(outcome: BeatOutcome): void {
    const { state, metrics } = this.deps;
    const heartbeat = state.observations.heartbeat;
    const before = JSON.stringify(heartbeat);
    if (outcome.kind === "miss") {
      heartbeat.misses++;
      heartbeat.lastMissTls = outcome.tls;
    } else {
      heartbeat.misses = 0;
      heartbeat.lastMissTls = false;
      if (outcome.kind === "ok") {
        heartbeat.lastHeartbeat = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
        heartbeat.completed = true;
      }
    }
    metrics.heartbeatMisses.set(heartbeat.misses);
    if (JSON.stringify(heartbeat) !== before) state.changed();
  }
}

