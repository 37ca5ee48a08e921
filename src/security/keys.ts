/**
 * Key material: the cluster's X25519 keypair for JWE (docs/connectivity.md#encrypted-payloads) and the control plane's Ed25519
 * signing keys (docs/connectivity.md#agent-api). `kid` is the RFC 7638 thumbprint. Never log what these return.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";

export const CLUSTER_KEY_ALG = "ECDH-ES+A256KW";
export const CLUSTER_CONTENT_ENC = "A256GCM";

export interface ClusterPublicKey {
  kty: "OKP";
  crv: "X25519";
  x: string;
  kid: string;
  use: "enc";
  alg: typeof CLUSTER_KEY_ALG;
}

export interface ClusterKeypair {
  publicJwk: ClusterPublicKey;
  /** Public members plus `d`. */
  privateJwk: ClusterPublicKey & { d: string };
}

async function thumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, "sha256");
}

export async function generateClusterKeypair(): Promise<ClusterKeypair> {
  const { publicKey, privateKey } = await generateKeyPair(CLUSTER_KEY_ALG, { crv: "X25519", extractable: true });
  const pub = await exportJWK(publicKey);
  const priv = await exportJWK(privateKey);
  const kid = await thumbprint(pub);
  const publicJwk: ClusterPublicKey = { kty: "OKP", crv: "X25519", x: pub.x as string, kid, use: "enc", alg: CLUSTER_KEY_ALG };
  return { publicJwk, privateJwk: { ...publicJwk, d: priv.d as string } };
}

/** The public half of a stored private JWK, with `kid` recomputed so a tampered `kid` cannot survive. */
export async function clusterPublicKeyOf(privateJwk: { x?: unknown; crv?: unknown; kty?: unknown }): Promise<ClusterPublicKey> {
  if (privateJwk.kty !== "OKP" || privateJwk.crv !== "X25519" || typeof privateJwk.x !== "string") {
    throw new Error("cluster key is not an X25519 OKP JWK");
  }
  const kid = await thumbprint({ kty: "OKP", crv: "X25519", x: privateJwk.x });
  return { kty: "OKP", crv: "X25519", x: privateJwk.x, kid, use: "enc", alg: CLUSTER_KEY_ALG };
}

export interface SigningKey {
  kid: string;
  alg: "EdDSA";
  publicJwk: JWK & { kid: string; alg: "EdDSA"; use: "sig" };
  privateJwk: JWK & { kid: string; alg: "EdDSA" };
}

export async function generateSigningKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const pub = await exportJWK(publicKey);
  const priv = await exportJWK(privateKey);
  const kid = await thumbprint(pub);
  return {
    kid,
    alg: "EdDSA",
    publicJwk: { kty: "OKP", crv: "Ed25519", x: pub.x as string, kid, alg: "EdDSA", use: "sig" },
    privateJwk: { ...priv, kid, alg: "EdDSA" },
  };
}
