/**
 * Injected failures for tests (admin `POST /api/admin/faults`): the next `count` matching requests are held for
 * `delayMs`, then get `status`; a fault without `status` only holds them and lets them through (a slow plane).
 */
import * as v from "valibot";
import { AGENT_ENDPOINTS, type AgentEndpoint } from "../protocol/endpoints";

export const faultSchema = v.pipe(
  v.strictObject({
    endpoint: v.picklist(AGENT_ENDPOINTS),
    clusterId: v.optional(v.string()),
    status: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(599))),
    count: v.pipe(v.number(), v.integer(), v.minValue(1)),
    retryAfterSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    delayMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(600_000))),
  }),
  v.check((fault) => fault.status !== undefined || fault.delayMs !== undefined, "a fault needs status, delayMs or both"),
);
export type Fault = v.InferOutput<typeof faultSchema>;

export interface FaultHit {
  /** Absent: the request is only delayed, then handled normally. */
  status?: number;
  retryAfterSeconds?: number;
  delayMs?: number;
}

export class FaultTable {
  #faults: Fault[] = [];

  add(fault: Fault): void {
    this.#faults.push({ ...fault });
  }

  clear(): void {
    this.#faults = [];
  }

  /** Consumes one use of the first fault matching the endpoint and (when the fault names one) the cluster. */
  take(endpoint: AgentEndpoint, clusterId: string | undefined): FaultHit | undefined {
    const index = this.#faults.findIndex((fault) => fault.endpoint === endpoint && (fault.clusterId === undefined || fault.clusterId === clusterId));
    if (index < 0) return undefined;
    const fault = this.#faults[index] as Fault;
    fault.count -= 1;
    if (fault.count <= 0) this.#faults.splice(index, 1);
    const hit: FaultHit = {};
    if (fault.status !== undefined) hit.status = fault.status;
    if (fault.retryAfterSeconds !== undefined) hit.retryAfterSeconds = fault.retryAfterSeconds;
    if (fault.delayMs !== undefined) hit.delayMs = fault.delayMs;
    return hit;
  }
}
