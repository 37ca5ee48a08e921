/**
 * The reference control plane in tests (docs/development.md#the-reference-control-plane-in-tests): started on 127.0.0.1:0 with its SQLite file in a temp
 * dir, in-process (default) or as the binary, optionally with TLS or mTLS from the in-process PKI. `restart()`
 * keeps port, database and keys. Never log the tokens or keys this hands out.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { createCa, issueCert, type CertificateAuthority, type PemPair } from "../../scripts/lib/pki";
import { AdminClient } from "../../src/controlplane/admin-client";
import { CONTROL_PLANE_DEFAULTS, type ControlPlaneConfig } from "../../src/controlplane/config";
import { startControlPlane, type RunningControlPlane } from "../../src/controlplane/server";
import { createLogger } from "../../src/observability/logger";
import { eventually } from "./eventually";
import { LogCapture } from "./logs";
import { ensureBinary } from "./operator";

export type ControlPlaneSettings = Partial<Omit<ControlPlaneConfig, "hostname" | "port" | "db" | "adminToken" | "tls">>;

export interface RefControlPlaneOptions {
  /** Serve HTTPS with a server certificate for IP 127.0.0.1. */
  tls?: boolean;
  /** Also require client certificates issued by `pki.clientCa` (implies tls). */
  mtls?: boolean;
  /** With mtls: bind client certificates whose CN names a registered cluster to that cluster (node:tls listener). */
  certIdentity?: boolean;
  /** Run `vworkspace-operator control-plane serve` from dist/ instead of in-process. */
  binary?: boolean;
  /** In-process only: the plane's clock in ms (default Date.now), to cross time windows without waiting. */
  now?: () => number;
  settings?: ControlPlaneSettings;
}

export interface ControlPlanePki {
  /** Issues the plane's server certificate; trust it as the control-plane CA. */
  serverCa: CertificateAuthority;
  /** Issues client certificates the plane accepts (mTLS). */
  clientCa: CertificateAuthority;
  /** A CA the plane does not trust, for negative tests. */
  rogueCa: CertificateAuthority;
  /** A client certificate the plane accepts (used by the admin client). */
  clientCert(cn: string): Promise<PemPair>;
}

export interface RefControlPlane {
  url: string;
  /** PEM of the CA that issued the server certificate (TLS only). */
  caPem: string | undefined;
  adminToken: string;
  dbPath: string;
  pki: ControlPlanePki | undefined;
  admin: AdminClient;
  logs: LogCapture;
  stop(): Promise<void>;
  /** Stops, runs `whileDown` (an outage), and starts again on the same port with the same database and keys. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

interface Instance {
  port: number;
  stop(): Promise<void>;
}

async function createPki(): Promise<ControlPlanePki> {
  const [serverCa, clientCa, rogueCa] = await Promise.all([
    createCa({ cn: "test-control-plane-server-ca" }),
    createCa({ cn: "test-control-plane-client-ca" }),
    createCa({ cn: "test-rogue-ca" }),
  ]);
  return { serverCa, clientCa, rogueCa, clientCert: (cn) => issueCert(clientCa, { cn, usage: "client" }) };
}

function flagArgs(config: ControlPlaneConfig, files: { cert?: string; key?: string; clientCa?: string }): string[] {
  const args = [
    `--listen=${config.hostname}:${config.port}`,
    `--db=${config.db}`,
    `--signing=${config.signing}`,
    `--encrypt-jobs=${config.encryptJobs}`,
    `--rotation-grace=${config.rotationGraceMs}ms`,
    `--token-ttl=${config.tokenTtlMs}ms`,
    `--max-wait=${config.maxWaitSeconds}`,
    `--max-jobs-per-poll=${config.maxJobsPerPoll}`,
    `--max-inflight-polls=${config.maxInflightPolls}`,
    `--rate-limit=${config.rateLimitPerSecond}`,
    `--retry-after=${config.retryAfterSeconds}`,
    `--gitops-dir=${config.gitopsDir}`,
  ];
  if (files.cert && files.key) args.push(`--tls-cert=${files.cert}`, `--tls-key=${files.key}`);
  if (files.clientCa) args.push(`--client-ca=${files.clientCa}`);
  if (config.tls?.clientCertIdentity) args.push("--client-cert-identity");
  if (config.seedRegistrationToken) args.push(`--seed-registration-token=${config.seedRegistrationToken}`);
  if (config.seedClusterId) args.push(`--seed-cluster-id=${config.seedClusterId}`);
  if (config.gitopsSigningKey) args.push(`--gitops-signing-gnupg-home=${config.gitopsSigningKey.gnupgHome}`, `--gitops-signing-key=${config.gitopsSigningKey.fingerprint}`);
  return args;
}

async function startBinary(config: ControlPlaneConfig, dir: string, logs: LogCapture): Promise<Instance> {
  const files: { cert?: string; key?: string; clientCa?: string } = {};
  if (config.tls) {
    files.cert = join(dir, "tls.crt");
    files.key = join(dir, "tls.key");
    writeFileSync(files.cert, config.tls.certPem);
    writeFileSync(files.key, config.tls.keyPem, { mode: 0o600 });
    if (config.tls.clientCaPem) {
      files.clientCa = join(dir, "client-ca.crt");
      writeFileSync(files.clientCa, config.tls.clientCaPem);
    }
  }
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([ensureBinary(), "control-plane", "serve", ...flagArgs(config, files)], {
    env: { ...process.env, VWORKSPACE_CP_ADMIN_TOKEN: config.adminToken },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) logs.write(decoder.decode(chunk, { stream: true }));
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  const line = await logs.waitFor((text) => text.includes("control plane listening"), 30_000);
  const url = (JSON.parse(line) as { url: string }).url;
  return {
    port: Number(new URL(url).port),
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

async function startInProcess(config: ControlPlaneConfig, logs: LogCapture, now: (() => number) | undefined): Promise<Instance> {
  const running: RunningControlPlane = await startControlPlane(config, createLogger({ name: "control-plane", level: "debug", destination: logs }), now ? { now } : {});
  return { port: running.port, stop: () => running.stop() };
}

export async function startRefControlPlane(options: RefControlPlaneOptions = {}): Promise<RefControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), "vws-cp-"));
  const dbPath = join(dir, "cp.sqlite");
  const adminToken = `admin-${crypto.randomUUID()}`;
  if (options.binary && options.now) throw new Error("startRefControlPlane: a clock can only be injected in-process");
  const useTls = options.tls === true || options.mtls === true;
  const pki = useTls ? await createPki() : undefined;
  const server = pki ? await issueCert(pki.serverCa, { cn: "127.0.0.1", usage: "server", sans: { ips: ["127.0.0.1"] } }) : undefined;
  const config: ControlPlaneConfig = {
    ...CONTROL_PLANE_DEFAULTS,
    ...options.settings,
    hostname: "127.0.0.1",
    port: 0,
    db: dbPath,
    adminToken,
    gitopsDir: join(dir, "gitops"),
  };
  if (server && pki) config.tls = { certPem: server.certPem, keyPem: server.keyPem, ...(options.mtls ? { clientCaPem: pki.clientCa.certPem, clientCertIdentity: options.certIdentity === true } : {}) };
  const logs = new LogCapture();
  const launch = (settings: ControlPlaneConfig) => (options.binary ? startBinary(settings, dir, logs) : startInProcess(settings, logs, options.now));
  let instance: Instance | undefined = await launch(config);
  config.port = instance.port;
  const scheme = useTls ? "https" : "http";
  const url = `${scheme}://127.0.0.1:${instance.port}`;
  const adminCert = options.mtls && pki ? await pki.clientCert("test-admin") : undefined;
  const tls = pki ? { ca: pki.serverCa.certPem, ...(adminCert ? { cert: adminCert.certPem, key: adminCert.keyPem } : {}) } : undefined;
  const admin = new AdminClient({ url, adminToken, ...(tls ? { tls } : {}) });
  const healthy = async () => (await fetch(`${url}/healthz`, tls ? ({ tls } as RequestInit) : {})).status === 200;
  await eventually(healthy, { what: "control plane /healthz", timeoutMs: 30_000 });
  return {
    url,
    caPem: pki?.serverCa.certPem,
    adminToken,
    dbPath,
    pki,
    admin,
    logs,
    stop: async () => {
      await instance?.stop();
      instance = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async (whileDown) => {
      await instance?.stop();
      instance = undefined;
      try {
        await whileDown?.();
      } finally {
        instance = await launch(config);
      }
      await eventually(healthy, { what: "control plane /healthz after restart", timeoutMs: 30_000 });
    },
  };
}

/** Registers a cluster the way an agent would; returns the bearer token and the (now used) registration token. */
export async function registerCluster(plane: RefControlPlane, body: Record<string, unknown> = {}, tls?: { ca?: string; cert?: string; key?: string }): Promise<{ clusterId: string; token: string; registrationToken: string; response: Record<string, unknown> }> {
  const { token: registrationToken } = await plane.admin.createRegistrationToken(body.clusterId as string | undefined);
  const response = await fetch(`${plane.url}/api/agent/register`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${registrationToken}`,
      Accept: "application/vnd.vworkspace.agent.v1+json",
      "Content-Type": "application/vnd.vworkspace.agent.v1+json",
    },
    body: JSON.stringify({ registrationToken, ...body }),
    ...(tls ? { tls } : {}),
  } as RequestInit);
  if (response.status !== 200) throw new Error(`register answered ${response.status}: ${await response.text()}`);
  const answer = (await response.json()) as Record<string, unknown> & { clusterId: string; token: string };
  return { clusterId: answer.clusterId, token: answer.token, registrationToken, response: answer };
}
