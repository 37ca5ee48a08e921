/**
 * Registration tokens (single use, expiring) and bearer tokens (expiring, revocable, rotated with a grace period).
 * Only SHA-256 hashes are stored; the plain values exist only in the answer that hands them out.
 */
import type { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import { tokenHash } from "../../security/fingerprint";

export interface IssuedToken {
  token: string;
  expiresAt: number | null;
}

export interface BearerIdentity {
  clusterId: string;
  hash: string;
  /** A token rotated away still works during its grace period, but may not rotate again. */
  superseded: boolean;
}

export type RegistrationLookup =
  | { ok: true; hash: string; boundClusterId: string | null }
  | { ok: false };

export class TokenStore {
  constructor(private readonly db: Database) {}

  createRegistrationToken(clusterId: string | undefined, ttlMs: number, now: number): IssuedToken {
    const token = `vwksp-reg-${randomBytes(24).toString("hex")}`;
    const expiresAt = now + ttlMs;
    this.db
      .query("INSERT INTO registration_tokens (hash, cluster_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
      .run(tokenHash(token), clusterId ?? null, now, expiresAt);
    return { token, expiresAt };
  }

  /** Seeds a known registration token (startup flag); an existing unused one is kept as it is. */
  seedRegistrationToken(token: string, clusterId: string | undefined, ttlMs: number, now: number): void {
    this.db
      .query("INSERT OR IGNORE INTO registration_tokens (hash, cluster_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
      .run(tokenHash(token), clusterId ?? null, now, now + ttlMs);
  }

  /** Unknown, used and expired tokens look the same to the caller (one answer for all three). */
  findRegistrationToken(token: string, now: number): RegistrationLookup {
    const hash = tokenHash(token);
    const row = this.db
      .query<{ cluster_id: string | null; expires_at: number; used_at: number | null }, [string]>(
        "SELECT cluster_id, expires_at, used_at FROM registration_tokens WHERE hash = ?",
      )
      .get(hash);
    if (!row || row.used_at !== null || row.expires_at <= now) return { ok: false };
    return { ok: true, hash, boundClusterId: row.cluster_id };
  }

  /** Marks the token used; false when another request consumed it first. */
  consumeRegistrationToken(hash: string, now: number): boolean {
    return this.db.query("UPDATE registration_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL").run(now, hash).changes === 1;
  }

  issueBearer(clusterId: string, ttlMs: number, now: number): IssuedToken {
    const token = `vwksp-${randomBytes(32).toString("hex")}`;
    const expiresAt = ttlMs > 0 ? now + ttlMs : null;
    this.db.query("INSERT INTO tokens (hash, cluster_id, created_at, expires_at) VALUES (?, ?, ?, ?)").run(tokenHash(token), clusterId, now, expiresAt);
    return { token, expiresAt };
  }

  authenticate(token: string, now: number): BearerIdentity | undefined {
    const hash = tokenHash(token);
    const row = this.db
      .query<{ cluster_id: string; expires_at: number | null; grace_until: number | null; superseded: number; revoked_at: number | null }, [string]>(
        "SELECT cluster_id, expires_at, grace_until, superseded, revoked_at FROM tokens WHERE hash = ?",
      )
      .get(hash);
    if (!row || row.revoked_at !== null) return undefined;
    if (row.expires_at !== null && row.expires_at <= now) return undefined;
    if (row.grace_until !== null && row.grace_until <= now) return undefined;
    return { clusterId: row.cluster_id, hash, superseded: row.superseded === 1 };
  }

  /** The rotated-away token keeps working until `now + graceMs`; a zero grace revokes it at once. */
  supersede(hash: string, graceMs: number, now: number): void {
    if (graceMs <= 0) this.db.query("UPDATE tokens SET superseded = 1, revoked_at = ? WHERE hash = ?").run(now, hash);
    else this.db.query("UPDATE tokens SET superseded = 1, grace_until = ? WHERE hash = ?").run(now + graceMs, hash);
  }

  revokeCluster(clusterId: string, now: number): void {
    this.db.query("UPDATE tokens SET revoked_at = ? WHERE cluster_id = ? AND revoked_at IS NULL").run(now, clusterId);
  }

  activeCount(clusterId: string, now: number): number {
    const row = this.db
      .query<{ n: number }, [string, number]>(
        "SELECT COUNT(*) AS n FROM tokens WHERE cluster_id = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2) AND (grace_until IS NULL OR grace_until > ?2)",
      )
      .get(clusterId, now);
    return row?.n ?? 0;
  }
}
