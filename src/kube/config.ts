/**
 * Where the API server is and how to authenticate to it. Parsing and auth providers (token files,
 * exec plugins, embedded certificates) are client-node's; this module only decides which
 * kubeconfig wins and turns it into options for Bun's fetch.
 */
import { existsSync } from "node:fs";
import { isIPv6 } from "node:net";
import { delimiter } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

export type KubeConfigSource = "flag" | "env" | "in-cluster" | "k3s";

export const K3S_KUBECONFIG = "/etc/rancher/k3s/k3s.yaml";
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface ResolveOptions {
  /** `--kubeconfig`: wins over everything else. */
  kubeconfigPath?: string;
  env?: Record<string, string | undefined>;
  /** Prefix of the service-account directory (client-node's `pathPrefix`), for fixtures in tests. */
  inClusterRoot?: string;
  k3sPath?: string;
  fileExists?: (path: string) => boolean;
}

export interface ResolvedKubeConfig {
  kubeConfig: KubeConfig;
  source: KubeConfigSource;
  /** The file(s) read, for the startup log line; absent for in-cluster. */
  paths: string[];
  server: string;
}

export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
}

/** Resolution order: `--kubeconfig`, `$KUBECONFIG`, in-cluster service account, the k3s default. */
export function resolveKubeConfig(options: ResolveOptions = {}): ResolvedKubeConfig {
  const env = options.env ?? process.env;
  const exists = options.fileExists ?? existsSync;
  if (options.kubeconfigPath) return fromFiles("flag", [options.kubeconfigPath], exists);
  const fromEnv = env.KUBECONFIG?.split(delimiter).filter((path) => path !== "");
  if (fromEnv && fromEnv.length > 0) return fromFiles("env", fromEnv, exists);
  const root = options.inClusterRoot ?? "";
  const saDir = `${root}${SERVICE_ACCOUNT_DIR}`;
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && exists(`${saDir}/token`)) {
    return fromServiceAccount(saDir, env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT);
  }
  const k3s = options.k3sPath ?? K3S_KUBECONFIG;
  if (exists(k3s)) return fromFiles("k3s", [k3s], exists);
  throw new KubeConfigError(
    "no kubeconfig found: pass --kubeconfig, set KUBECONFIG, run in a pod with a service account " +
      `(KUBERNETES_SERVICE_HOST and ${saDir}/token), or provide ${k3s}`,
  );
}

function fromFiles(source: KubeConfigSource, paths: string[], exists: (path: string) => boolean): ResolvedKubeConfig {
  // An explicitly named config that is missing is an error, never a reason to talk to another cluster.
  const missing = paths.filter((path) => !exists(path));
  if (missing.length > 0) {
    throw new KubeConfigError(`kubeconfig from ${describe(source)} not found: ${missing.join(", ")}`);
  }
  const [first, ...rest] = paths.map((path) => loadFile(path, source));
  const kubeConfig = first ?? new KubeConfig();
  // Like kubectl: the first file that sets a value wins, including the current context.
  try {
    for (const next of rest) kubeConfig.mergeConfig(next, true);
  } catch (err) {
    throw new KubeConfigError(`kubeconfigs from ${describe(source)} cannot be merged: ${(err as Error).message}`);
  }
  return { kubeConfig, source, paths, server: serverOf(kubeConfig, source) };
}

function loadFile(path: string, source: KubeConfigSource): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(path);
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${path} (${describe(source)}) cannot be parsed: ${(err as Error).message}`);
  }
  return kubeConfig;
}

/** client-node's loadFromCluster, but reading the injected environment rather than process.env. */
function fromServiceAccount(saDir: string, host: string, port: string): ResolvedKubeConfig {
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "in-cluster", server, caFile: `${saDir}/ca.crt`, skipTLSVerify: false }],
    // The token file is re-read by client-node as bound service-account tokens rotate.
    users: [{ name: "in-cluster", authProvider: { name: "tokenFile", config: { tokenFile: `${saDir}/token` } } }],
    contexts: [{ name: "in-cluster", cluster: "in-cluster", user: "in-cluster" }],
    currentContext: "in-cluster",
  });
  return { kubeConfig, source: "in-cluster", paths: [], server };
}

function serverOf(kubeConfig: KubeConfig, source: KubeConfigSource): string {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) {
    throw new KubeConfigError(`kubeconfig from ${describe(source)} has no current context with a cluster server`);
  }
  return server.replace(/\/+$/, "");
}

function describe(source: KubeConfigSource): string {
  switch (source) {
    case "flag":
      return "--kubeconfig";
    case "env":
      return "$KUBECONFIG";
    case "in-cluster":
      return "the in-cluster service account";
    case "k3s":
      return "the k3s default path";
  }
}

/** TLS material in the shape Bun's fetch takes (`tls:`), never an https.Agent. */
export interface FetchTls {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
  serverName?: string;
}

export interface ConnectionOptions {
  headers: Record<string, string>;
  tls: FetchTls;
}

/** What the client needs per request; re-evaluated each time so rotated tokens are picked up. */
export interface KubeConnection {
  readonly server: string;
  requestOptions(): Promise<ConnectionOptions>;
}

export function connectionFrom(resolved: Pick<ResolvedKubeConfig, "kubeConfig" | "server">): KubeConnection {
  const { kubeConfig, server } = resolved;
  return {
    server,
    async requestOptions() {
      const https: HttpsLike = { headers: {} };
      await kubeConfig.applyToHTTPSOptions(https as Parameters<KubeConfig["applyToHTTPSOptions"]>[0]);
      return { headers: headersOf(https), tls: tlsOf(https) };
    },
  };
}

interface HttpsLike {
  headers: Record<string, unknown>;
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
  rejectUnauthorized?: boolean;
  servername?: string;
  auth?: string;
}

function headersOf(https: HttpsLike): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(https.headers)) {
    if (typeof value === "string") headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(", ");
  }
  if (https.auth && headers.Authorization === undefined) {
    headers.Authorization = `Basic ${Buffer.from(https.auth).toString("base64")}`;
  }
  return headers;
}

function tlsOf(https: HttpsLike): FetchTls {
  const tls: FetchTls = {};
  const ca = pem(https.ca);
  const cert = pem(https.cert);
  const key = pem(https.key);
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (https.rejectUnauthorized !== undefined) tls.rejectUnauthorized = https.rejectUnauthorized;
  if (https.servername) tls.serverName = https.servername;
  return tls;
}

function pem(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  return undefined;
}
