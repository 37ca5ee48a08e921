/** `control-plane serve`: the reference control plane until SIGTERM or SIGINT (docs/connectivity.md#the-reference-control-plane). */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { FlagError, parseFlags, renderFlagHelp, type FlagSpec, type ParsedFlags } from "../../commandline/flags";
import type { CommandIO, Env } from "../../commandline/command";
import { waitForTermination } from "../../commandline/command";
import { parseBindAddress } from "../../observability/listen";
import { createLogger } from "../../observability/logger";
import { CONTROL_PLANE_DEFAULTS, type ControlPlaneConfig } from "../config";
import { startControlPlane } from "../server";

const d = CONTROL_PLANE_DEFAULTS;

export const SERVE_FLAGS: FlagSpec[] = [
  { name: "listen", type: "string", default: "127.0.0.1:8080", help: "host:port to listen on; non-loopback without TLS needs --allow-insecure-listen" },
  { name: "allow-insecure-listen", type: "bool", default: "false", help: "allow plain HTTP on a non-loopback address" },
  { name: "db", type: "string", default: d.db, help: "SQLite file (:memory: for a throw-away plane)" },
  { name: "admin-token", type: "string", env: "VWORKSPACE_CP_ADMIN_TOKEN", help: "admin API secret; random and printed once to stderr when unset" },
  { name: "tls-cert", type: "string", help: "PEM server certificate file (enables HTTPS)" },
  { name: "tls-key", type: "string", help: "PEM server key file" },
  { name: "client-ca", type: "string", help: "PEM CA file; client certificates issued by it are required (mTLS)" },
  { name: "client-cert-identity", type: "bool", default: "false", help: "with --client-ca: a certificate whose CN names a registered cluster may only be used for that cluster" },
  { name: "signing", type: "string", default: d.signing, help: "job signing: ed25519 or off" },
  { name: "encrypt-jobs", type: "bool", default: "false", help: "encrypt every job whose cluster has a public key" },
  { name: "rotation-grace", type: "duration", default: "24h", help: "how long a rotated-away token keeps working (0 = not at all)" },
  { name: "token-ttl", type: "duration", default: "0", help: "bearer token lifetime (0 = none)" },
  { name: "seed-registration-token", type: "string", help: "create this registration token at startup" },
  { name: "seed-cluster-id", type: "string", help: "bind the seeded registration token to this cluster id" },
  { name: "max-wait", type: "int", default: String(d.maxWaitSeconds), help: "cap for the long-poll wait, seconds" },
  { name: "max-jobs-per-poll", type: "int", default: String(d.maxJobsPerPoll), help: "jobs per poll answer" },
  { name: "max-inflight-polls", type: "int", default: String(d.maxInflightPolls), help: "long polls held at once before 503 Overloaded" },
  { name: "rate-limit", type: "int", default: String(d.rateLimitPerSecond), help: "requests per second per token (burst twice that) before 429" },
  { name: "retry-after", type: "int", default: String(d.retryAfterSeconds), help: "Retry-After seconds on 429 and 503" },
  { name: "gitops-dir", type: "string", default: d.gitopsDir, help: "GitOps mode: directory of the per-cluster Git work trees" },
  { name: "gitops-signing-gnupg-home", type: "string", help: "GitOps mode: GnuPG home holding the key the commits are signed with" },
  { name: "gitops-signing-key", type: "string", help: "GitOps mode: fingerprint of that key (with --gitops-signing-gnupg-home)" },
  { name: "log-level", type: "string", env: "VWS_LOG_LEVEL", default: "info", help: "trace, debug, info, warn or error" },
];

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

function readPem(path: string | undefined, flag: string): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new FlagError(`--${flag}: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function serveConfig(parsed: ParsedFlags, io: CommandIO): ControlPlaneConfig {
  const str = (name: string) => parsed.values.get(name) as string | undefined;
  const num = (name: string) => parsed.values.get(name) as number;
  const bind = parseBindAddress(str("listen") ?? "");
  if (!bind) throw new FlagError("--listen: an address is required");
  const signing = str("signing");
  if (signing !== "ed25519" && signing !== "off") throw new FlagError(`--signing: "${signing}" is not ed25519 or off`);
  const certPem = readPem(str("tls-cert"), "tls-cert");
  const keyPem = readPem(str("tls-key"), "tls-key");
  const clientCaPem = readPem(str("client-ca"), "client-ca");
  if (Boolean(certPem) !== Boolean(keyPem)) throw new FlagError("--tls-cert and --tls-key go together");
  if (clientCaPem && !certPem) throw new FlagError("--client-ca needs --tls-cert and --tls-key");
  const clientCertIdentity = parsed.values.get("client-cert-identity") === true;
  if (clientCertIdentity && !clientCaPem) throw new FlagError("--client-cert-identity needs --client-ca");
  if (!certPem && !LOOPBACK.has(bind.hostname) && parsed.values.get("allow-insecure-listen") !== true) {
    throw new FlagError(`--listen ${bind.hostname} is not loopback; serve TLS or pass --allow-insecure-listen`);
  }
  for (const name of ["max-wait", "max-jobs-per-poll", "max-inflight-polls", "retry-after"]) {
    if (num(name) < 1) throw new FlagError(`--${name} must be at least 1`);
  }
  let adminToken = str("admin-token");
  if (!adminToken) {
    adminToken = randomBytes(24).toString("hex");
    // Printed once, on purpose: the operator of a dev plane needs it, and it is never logged.
    io.err(`admin token: ${adminToken}`);
  }
  const config: ControlPlaneConfig = {
    hostname: bind.hostname,
    port: bind.port,
    db: str("db") as string,
    adminToken,
    signing,
    encryptJobs: parsed.values.get("encrypt-jobs") === true,
    rotationGraceMs: num("rotation-grace"),
    tokenTtlMs: num("token-ttl"),
    maxWaitSeconds: num("max-wait"),
    maxJobsPerPoll: num("max-jobs-per-poll"),
    maxInflightPolls: num("max-inflight-polls"),
    rateLimitPerSecond: num("rate-limit"),
    retryAfterSeconds: num("retry-after"),
    gitopsDir: str("gitops-dir") as string,
    statusWatchTimeoutSeconds: d.statusWatchTimeoutSeconds,
  };
  if (certPem && keyPem) config.tls = { certPem, keyPem, ...(clientCaPem ? { clientCaPem, clientCertIdentity } : {}) };
  const gnupgHome = str("gitops-signing-gnupg-home");
  const fingerprint = str("gitops-signing-key");
  if (Boolean(gnupgHome) !== Boolean(fingerprint)) throw new FlagError("--gitops-signing-gnupg-home and --gitops-signing-key go together");
  if (gnupgHome && fingerprint) config.gitopsSigningKey = { gnupgHome, fingerprint };
  const seedToken = str("seed-registration-token");
  const seedCluster = str("seed-cluster-id");
  if (seedToken) config.seedRegistrationToken = seedToken;
  if (seedCluster) config.seedClusterId = seedCluster;
  return config;
}

export async function serveCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`Usage: vworkspace-operator control-plane serve [flags]\n\nFlags:\n${renderFlagHelp(SERVE_FLAGS)}`);
    return 0;
  }
  const parsed = parseFlags(args, SERVE_FLAGS, env);
  if (parsed.positionals.length > 0) throw new FlagError(`unexpected argument "${parsed.positionals[0]}"`);
  const config = serveConfig(parsed, io);
  const logger = createLogger({ name: "control-plane", level: parsed.values.get("log-level") as string });
  const plane = await startControlPlane(config, logger);
  await waitForTermination();
  logger.info("received termination signal; shutting down");
  await plane.stop();
  return 0;
}
