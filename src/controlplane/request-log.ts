/**
 * The authenticated agent requests the plane answered (admin `GET /api/admin/clusters/{id}/requests`): when each
 * arrived, its status and, for events, how many events of each kind it carried. Tests read batching and retry
 * timing from it. In memory and bounded: a restart starts an empty log.
 */
import type { AgentEndpoint } from "../protocol/endpoints";

export const REQUESTS_KEPT = 10_000;

export interface AgentRequestRecord {
  endpoint: AgentEndpoint;
  /** Arrival time, RFC 3339 with milliseconds. */
  receivedAt: string;
  status: number;
  /** Events requests that reached the handler: events per `kind` in the body. */
  eventKinds?: Record<string, number>;
}

export class RequestLog {
  readonly #entries: Array<AgentRequestRecord & { clusterId: string }> = [];

  record(clusterId: string, entry: AgentRequestRecord): void {
    this.#entries.push({ clusterId, ...entry });
    if (this.#entries.length > REQUESTS_KEPT) this.#entries.splice(0, this.#entries.length - REQUESTS_KEPT);
  }

  /** Oldest first. */
  list(clusterId: string, endpoint?: AgentEndpoint): AgentRequestRecord[] {
    return this.#entries
      .filter((entry) => entry.clusterId === clusterId && (endpoint === undefined || entry.endpoint === endpoint))
      .map(({ clusterId: _clusterId, ...entry }) => entry);
  }
}

export function countKinds(events: ReadonlyArray<{ kind: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) counts[event.kind] = (counts[event.kind] ?? 0) + 1;
  return counts;
}
