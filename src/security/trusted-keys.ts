/**
 * The trusted JWKS of control-plane signing keys (docs/connectivity.md#trusted-keys): keys without `kid`, with private members,
 * or of a type outside docs/connectivity.md#signed-jobs are ignored; key lookup never reaches a URL.
 */

export const SIGNING_ALGORITHMS = ["EdDSA", "ES256"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface TrustedKey {
  kid: string;
  /** The public JWK as published (never carries `d`). */
  jwk: Record<string, unknown>;
}

export interface TrustedKeySet {
  keys: TrustedKey[];
}

export class TrustedKeysError extends Error {
  override name = "TrustedKeysError";
}

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];

function usableSigningKey(jwk: Record<string, unknown>): boolean {
  if (typeof jwk.kid !== "string" || jwk.kid === "") return false;
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return false;
  if (jwk.kty === "OKP") return jwk.crv === "Ed25519";
  if (jwk.kty === "EC") return jwk.crv === "P-256";
  return false;
}

/** Accepts a JWKS object or its JSON text; throws TrustedKeysError only when the whole document is unusable. */
export function parseTrustedKeys(source: string | unknown): TrustedKeySet {
  let document: unknown = source;
  if (typeof source === "string") {
    try {
      document = JSON.parse(source);
    } catch {
      throw new TrustedKeysError("trusted keys are not valid JSON");
    }
  }
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new TrustedKeysError('trusted keys must be a JWKS object with a "keys" array');
  const usable = keys.filter((key): key is Record<string, unknown> => typeof key === "object" && key !== null && usableSigningKey(key as Record<string, unknown>));
  return { keys: usable.map((jwk) => ({ kid: jwk.kid as string, jwk })) };
}

/** Whether a key may verify a signature made with `alg`: key type must fit, and the JWK's own `alg` if it has one. */
export function keyFitsAlgorithm(jwk: Record<string, unknown>, alg: SigningAlgorithm): boolean {
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  return alg === "EdDSA" ? jwk.kty === "OKP" && jwk.crv === "Ed25519" : jwk.kty === "EC" && jwk.crv === "P-256";
}
