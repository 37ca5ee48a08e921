/**
 * Starts the reference control plane on Bun.serve: plain HTTP, HTTPS, or mTLS where Bun itself requires and
 * verifies the client certificate (Bun cannot show it to the handler, so it is not mapped to a cluster).
 */
import type { Database } from "bun:sqlite";
import type { Logger } from "../observability/logger";
import { armoredPublicKey, stopGpgAgent } from "../gitops/openpgp";
import { controlPlaneApp } from "./app";
import { DEFAULT_REGISTRATION_TOKEN_TTL_MS, type ControlPlaneConfig, type ControlPlaneTls } from "./config";
import { createState, type ControlPlaneState } from "./state";
import { startTlsTerminator, type TlsTerminator } from "./tls-terminator";
import { openDatabase } from "./store/db";
import { serverErrors } from "../observability/server-errors";

export interface RunningControlPlane {
  /** Base URL with the bound port, e.g. https://127.0.0.1:41234 */
  url: string;
  port: number;
  state: ControlPlaneState;
  stop(): Promise<void>;
}

function seed(state: ControlPlaneState): void {
  const { seedRegistrationToken, seedClusterId } = state.config;
  if (seedRegistrationToken) state.tokens.seedRegistrationToken(seedRegistrationToken, seedClusterId, DEFAULT_REGISTRATION_TOKEN_TTL_MS, state.now());
}

/** After the listeners: the status watches, the gpg-agent that signing started, the database. */
async function closeState(state: ControlPlaneState, db: Database): Promise<void> {
  await state.statusWatches.stop();
  const signingKey = state.config.gitopsSigningKey;
  if (signingKey) await stopGpgAgent(signingKey.gnupgHome).catch((err: unknown) => state.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "stopping the GitOps signing gpg-agent failed"));
  db.close();
}

export interface ControlPlaneDeps {
  /** Milliseconds since the epoch; tests move it to cross windows (token expiry, status window) without waiting. */
  now?: () => number;
}

export async function startControlPlane(config: ControlPlaneConfig, logger: Logger, deps: ControlPlaneDeps = {}): Promise<RunningControlPlane> {
  // A GitOps signing key that GnuPG does not know fails the start, not the first commit.
  if (config.gitopsSigningKey) await armoredPublicKey(config.gitopsSigningKey);
  const db: Database = openDatabase(config.db);
  const state = createState(db, config, logger);
  if (deps.now) state.now = deps.now;
  seed(state);
  // The first signing key exists before the first request, so the JWKS is never empty while signing is on.
  if (config.signing !== "off") await state.signingKeys.active();
  state.statusWatches.reconcile();
  const app = controlPlaneApp(state);
  const clientCaPem = config.tls?.clientCaPem;
  if (config.tls && clientCaPem && config.tls.clientCertIdentity) return startWithIdentity(config, { ...config.tls, clientCaPem }, state, app, db);
  const tls = config.tls
    ? {
        cert: config.tls.certPem,
        key: config.tls.keyPem,
        ...(config.tls.clientCaPem ? { ca: config.tls.clientCaPem, requestCert: true, rejectUnauthorized: true } : {}),
      }
    : undefined;
  const server = Bun.serve({
    hostname: config.hostname,
    port: config.port,
    ...serverErrors(logger, "control-plane"),
    ...(tls ? { tls } : {}),
    fetch: (request, bunServer) => app.fetch(request, { server: bunServer }),
  });
  const scheme = tls ? "https" : "http";
  const host = config.hostname.includes(":") ? `[${config.hostname}]` : config.hostname;
  const port = server.port as number;
  const url = `${scheme}://${host}:${port}`;
  logger.info({ url, mtls: Boolean(config.tls?.clientCaPem), signing: config.signing, encryptJobs: config.encryptJobs }, "control plane listening");
  return {
    url,
    port,
    state,
    stop: async () => {
      state.signal.releaseAll();
      await server.stop(true);
      await closeState(state, db);
    },
  };
}

/** node:tls in front, Bun.serve on loopback behind it; requests that bypass the terminator are refused. */
async function startWithIdentity(
  config: ControlPlaneConfig,
  tls: ControlPlaneTls & { clientCaPem: string },
  state: ControlPlaneState,
  app: ReturnType<typeof controlPlaneApp>,
  db: Database,
): Promise<RunningControlPlane> {
  let identityOf: TlsTerminator["identityOf"] = () => undefined;
  const internal = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...serverErrors(state.logger, "control-plane-behind-tls"),
    fetch: (request, bunServer) => {
      const peer = identityOf(bunServer.requestIP(request)?.port ?? -1);
      if (!peer) return new Response(JSON.stringify({ error: "MisdirectedRequest", message: "connect through the TLS listener" }), { status: 421 });
      return app.fetch(request, { server: bunServer, peer });
    },
  });
  const terminator = await startTlsTerminator({ hostname: config.hostname, port: config.port, tls, upstreamPort: internal.port as number, logger: state.logger });
  identityOf = terminator.identityOf;
  const host = config.hostname.includes(":") ? `[${config.hostname}]` : config.hostname;
  const url = `https://${host}:${terminator.port}`;
  state.logger.info({ url, mtls: true, clientCertIdentity: true, signing: config.signing, encryptJobs: config.encryptJobs }, "control plane listening");
  return {
    url,
    port: terminator.port,
    state,
    stop: async () => {
      state.signal.releaseAll();
      await terminator.stop();
      await internal.stop(true);
      await closeState(state, db);
    },
  };
}
