/** The reference control plane's SQLite file (bun:sqlite): schema created on open, WAL so readers never block. */
import { Database } from "bun:sqlite";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  private_jwk TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  active INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS registration_tokens (
  hash TEXT PRIMARY KEY,
  cluster_id TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE TABLE IF NOT EXISTS clusters (
  id TEXT PRIMARY KEY,
  registered_at INTEGER NOT NULL,
  last_heartbeat_at INTEGER,
  public_key TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
  hash TEXT PRIMARY KEY,
  cluster_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  grace_until INTEGER,
  superseded INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS tokens_cluster ON tokens (cluster_id);
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  cluster_id TEXT NOT NULL,
  envelope TEXT NOT NULL,
  deliveries INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  acked_at INTEGER,
  result TEXT,
  result_at INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (cluster_id, acked_at, seq);
CREATE TABLE IF NOT EXISTS job_statuses (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  body TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS job_statuses_job ON job_statuses (job_id, seq);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster_id TEXT NOT NULL,
  event_key TEXT,
  kind TEXT NOT NULL,
  ref_kind TEXT NOT NULL,
  ref_namespace TEXT NOT NULL,
  ref_name TEXT NOT NULL,
  body TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_key ON events (cluster_id, event_key) WHERE event_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_cluster ON events (cluster_id, seq);
CREATE TABLE IF NOT EXISTS cluster_connectivity (
  cluster_id TEXT PRIMARY KEY,
  mode TEXT NOT NULL,
  status_source TEXT NOT NULL,
  push_kubeconfig TEXT,
  gitops_remote TEXT,
  gitops_branch TEXT,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS watched_namespaces (
  cluster_id TEXT NOT NULL,
  namespace TEXT NOT NULL,
  PRIMARY KEY (cluster_id, namespace)
);
CREATE TABLE IF NOT EXISTS desired_objects (
  cluster_id TEXT NOT NULL,
  identity TEXT NOT NULL,
  object TEXT NOT NULL,
  PRIMARY KEY (cluster_id, identity)
);
`;

export function openDatabase(path: string): Database {
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
  db.exec(SCHEMA);
  return db;
}
