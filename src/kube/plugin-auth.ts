/**
 * exec credential plugins and auth-providers (oidc, azure, gcp) are client-node's. It is imported on
 * first use only: importing it pulls in its whole generated API, ~7 MiB of the operator's idle RSS
 * that no other kubeconfig needs (a separate chunk with `bun build --splitting`).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { CredentialSource, Credentials } from "./credentials";
import { KubeConfigError } from "./kubeconfig";

export interface PluginUser {
  user: string;
  exec?: Record<string, unknown>;
  authProvider?: Record<string, unknown>;
}

export interface PluginCluster {
  server: string;
  insecureSkipTlsVerify: boolean;
}

/** The https.RequestOptions fields client-node fills in for a plugin. */
interface AppliedOptions {
  headers: Record<string, unknown>;
  cert?: unknown;
  key?: unknown;
}

/** client-node caches plugin tokens per KubeConfig until their expirationTimestamp, so one is kept per source. */
export function pluginCredentials(plugin: PluginUser, cluster: PluginCluster): CredentialSource {
  let loading: Promise<KubeConfig> | undefined;
  return async () => {
    loading ??= clientNodeConfig(plugin, cluster);
    const kubeConfig = await loading;
    const applied: AppliedOptions = { headers: {} };
    try {
      await kubeConfig.applyToHTTPSOptions(applied as Parameters<KubeConfig["applyToHTTPSOptions"]>[0]);
    } catch (err) {
      throw new KubeConfigError(`${describePlugin(plugin)} of user "${plugin.user}" failed: ${failureOf(err)}`);
    }
    return credentialsOf(applied);
  };
}

async function clientNodeConfig(plugin: PluginUser, cluster: PluginCluster): Promise<KubeConfig> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kubeConfig = new KubeConfig();
  // Only the user matters: TLS is ours, and client-node's agent is discarded.
  kubeConfig.loadFromOptions({
    clusters: [{ name: "selected", server: cluster.server, skipTLSVerify: cluster.insecureSkipTlsVerify }],
    users: [{ name: plugin.user, exec: plugin.exec, authProvider: plugin.authProvider }],
    contexts: [{ name: "selected", cluster: "selected", user: plugin.user }],
    currentContext: "selected",
  });
  return kubeConfig;
}

function credentialsOf(applied: AppliedOptions): Credentials {
  const credentials: Credentials = { headers: {} };
  const authorization = applied.headers.Authorization;
  if (typeof authorization === "string") credentials.headers.Authorization = authorization;
  const cert = pem(applied.cert);
  const key = pem(applied.key);
  if (cert && key) {
    credentials.cert = cert;
    credentials.key = key;
  }
  return credentials;
}

function pem(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  return undefined;
}

function describePlugin(plugin: PluginUser): string {
  if (plugin.exec) return `exec plugin "${String(plugin.exec.command)}"`;
  return `auth-provider "${String(plugin.authProvider?.name)}"`;
}

/** The plugin's stderr or a spawn error code; never its stdout, which carries the credential. */
function failureOf(err: unknown): string {
  if (err instanceof SyntaxError) return "its output is not ExecCredential JSON";
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string") return code;
  const firstLine = (err instanceof Error ? err.message : String(err)).trim().split("\n")[0] ?? "";
  return firstLine.slice(0, 200) || "no error output";
}
