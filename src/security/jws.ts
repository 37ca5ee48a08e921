/**
 * Detached compact JWS over the JCS form of a job (docs/connectivity.md#signed-jobs): the control plane signs, the agent
 * verifies with the checks in the spec's order so the first failure names the cause.
 */
import { base64url, FlattenedSign, flattenedVerify, importJWK, type CryptoKey as JoseCryptoKey } from "jose";
import { jobSigningContent } from "./jcs";
import { keyFitsAlgorithm, SIGNING_ALGORITHMS, type SigningAlgorithm, type TrustedKey, type TrustedKeySet } from "./trusted-keys";

export const JOB_JWS_TYPE = "vworkspace-job+jws";
export const CLUSTER_ID_HEADER = "vws.cid";
const CRIT = { [CLUSTER_ID_HEADER]: true };

export const SIGNATURE_CAUSES = [
  "missing",
  "malformed",
  "typ-mismatch",
  "alg-not-allowed",
  "no-trusted-keys",
  "unknown-kid",
  "cluster-mismatch",
  "not-yet-valid",
  "stale",
  "bad-signature",
] as const;
export type SignatureCause = (typeof SIGNATURE_CAUSES)[number];

export type SignatureVerdict = { valid: true; kid: string } | { valid: false; cause: SignatureCause };

export interface SignJobOptions {
  privateKey: JoseCryptoKey | Uint8Array | CryptoKey;
  kid: string;
  alg: SigningAlgorithm;
  clusterId: string;
  /** NumericDate (seconds) of signing. */
  iat: number;
}

/** The `signature` member for a job envelope; any `signature` already on it is not part of the content. */
export async function signJob(rawJob: Record<string, unknown>, options: SignJobOptions): Promise<string> {
  const content = new TextEncoder().encode(jobSigningContent(rawJob));
  const jws = await new FlattenedSign(content)
    .setProtectedHeader({ alg: options.alg, kid: options.kid, typ: JOB_JWS_TYPE, crit: [CLUSTER_ID_HEADER], [CLUSTER_ID_HEADER]: options.clusterId, iat: Math.trunc(options.iat) })
    .sign(options.privateKey, { crit: CRIT });
  return `${jws.protected}..${jws.signature}`;
}

export interface VerifyJobOptions {
  /** Undefined when no trusted key source resolves. */
  trustedKeys: TrustedKeySet | undefined;
  /** `cluster-id` of the credentials Secret. */
  clusterId: string;
  now: Date;
  maxAgeSeconds: number;
  clockSkewSeconds: number;
}

interface ProtectedHeader {
  alg?: unknown;
  kid?: unknown;
  typ?: unknown;
  crit?: unknown;
  iat?: unknown;
  [CLUSTER_ID_HEADER]?: unknown;
}

function decodeHeader(encoded: string): ProtectedHeader | undefined {
  try {
    const header: unknown = JSON.parse(new TextDecoder().decode(base64url.decode(encoded)));
    return typeof header === "object" && header !== null && !Array.isArray(header) ? (header as ProtectedHeader) : undefined;
  } catch {
    return undefined;
  }
}

function wellFormed(header: ProtectedHeader | undefined): header is ProtectedHeader & { iat: number } {
  if (!header) return false;
  const crit = header.crit;
  const critOk = Array.isArray(crit) && crit.length === 1 && crit[0] === CLUSTER_ID_HEADER;
  // `b64` is forbidden (docs/connectivity.md#signed-jobs): content is always base64url-encoded in the signing input.
  return critOk && !("b64" in header) && typeof header.iat === "number" && Number.isSafeInteger(header.iat);
}

// Importing a JWK costs more than verifying with it; a trusted key set lives until its source changes.
const importedKeys = new WeakMap<TrustedKey, Promise<Awaited<ReturnType<typeof importJWK>>>>();

function importedKey(trusted: TrustedKey, alg: SigningAlgorithm) {
  let key = importedKeys.get(trusted);
  if (!key) {
    key = importJWK({ ...trusted.jwk, alg }, alg);
    importedKeys.set(trusted, key);
  }
  return key;
}

function fail(cause: SignatureCause): SignatureVerdict {
  return { valid: false, cause };
}

/** Verifies `rawJob.signature` against the job as received; never throws for bad input. */
export async function verifyJobSignature(rawJob: Record<string, unknown>, options: VerifyJobOptions): Promise<SignatureVerdict> {
  const signature = rawJob.signature;
  if (typeof signature !== "string" || signature === "") return fail("missing");
  const parts = signature.split(".");
  if (parts.length !== 3 || parts[1] !== "" || parts[0] === "" || parts[2] === "") return fail("malformed");
  const header = decodeHeader(parts[0] as string);
  if (!wellFormed(header)) return fail("malformed");
  if (header.typ !== JOB_JWS_TYPE) return fail("typ-mismatch");
  const alg = header.alg;
  if (typeof alg !== "string" || !(SIGNING_ALGORITHMS as readonly string[]).includes(alg)) return fail("alg-not-allowed");
  const keys = options.trustedKeys?.keys ?? [];
  if (keys.length === 0) return fail("no-trusted-keys");
  const trusted = typeof header.kid === "string" ? keys.find((key) => key.kid === header.kid) : undefined;
  if (!trusted) return fail("unknown-kid");
  if (!keyFitsAlgorithm(trusted.jwk, alg as SigningAlgorithm)) return fail("alg-not-allowed");
  if (header[CLUSTER_ID_HEADER] !== options.clusterId) return fail("cluster-mismatch");
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  if (header.iat > nowSeconds + options.clockSkewSeconds) return fail("not-yet-valid");
  if (nowSeconds - header.iat > options.maxAgeSeconds + options.clockSkewSeconds) return fail("stale");
  try {
    const content = jobSigningContent(rawJob);
    const key = await importedKey(trusted, alg as SigningAlgorithm);
    await flattenedVerify(
      { protected: parts[0] as string, payload: base64url.encode(content), signature: parts[2] as string },
      key,
      { algorithms: [...SIGNING_ALGORITHMS], crit: CRIT },
    );
  } catch {
    return fail("bad-signature");
  }
  return { valid: true, kid: trusted.kid };
}
