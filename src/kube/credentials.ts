/**
 * How a request proves who it is. The kubeconfig user becomes one Authentication at start-up; a
 * CredentialSource turns it into headers on every request, so a rotated token file or an expired
 * plugin token is picked up without a restart.
 */
import { readFile } from "node:fs/promises";
import { KubeConfigError, type KubeconfigUser } from "./kubeconfig";
import { pluginCredentials, type PluginCluster } from "./plugin-auth";

/** Holds credentials: log `type`, never the object. */
export type Authentication =
  | { type: "anonymous" }
  | { type: "token"; token: string }
  /** Re-read per request; `token` is client-go's fallback while the file cannot be read. */
  | { type: "tokenFile"; path: string; token?: string }
  | { type: "basic"; username: string; password: string }
  /** exec credential plugins and auth-providers, run by client-node. */
  | { type: "plugin"; user: string; exec?: Record<string, unknown>; authProvider?: Record<string, unknown> };

export interface Credentials {
  headers: Record<string, string>;
  /** PEM client certificate and key from an exec plugin; they replace the kubeconfig's. */
  cert?: string;
  key?: string;
}

export type CredentialSource = () => Promise<Credentials>;

/** kubectl's validation and client-go's precedence: a static token or basic auth wins over a plugin. */
export function authenticationOf(user: KubeconfigUser | undefined): Authentication {
  if (!user) return { type: "anonymous" };
  const where = `user "${user.name}" (${user.origin})`;
  if (user.exec && user.authProvider) throw new KubeConfigError(`${where} sets both exec and auth-provider; only one is allowed`);
  const hasToken = user.token !== undefined || user.tokenFile !== undefined;
  if (hasToken && (user.username !== undefined || user.password !== undefined)) {
    throw new KubeConfigError(`${where} sets both a token and basic auth; only one is allowed`);
  }
  if (user.password !== undefined && user.username === undefined) throw new KubeConfigError(`${where} sets a password without a username`);
  if (user.tokenFile) return { type: "tokenFile", path: user.tokenFile, ...(user.token ? { token: user.token } : {}) };
  if (user.token) return { type: "token", token: user.token };
  if (user.username) return { type: "basic", username: user.username, password: user.password ?? "" };
  if (user.exec || user.authProvider) {
    return { type: "plugin", user: user.name, ...(user.exec ? { exec: user.exec } : {}), ...(user.authProvider ? { authProvider: user.authProvider } : {}) };
  }
  return { type: "anonymous" };
}

/** `as` and `as-uid` as the API server's impersonation headers. */
export function impersonationHeaders(user: KubeconfigUser | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (user?.impersonate) headers["Impersonate-User"] = user.impersonate;
  if (user?.impersonateUid) headers["Impersonate-Uid"] = user.impersonateUid;
  return headers;
}

export function credentialSource(authentication: Authentication, cluster: PluginCluster): CredentialSource {
  switch (authentication.type) {
    case "anonymous":
      return async () => ({ headers: {} });
    case "token": {
      const headers = bearer(authentication.token);
      return async () => ({ headers });
    }
    case "tokenFile":
      return async () => ({ headers: bearer(await readToken(authentication.path, authentication.token)) });
    case "basic": {
      const encoded = Buffer.from(`${authentication.username}:${authentication.password}`).toString("base64");
      const headers = { Authorization: `Basic ${encoded}` };
      return async () => ({ headers });
    }
    case "plugin":
      return pluginCredentials(authentication, cluster);
  }
}

function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

async function readToken(path: string, fallback: string | undefined): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if (fallback) return fallback;
    throw new KubeConfigError(`token file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  // Like client-go: editors and `echo` leave a trailing newline that is no part of the token.
  const token = text.trim();
  if (!token) throw new KubeConfigError(`token file ${path} is empty`);
  return token;
}
