/** Settings of the reference control plane (docs/connectivity.md#the-reference-control-plane); the CLI fills them from flags. */
import type { CommitSigningKey } from "../gitops/openpgp";

export interface ControlPlaneTls {
  certPem: string;
  keyPem: string;
  /** With a client CA, every connection must present a certificate issued by it (mTLS). */
  clientCaPem?: string;
  /**
   * Bind certificates to clusters: a client certificate whose CN names a registered cluster may only be used with
   * that cluster's tokens. Terminates TLS in node:tls, since Bun.serve cannot show the peer certificate.
   */
  clientCertIdentity?: boolean;
}

export interface ControlPlaneConfig {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  /** SQLite file path or `:memory:`. */
  db: string;
  adminToken: string;
  tls?: ControlPlaneTls;
  signing: "ed25519" | "off";
  /** Encrypt every job whose cluster has a public key. */
  encryptJobs: boolean;
  rotationGraceMs: number;
  /** Bearer lifetime; 0 = none. */
  tokenTtlMs: number;
  seedRegistrationToken?: string;
  seedClusterId?: string;
  maxWaitSeconds: number;
  maxJobsPerPoll: number;
  maxInflightPolls: number;
  /** Requests per second per bearer token; the bucket holds twice as many. */
  rateLimitPerSecond: number;
  retryAfterSeconds: number;
  /** GitOps mode: where the per-cluster work trees live. */
  gitopsDir: string;
  /** GitOps mode: the OpenPGP key every commit is signed with; unsigned commits when absent. */
  gitopsSigningKey?: CommitSigningKey;
  /** Server-side length of the Push status watches, seconds. */
  statusWatchTimeoutSeconds: number;
}

export const CONTROL_PLANE_DEFAULTS: Omit<ControlPlaneConfig, "adminToken"> = {
  hostname: "127.0.0.1",
  port: 8080,
  db: "vworkspace-control-plane.db",
  signing: "ed25519",
  encryptJobs: false,
  rotationGraceMs: 24 * 3_600_000,
  tokenTtlMs: 0,
  maxWaitSeconds: 300,
  maxJobsPerPoll: 50,
  maxInflightPolls: 256,
  rateLimitPerSecond: 50,
  retryAfterSeconds: 5,
  gitopsDir: "vworkspace-control-plane-gitops",
  statusWatchTimeoutSeconds: 240,
};

/** Seeded registration tokens live as long as a created one by default. */
export const DEFAULT_REGISTRATION_TOKEN_TTL_MS = 86_400_000;
/** `/status` updates are accepted until this long after the result. */
export const STATUS_WINDOW_MS = 86_400_000;
