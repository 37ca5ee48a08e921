/**
 * `encryptedPayload` (docs/connectivity.md#encrypted-payloads): compact JWE, ECDH-ES+A256KW / A256GCM to the cluster's X25519 key.
 * Errors describe the failure only; they never quote ciphertext or plaintext.
 */
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader, importJWK } from "jose";
import { CLUSTER_CONTENT_ENC, CLUSTER_KEY_ALG, type ClusterKeypair, type ClusterPublicKey } from "./keys";

export class DecryptionError extends Error {
  override name = "DecryptionError";
}

/** Encrypts what `payload` would have held, as UTF-8 JSON. */
export async function encryptJobPayload(payload: unknown, publicKey: ClusterPublicKey): Promise<string> {
  const key = await importJWK({ kty: publicKey.kty, crv: publicKey.crv, x: publicKey.x }, CLUSTER_KEY_ALG);
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: CLUSTER_KEY_ALG, enc: CLUSTER_CONTENT_ENC, kid: publicKey.kid, cty: "application/json" })
    .encrypt(key);
}

function checkHeader(jwe: string, kid: string): void {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jwe) as Record<string, unknown>;
  } catch {
    throw new DecryptionError("malformed JWE");
  }
  if (jwe.split(".").length !== 5) throw new DecryptionError("malformed JWE");
  if (header.alg !== CLUSTER_KEY_ALG) throw new DecryptionError(`key management algorithm ${JSON.stringify(header.alg)} is not allowed`);
  if (header.enc !== CLUSTER_CONTENT_ENC) throw new DecryptionError(`content encryption ${JSON.stringify(header.enc)} is not allowed`);
  if ("zip" in header) throw new DecryptionError("compressed JWE (zip) is refused");
  if (header.kid !== kid) throw new DecryptionError("JWE kid does not name this cluster's key");
}

/** Decrypts and parses the JSON plaintext; throws DecryptionError with a content-free cause on any failure. */
export async function decryptJobPayload(jwe: string, keypair: Pick<ClusterKeypair, "privateJwk">): Promise<unknown> {
  checkHeader(jwe, keypair.privateJwk.kid);
  let plaintext: Uint8Array;
  try {
    const key = await importJWK({ kty: "OKP", crv: "X25519", x: keypair.privateJwk.x, d: keypair.privateJwk.d }, CLUSTER_KEY_ALG);
    ({ plaintext } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: [CLUSTER_KEY_ALG],
      contentEncryptionAlgorithms: [CLUSTER_CONTENT_ENC],
    }));
  } catch {
    throw new DecryptionError("decryption failed (wrong key or altered ciphertext)");
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext));
  } catch {
    throw new DecryptionError("plaintext is not UTF-8 JSON");
  }
}
