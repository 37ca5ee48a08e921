/** Events attributed to the sending token's cluster: keyed events stored once, heartbeats trimmed to the last 100. */
import type { Database } from "bun:sqlite";
import type { AgentEvent } from "../../protocol/events";

export const HEARTBEATS_KEPT = 100;

export interface EventFilter {
  clusterId: string;
  kind?: string;
  namespace?: string;
  name?: string;
  eventKind?: string;
  after?: number;
  limit: number;
}

export interface StoredEvents {
  events: (AgentEvent & { seq: number })[];
  next: number;
}

export class EventStore {
  constructor(private readonly db: Database) {}

  /** Returns how many events were new (deduped ones are skipped silently). */
  append(clusterId: string, events: AgentEvent[], now: number): number {
    const insert = this.db.query(
      "INSERT OR IGNORE INTO events (cluster_id, event_key, kind, ref_kind, ref_namespace, ref_name, body, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    let stored = 0;
    this.db.transaction(() => {
      for (const event of events) {
        const key = event.eventKey && event.eventKey !== "" ? event.eventKey : null;
        const ref = event.resourceRef;
        stored += insert.run(clusterId, key, event.kind, ref.kind, ref.namespace, ref.name, JSON.stringify(event), now).changes;
      }
      if (events.some((event) => event.kind === "ClusterHeartbeat")) this.trimHeartbeats(clusterId);
    })();
    return stored;
  }

  private trimHeartbeats(clusterId: string): void {
    this.db
      .query(
        "DELETE FROM events WHERE cluster_id = ?1 AND kind = 'ClusterHeartbeat' AND seq NOT IN (SELECT seq FROM events WHERE cluster_id = ?1 AND kind = 'ClusterHeartbeat' ORDER BY seq DESC LIMIT ?2)",
      )
      .run(clusterId, HEARTBEATS_KEPT);
  }

  query(filter: EventFilter): StoredEvents {
    const clauses = ["cluster_id = ?", "seq > ?"];
    const params: (string | number)[] = [filter.clusterId, filter.after ?? 0];
    const optional: [string, string | undefined][] = [
      ["ref_kind", filter.kind],
      ["ref_namespace", filter.namespace],
      ["ref_name", filter.name],
      ["kind", filter.eventKind],
    ];
    for (const [column, value] of optional) {
      if (value === undefined) continue;
      clauses.push(`${column} = ?`);
      params.push(value);
    }
    params.push(filter.limit);
    const rows = this.db
      .query<{ seq: number; body: string }, (string | number)[]>(`SELECT seq, body FROM events WHERE ${clauses.join(" AND ")} ORDER BY seq LIMIT ?`)
      .all(...params);
    const events = rows.map((row) => ({ ...(JSON.parse(row.body) as AgentEvent), seq: row.seq }));
    return { events, next: rows.at(-1)?.seq ?? filter.after ?? 0 };
  }
}
