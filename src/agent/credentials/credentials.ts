/**
 * The credentials Secret (docs/connectivity.md#local-storage) and the provider every loop takes its snapshot from (docs/connectivity.md#the-pull-agent).
 * A snapshot is immutable; a swap of token, endpoint or TLS material notifies listeners (the poller aborts
 * its long poll) so the next request uses the new material.
 */
import type { KubeObject } from "../../kube/types";
import { trimBaseUrl } from "../../protocol";

/** Client certificate material for the control plane; PEM text. */
export interface TlsMaterial {
  cert?: string;
  key?: string;
  /** Replaces the system roots when set. */
  ca?: string;
}

export interface CpTarget {
  baseUrl: string;
  token: string;
  tls?: TlsMaterial;
}

export const CREDENTIAL_KEYS = {
  baseUrl: "control-plane-base-url",
  clusterId: "cluster-id",
  token: "token",
  previousToken: "previous-token",
  expiresAt: "token-expires-at",
  jwks: "control-plane-jwks.json",
} as const;

export const ANNOTATION_TOKEN_ISSUED_AT = "ops.vworkspace.io/token-issued-at";

export interface Credentials {
  baseUrl: string;
  clusterId: string;
  token: string;
  previousToken?: string;
  expiresAt?: string;
  issuedAt?: string;
  /** Trust-on-first-use JWKS from the register response (docs/connectivity.md#trusted-keys). */
  jwks?: string;
  /** Of the Secret read; a change lifts a pause (docs/connectivity.md#backoff). */
  resourceVersion?: string;
}

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export function secretValue(secret: Secret | undefined, key: string): string | undefined {
  const encoded = secret?.data?.[key];
  if (encoded === undefined) return undefined;
  return Buffer.from(encoded, "base64").toString("utf8");
}

export function encodeSecretData(values: Record<string, string | undefined>): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) data[key] = Buffer.from(value, "utf8").toString("base64");
  return data;
}

/** The credentials of a Secret, or undefined when a required key is missing or blank (incomplete = ignored). */
export function credentialsFromSecret(secret: Secret | undefined): Credentials | undefined {
  const read = (key: string) => secretValue(secret, key)?.trim() || undefined;
  const baseUrl = read(CREDENTIAL_KEYS.baseUrl);
  const clusterId = read(CREDENTIAL_KEYS.clusterId);
  const token = read(CREDENTIAL_KEYS.token);
  if (!secret || !baseUrl || !clusterId || !token) return undefined;
  const credentials: Credentials = { baseUrl: trimBaseUrl(baseUrl), clusterId, token };
  const previousToken = read(CREDENTIAL_KEYS.previousToken);
  const expiresAt = read(CREDENTIAL_KEYS.expiresAt);
  const jwks = read(CREDENTIAL_KEYS.jwks);
  const issuedAt = secret.metadata.annotations?.[ANNOTATION_TOKEN_ISSUED_AT];
  if (previousToken) credentials.previousToken = previousToken;
  if (expiresAt) credentials.expiresAt = expiresAt;
  if (jwks) credentials.jwks = jwks;
  if (issuedAt) credentials.issuedAt = issuedAt;
  if (secret.metadata.resourceVersion) credentials.resourceVersion = secret.metadata.resourceVersion;
  return credentials;
}

/** The Secret's `data` for a set of credentials: the three Go keys plus the optional additive ones. */
export function credentialsData(credentials: Credentials): Record<string, string> {
  return encodeSecretData({
    [CREDENTIAL_KEYS.baseUrl]: credentials.baseUrl,
    [CREDENTIAL_KEYS.clusterId]: credentials.clusterId,
    [CREDENTIAL_KEYS.token]: credentials.token,
    [CREDENTIAL_KEYS.previousToken]: credentials.previousToken,
    [CREDENTIAL_KEYS.expiresAt]: credentials.expiresAt,
    [CREDENTIAL_KEYS.jwks]: credentials.jwks,
  });
}

export interface CredentialsSnapshot {
  readonly credentials: Credentials;
  readonly tls: TlsMaterial | undefined;
}

export class CredentialsProvider {
  #current: CredentialsSnapshot | undefined;
  readonly #listeners = new Set<() => void>();

  snapshot(): CredentialsSnapshot | undefined {
    return this.#current;
  }

  /** The request target with the current (or a given) token. */
  target(token?: string): CpTarget | undefined {
    const current = this.#current;
    if (!current) return undefined;
    return { baseUrl: current.credentials.baseUrl, token: token ?? current.credentials.token, ...(current.tls ? { tls: current.tls } : {}) };
  }

  /** Atomic swap; listeners hear about it only when something a request uses changed. */
  set(credentials: Credentials, tls: TlsMaterial | undefined): void {
    const previous = this.#current;
    this.#current = { credentials, tls };
    const changed =
      !previous ||
      previous.credentials.token !== credentials.token ||
      previous.credentials.baseUrl !== credentials.baseUrl ||
      previous.credentials.clusterId !== credentials.clusterId ||
      JSON.stringify(previous.tls ?? null) !== JSON.stringify(tls ?? null);
    if (changed) for (const listener of this.#listeners) listener();
  }

  onSwap(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
