/**
 * kubeconfig files as kubectl reads them: parse one file, merge several with clientcmd's rules, and
 * select the current context. Pure: reading files is the caller's job. Errors name the file and the
 * entry at fault, never a value, so a token or key cannot reach a log line.
 */
import { dirname, isAbsolute, resolve } from "node:path";

export interface KubeconfigCluster {
  name: string;
  /** The file that defined this entry, for error messages. */
  origin: string;
  server: string;
  certificateAuthority?: string;
  certificateAuthorityData?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
}

export interface KubeconfigUser {
  name: string;
  origin: string;
  clientCertificate?: string;
  clientCertificateData?: string;
  clientKey?: string;
  clientKeyData?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  /** `as` and `as-uid`: impersonation. */
  impersonate?: string;
  impersonateUid?: string;
  /** Credential plugins stay in kubeconfig's own shape: client-node runs them. */
  exec?: Record<string, unknown>;
  authProvider?: Record<string, unknown>;
}

export interface KubeconfigContext {
  name: string;
  origin: string;
  cluster: string;
  user?: string;
  namespace?: string;
}

export interface Kubeconfig {
  clusters: ReadonlyMap<string, KubeconfigCluster>;
  users: ReadonlyMap<string, KubeconfigUser>;
  contexts: ReadonlyMap<string, KubeconfigContext>;
  currentContext?: string;
  /** Files this config came from, in precedence order. */
  origins: string[];
}

export interface SelectedContext {
  context: KubeconfigContext;
  cluster: KubeconfigCluster;
  /** Absent when the context names no user: anonymous requests. */
  user?: KubeconfigUser;
}

/** Anything wrong with where the API server is or how to authenticate to it. */
export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
}

type Fields = Record<string, unknown>;

/** Parses one kubeconfig (YAML or JSON); relative file references resolve against its directory. */
export function parseKubeconfig(text: string, path: string): Kubeconfig {
  const document = parseYaml(text, path);
  if (document === null || document === undefined) return emptyKubeconfig(path);
  const root = asFields(document, path, "the document");
  const base = dirname(path);
  const currentContext = optionalString(root, "current-context", path, "the document");
  return {
    clusters: namedEntries(root, "clusters", "cluster", path, (fields, name, at) => clusterOf(fields, name, path, at, base)),
    users: namedEntries(root, "users", "user", path, (fields, name, at) => userOf(fields, name, path, at, base)),
    contexts: namedEntries(root, "contexts", "context", path, (fields, name, at) => contextOf(fields, name, path, at)),
    ...(currentContext ? { currentContext } : {}),
    origins: [path],
  };
}

/**
 * clientcmd's merge: the first file that defines a cluster, user or context name wins the whole
 * entry (no field-wise merge), and the first non-empty current-context wins.
 */
export function mergeKubeconfigs(configs: readonly Kubeconfig[]): Kubeconfig {
  const clusters = new Map<string, KubeconfigCluster>();
  const users = new Map<string, KubeconfigUser>();
  const contexts = new Map<string, KubeconfigContext>();
  for (const config of configs) {
    addMissing(clusters, config.clusters);
    addMissing(users, config.users);
    addMissing(contexts, config.contexts);
  }
  const currentContext = configs.find((config) => config.currentContext)?.currentContext;
  return { clusters, users, contexts, ...(currentContext ? { currentContext } : {}), origins: configs.flatMap((config) => config.origins) };
}

/** The current context and the cluster and user it names; every dangling name is an error. */
export function selectCurrentContext(config: Kubeconfig): SelectedContext {
  const files = config.origins.join(", ");
  if (!config.currentContext) throw new KubeConfigError(`no current-context is set in ${files}`);
  const context = config.contexts.get(config.currentContext);
  if (!context) throw new KubeConfigError(`current-context "${config.currentContext}" is not defined in ${files}`);
  const cluster = config.clusters.get(context.cluster);
  if (!cluster) {
    throw new KubeConfigError(`context "${context.name}" (${context.origin}) names cluster "${context.cluster}", which is not defined in ${files}`);
  }
  if (context.user === undefined) return { context, cluster };
  const user = config.users.get(context.user);
  if (!user) {
    throw new KubeConfigError(`context "${context.name}" (${context.origin}) names user "${context.user}", which is not defined in ${files}`);
  }
  return { context, cluster, user };
}

function emptyKubeconfig(path: string): Kubeconfig {
  return { clusters: new Map(), users: new Map(), contexts: new Map(), origins: [path] };
}

/**
 * Bun's native parser rather than the yaml package, which would cost ~2 MiB of idle RSS. Its
 * reasons carry no position; only a reason made of plain words is kept, so no value can leak.
 */
function parseYaml(text: string, path: string): unknown {
  try {
    return Bun.YAML.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^YAML Parse error: /, "") : "";
    throw new KubeConfigError(`kubeconfig ${path} is not valid YAML${/^[A-Za-z ]+$/.test(reason) ? ` (${reason})` : ""}`);
  }
}

function addMissing<T>(into: Map<string, T>, from: ReadonlyMap<string, T>): void {
  for (const [name, entry] of from) if (!into.has(name)) into.set(name, entry);
}

/** `clusters:`, `users:` or `contexts:`: a list of `{name, <inner>: {...}}`; a name may appear once per file. */
function namedEntries<T>(
  root: Fields,
  listKey: string,
  innerKey: string,
  path: string,
  build: (fields: Fields, name: string, at: string) => T,
): Map<string, T> {
  const entries = new Map<string, T>();
  const list = root[listKey];
  if (list === undefined || list === null) return entries;
  if (!Array.isArray(list)) throw invalid(path, listKey, "must be a list");
  list.forEach((item: unknown, index) => {
    const at = `${listKey}[${index}]`;
    const named = asFields(item, path, at);
    const name = optionalString(named, "name", path, at);
    if (!name) throw invalid(path, `${at}.name`, "is missing");
    if (entries.has(name)) throw invalid(path, at, `repeats the name "${name}"`);
    entries.set(name, build(asFields(named[innerKey] ?? {}, path, `${at}.${innerKey}`), name, `${at}.${innerKey}`));
  });
  return entries;
}

function clusterOf(fields: Fields, name: string, path: string, at: string, base: string): KubeconfigCluster {
  const server = optionalString(fields, "server", path, at);
  if (!server) throw invalid(path, `${at}.server`, `is missing (cluster "${name}")`);
  const certificateAuthority = optionalString(fields, "certificate-authority", path, at);
  return compact({
    name,
    origin: path,
    server,
    certificateAuthority: certificateAuthority && absolute(base, certificateAuthority),
    certificateAuthorityData: optionalString(fields, "certificate-authority-data", path, at),
    insecureSkipTlsVerify: optionalBoolean(fields, "insecure-skip-tls-verify", path, at) ?? false,
    tlsServerName: optionalString(fields, "tls-server-name", path, at),
  });
}

function userOf(fields: Fields, name: string, path: string, at: string, base: string): KubeconfigUser {
  // Multi-valued impersonation headers do not fit the connection's header map; refuse rather than drop them.
  for (const key of ["as-groups", "as-user-extra"]) {
    if (fields[key] !== undefined && fields[key] !== null) throw invalid(path, `${at}.${key}`, `is not supported (user "${name}")`);
  }
  const file = (key: string) => {
    const value = optionalString(fields, key, path, at);
    return value && absolute(base, value);
  };
  return compact({
    name,
    origin: path,
    clientCertificate: file("client-certificate"),
    clientCertificateData: optionalString(fields, "client-certificate-data", path, at),
    clientKey: file("client-key"),
    clientKeyData: optionalString(fields, "client-key-data", path, at),
    token: optionalString(fields, "token", path, at),
    tokenFile: file("tokenFile"),
    username: optionalString(fields, "username", path, at),
    password: optionalString(fields, "password", path, at),
    impersonate: optionalString(fields, "as", path, at),
    impersonateUid: optionalString(fields, "as-uid", path, at),
    exec: optionalFields(fields, "exec", path, at, (exec) => execOf(exec, path, `${at}.exec`, base)),
    authProvider: optionalFields(fields, "auth-provider", path, at, (provider) => provider),
  });
}

/** Like clientcmd, a command with a path separator is relative to the kubeconfig; a bare name is looked up on $PATH. */
function execOf(fields: Fields, path: string, at: string, base: string): Fields {
  const command = optionalString(fields, "command", path, at);
  if (!command) throw invalid(path, `${at}.command`, "is missing");
  return { ...fields, command: command.includes("/") ? absolute(base, command) : command };
}

function contextOf(fields: Fields, name: string, path: string, at: string): KubeconfigContext {
  const cluster = optionalString(fields, "cluster", path, at);
  if (!cluster) throw invalid(path, `${at}.cluster`, `is missing (context "${name}")`);
  return compact({
    name,
    origin: path,
    cluster,
    user: optionalString(fields, "user", path, at),
    namespace: optionalString(fields, "namespace", path, at),
  });
}

function absolute(base: string, file: string): string {
  return isAbsolute(file) ? file : resolve(base, file);
}

function asFields(value: unknown, path: string, at: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(path, at, "must be a mapping");
  return value as Fields;
}

/** Empty strings count as unset, as in clientcmd. */
function optionalString(fields: Fields, key: string, path: string, at: string): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw invalid(path, `${at}.${key}`, "must be a string");
  return value;
}

function optionalFields(fields: Fields, key: string, path: string, at: string, build: (value: Fields) => Fields): Fields | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  return build(asFields(value, path, `${at}.${key}`));
}

function optionalBoolean(fields: Fields, key: string, path: string, at: string): boolean | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalid(path, `${at}.${key}`, "must be true or false");
  return value;
}

function invalid(path: string, at: string, problem: string): KubeConfigError {
  return new KubeConfigError(`kubeconfig ${path}: ${at} ${problem}`);
}

/** Drops undefined fields so entries compare and print cleanly. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
