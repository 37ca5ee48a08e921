/**
 * Where the API server is and how to authenticate to it: which kubeconfig wins, what its current
 * context selects, and the per-request options for Bun's fetch. Parsing and merging live in
 * kubeconfig.ts, per-request authentication in credentials.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { delimiter } from "node:path";
import { authenticationOf, credentialSource, impersonationHeaders, type Authentication } from "./credentials";
import {
  KubeConfigError,
  mergeKubeconfigs,
  parseKubeconfig,
  selectCurrentContext,
  type Kubeconfig,
  type KubeconfigCluster,
  type KubeconfigUser,
} from "./kubeconfig";

export { KubeConfigError } from "./kubeconfig";
export type { Authentication } from "./credentials";

export type KubeConfigSource = "flag" | "env" | "in-cluster" | "k3s";

export const K3S_KUBECONFIG = "/etc/rancher/k3s/k3s.yaml";
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface ResolveOptions {
  /** `--kubeconfig`: wins over everything else. */
  kubeconfigPath?: string;
  env?: Record<string, string | undefined>;
  /** Prefix of the service-account directory, for fixtures in tests. */
  inClusterRoot?: string;
  k3sPath?: string;
  fileExists?: (path: string) => boolean;
}

/** TLS material in the shape Bun's fetch takes (`tls:`), never an https.Agent. */
export interface FetchTls {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
  serverName?: string;
}

/** The selected API server and identity. Holds key material: log single fields, never the object. */
export interface ResolvedKubeConfig {
  source: KubeConfigSource;
  /** The file(s) read, for the startup log line; empty for in-cluster. */
  paths: string[];
  server: string;
  /** The context used; "in-cluster" for the service account. */
  context: string;
  /** The context's namespace, or the service account's; undefined when neither names one. */
  namespace: string | undefined;
  /** PEM bundle the server certificate is checked against; undefined means the system roots. */
  caPem: string | undefined;
  /** Read once, here: CA, client certificate and key, verification settings. */
  tls: FetchTls;
  authentication: Authentication;
  /** Impersonate-* headers from the user's `as` and `as-uid`. */
  impersonation: Record<string, string>;
}

/** Resolution order: `--kubeconfig`, `$KUBECONFIG`, in-cluster service account, the k3s default. */
export function resolveKubeConfig(options: ResolveOptions = {}): ResolvedKubeConfig {
  const env = options.env ?? process.env;
  const exists = options.fileExists ?? existsSync;
  if (options.kubeconfigPath) return fromFiles("flag", [options.kubeconfigPath], exists);
  const fromEnv = env.KUBECONFIG?.split(delimiter).filter((path) => path !== "");
  if (fromEnv && fromEnv.length > 0) return fromFiles("env", [...new Set(fromEnv)], exists);
  const saDir = `${options.inClusterRoot ?? ""}${SERVICE_ACCOUNT_DIR}`;
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && exists(`${saDir}/token`)) {
    return fromServiceAccount(saDir, env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT, exists);
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
  try {
    return fromParsed(source, paths, mergeKubeconfigs(paths.map((path) => parseKubeconfig(readText(path, "kubeconfig"), path))));
  } catch (err) {
    if (err instanceof KubeConfigError) throw new KubeConfigError(`${err.message} (kubeconfig from ${describe(source)})`);
    throw err;
  }
}

/**
 * A kubeconfig held as text (the control plane's stored Push kubeconfig): the same resolution as a file,
 * `origin` standing in for the path in messages. File references in it resolve against the working directory.
 */
export function resolveKubeConfigText(text: string, origin: string): ResolvedKubeConfig {
  return fromParsed("flag", [], parseKubeconfig(text, origin));
}

function fromParsed(source: KubeConfigSource, paths: string[], config: Kubeconfig): ResolvedKubeConfig {
  const { context, cluster, user } = selectCurrentContext(config);
  const caPem = caOf(cluster);
  return {
    source,
    paths,
    server: serverOf(cluster),
    context: context.name,
    namespace: context.namespace,
    caPem,
    tls: tlsOf(cluster, caPem, user),
    authentication: authenticationOf(user),
    impersonation: impersonationHeaders(user),
  };
}

/** client-go's InClusterConfig; the token file is re-read per request as bound tokens rotate. */
function fromServiceAccount(saDir: string, host: string, port: string, exists: (path: string) => boolean): ResolvedKubeConfig {
  const caPem = readPem(`${saDir}/ca.crt`, "in-cluster CA");
  const namespaceFile = `${saDir}/namespace`;
  const namespace = exists(namespaceFile) ? readText(namespaceFile, "service account namespace").trim() || undefined : undefined;
  return {
    source: "in-cluster",
    paths: [],
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    context: "in-cluster",
    namespace,
    caPem,
    tls: { ca: caPem },
    authentication: { type: "tokenFile", path: `${saDir}/token` },
    impersonation: {},
  };
}

function serverOf(cluster: KubeconfigCluster): string {
  if (!/^https?:\/\/[^/]/.test(cluster.server) || !URL.canParse(cluster.server)) {
    throw new KubeConfigError(`cluster "${cluster.name}" (${cluster.origin}) has a server that is not an http(s) URL`);
  }
  return cluster.server.replace(/\/+$/, "");
}

function caOf(cluster: KubeconfigCluster): string | undefined {
  return pemOf(`cluster "${cluster.name}" (${cluster.origin})`, "certificate-authority", cluster.certificateAuthority, cluster.certificateAuthorityData);
}

function tlsOf(cluster: KubeconfigCluster, caPem: string | undefined, user: KubeconfigUser | undefined): FetchTls {
  const tls: FetchTls = {};
  if (caPem) tls.ca = caPem;
  if (cluster.insecureSkipTlsVerify) tls.rejectUnauthorized = false;
  if (cluster.tlsServerName) tls.serverName = cluster.tlsServerName;
  if (!user) return tls;
  const owner = `user "${user.name}" (${user.origin})`;
  const cert = pemOf(owner, "client-certificate", user.clientCertificate, user.clientCertificateData);
  const key = pemOf(owner, "client-key", user.clientKey, user.clientKeyData);
  if ((cert === undefined) !== (key === undefined)) {
    throw new KubeConfigError(`${owner} sets ${cert ? "a client certificate without a key" : "a client key without a certificate"}`);
  }
  if (cert && key) Object.assign(tls, { cert, key });
  return tls;
}

/** `<field>` names a file, `<field>-data` holds base64 PEM; kubectl refuses both at once. */
function pemOf(owner: string, field: string, file: string | undefined, data: string | undefined): string | undefined {
  if (file && data) throw new KubeConfigError(`${owner} sets both ${field} and ${field}-data; only one is allowed`);
  if (file) return readPem(file, `${field} of ${owner}`);
  if (!data) return undefined;
  const text = Buffer.from(data, "base64").toString("utf8");
  if (!isPem(text)) throw new KubeConfigError(`${field}-data of ${owner} is not base64-encoded PEM`);
  return text;
}

function readPem(path: string, what: string): string {
  const text = readText(path, what);
  if (!isPem(text)) throw new KubeConfigError(`${what}: ${path} is not PEM`);
  return text;
}

function isPem(text: string): boolean {
  return text.includes("-----BEGIN ");
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new KubeConfigError(`${what} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
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

export interface ConnectionOptions {
  headers: Record<string, string>;
  tls: FetchTls;
}

/** What the client needs per request; re-evaluated each time so rotated tokens are picked up. */
export interface KubeConnection {
  readonly server: string;
  requestOptions(): Promise<ConnectionOptions>;
}

export function connectionFrom(
  resolved: Pick<ResolvedKubeConfig, "server" | "tls" | "authentication" | "impersonation">,
): KubeConnection {
  const { server, tls, impersonation } = resolved;
  const credentials = credentialSource(resolved.authentication, { server, insecureSkipTlsVerify: tls.rejectUnauthorized === false });
  return {
    server,
    async requestOptions() {
      const { headers, cert, key } = await credentials();
      return { headers: { ...impersonation, ...headers }, tls: cert && key ? { ...tls, cert, key } : { ...tls } };
    },
  };
}
