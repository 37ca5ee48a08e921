/** Registered clusters and their published X25519 keys. */
import type { Database } from "bun:sqlite";
import type { ClusterPublicKey } from "../../security/keys";

export interface ClusterRecord {
  clusterId: string;
  registeredAt: number;
  lastHeartbeatAt: number | null;
  publicKey: ClusterPublicKey | null;
}

interface Row {
  id: string;
  registered_at: number;
  last_heartbeat_at: number | null;
  public_key: string | null;
}

function toRecord(row: Row): ClusterRecord {
  return {
    clusterId: row.id,
    registeredAt: row.registered_at,
    lastHeartbeatAt: row.last_heartbeat_at,
    publicKey: row.public_key ? (JSON.parse(row.public_key) as ClusterPublicKey) : null,
  };
}

export class ClusterStore {
  constructor(private readonly db: Database) {}

  get(clusterId: string): ClusterRecord | undefined {
    const row = this.db.query<Row, [string]>("SELECT * FROM clusters WHERE id = ?").get(clusterId);
    return row ? toRecord(row) : undefined;
  }

  list(): ClusterRecord[] {
    return this.db.query<Row, []>("SELECT * FROM clusters ORDER BY registered_at, id").all().map(toRecord);
  }

  /** Creates the cluster or, for a re-registration, keeps its history and replaces the key when one is sent. */
  upsert(clusterId: string, now: number, publicKey: ClusterPublicKey | undefined): void {
    this.db
      .query("INSERT INTO clusters (id, registered_at, public_key) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET registered_at = ?2, public_key = COALESCE(?3, public_key)")
      .run(clusterId, now, publicKey ? JSON.stringify(publicKey) : null);
  }

  /** A cluster the admin configures before (or without) any registration: a Push cluster with no status channel. */
  ensure(clusterId: string, now: number): void {
    this.db.query("INSERT OR IGNORE INTO clusters (id, registered_at) VALUES (?, ?)").run(clusterId, now);
  }

  setPublicKey(clusterId: string, publicKey: ClusterPublicKey): void {
    this.db.query("UPDATE clusters SET public_key = ? WHERE id = ?").run(JSON.stringify(publicKey), clusterId);
  }

  touchHeartbeat(clusterId: string, now: number): void {
    this.db.query("UPDATE clusters SET last_heartbeat_at = ? WHERE id = ?").run(now, clusterId);
  }
}
