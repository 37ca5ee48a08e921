/** Jobs per cluster: pending until acked (redelivered oldest first), closed once a result is recorded. */
import type { Database } from "bun:sqlite";
import type { JobResult, StatusUpdate } from "../../protocol/result";

export type JobState = "pending" | "acked" | "closed";

export interface JobRecord {
  job: Record<string, unknown>;
  clusterId: string;
  state: JobState;
  deliveries: number;
  ackedAt: string | null;
  result: JobResult | null;
  statuses: StatusUpdate[];
}

export interface JobRow {
  id: string;
  cluster_id: string;
  envelope: string;
  deliveries: number;
  created_at: number;
  acked_at: number | null;
  result: string | null;
  result_at: number | null;
}

export function stateOf(row: Pick<JobRow, "acked_at" | "result">): JobState {
  if (row.result !== null) return "closed";
  return row.acked_at !== null ? "acked" : "pending";
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export class JobStore {
  constructor(private readonly db: Database) {}

  /** False when the id is taken. */
  insert(clusterId: string, id: string, envelope: Record<string, unknown>, now: number): boolean {
    const result = this.db
      .query("INSERT OR IGNORE INTO jobs (id, cluster_id, envelope, created_at) VALUES (?, ?, ?, ?)")
      .run(id, clusterId, JSON.stringify(envelope), now);
    return result.changes === 1;
  }

  row(id: string): JobRow | undefined {
    return this.db.query<JobRow, [string]>("SELECT * FROM jobs WHERE id = ?").get(id) ?? undefined;
  }

  /** Unacked jobs, oldest first, counted as delivered. Envelopes are returned as stored text, byte for byte. */
  deliver(clusterId: string, limit: number): string[] {
    const rows = this.db
      .query<{ seq: number; envelope: string }, [string, number]>(
        "SELECT seq, envelope FROM jobs WHERE cluster_id = ? AND acked_at IS NULL ORDER BY seq LIMIT ?",
      )
      .all(clusterId, limit);
    if (rows.length > 0) {
      const mark = this.db.query("UPDATE jobs SET deliveries = deliveries + 1 WHERE seq = ?");
      this.db.transaction(() => rows.forEach((row) => mark.run(row.seq)))();
    }
    return rows.map((row) => row.envelope);
  }

  ack(id: string, now: number): void {
    this.db.query("UPDATE jobs SET acked_at = ? WHERE id = ? AND acked_at IS NULL").run(now, id);
  }

  /** False when a result was recorded first (a concurrent duplicate). */
  recordResult(id: string, result: JobResult, now: number): boolean {
    return this.db.query("UPDATE jobs SET result = ?, result_at = ? WHERE id = ? AND result IS NULL").run(JSON.stringify(result), now, id).changes === 1;
  }

  addStatus(id: string, update: StatusUpdate, now: number): void {
    this.db.query("INSERT INTO job_statuses (job_id, body, received_at) VALUES (?, ?, ?)").run(id, JSON.stringify(update), now);
  }

  record(id: string): JobRecord | undefined {
    const row = this.row(id);
    return row ? this.toRecord(row) : undefined;
  }

  list(clusterId: string, state: JobState | undefined): JobRecord[] {
    const rows = this.db.query<JobRow, [string]>("SELECT * FROM jobs WHERE cluster_id = ? ORDER BY seq").all(clusterId);
    return rows.filter((row) => state === undefined || stateOf(row) === state).map((row) => this.toRecord(row));
  }

  private toRecord(row: JobRow): JobRecord {
    const statuses = this.db
      .query<{ body: string }, [string]>("SELECT body FROM job_statuses WHERE job_id = ? ORDER BY seq")
      .all(row.id)
      .map((status) => JSON.parse(status.body) as StatusUpdate);
    return {
      job: JSON.parse(row.envelope) as Record<string, unknown>,
      clusterId: row.cluster_id,
      state: stateOf(row),
      deliveries: row.deliveries,
      ackedAt: iso(row.acked_at),
      result: row.result === null ? null : (JSON.parse(row.result) as JobResult),
      statuses,
    };
  }
}
