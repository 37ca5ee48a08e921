/** `encryptedPayload` (docs/connectivity.md#encrypted-payloads): round trip, and every refusal with a content-free cause. */
import { beforeAll, describe, expect, test } from "bun:test";
import { base64url, calculateJwkThumbprint, CompactEncrypt, importJWK } from "jose";
import { decryptJobPayload, DecryptionError, encryptJobPayload } from "../../../src/security/jwe";
import { clusterPublicKeyOf, generateClusterKeypair, type ClusterKeypair } from "../../../src/security/keys";

const SECRET_VALUE = "plaintext-canary-7f3a9c";
const PAYLOAD = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "demo", namespace: "team-a" }, data: { value: SECRET_VALUE } };

let keypair: ClusterKeypair;
beforeAll(async () => {
  keypair = await generateClusterKeypair();
});

async function rawJwe(header: Record<string, unknown>, plaintext = JSON.stringify(PAYLOAD)): Promise<string> {
  const key = await importJWK({ kty: "OKP", crv: "X25519", x: keypair.publicJwk.x }, String(header.alg));
  return new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader(header as never).encrypt(key);
}

async function refusal(jwe: string): Promise<DecryptionError> {
  try {
    await decryptJobPayload(jwe, keypair);
  } catch (err) {
    expect(err).toBeInstanceOf(DecryptionError);
    expect((err as Error).message).not.toContain(SECRET_VALUE);
    return err as DecryptionError;
  }
  throw new Error("decryption unexpectedly succeeded");
}

describe("cluster keypair (docs/connectivity.md#encrypted-payloads)", () => {
  test("kid is the RFC 7638 thumbprint; the public JWK has exactly the published members", async () => {
    expect(keypair.publicJwk.kid).toBe(await calculateJwkThumbprint({ kty: "OKP", crv: "X25519", x: keypair.publicJwk.x }));
    expect(Object.keys(keypair.publicJwk).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
    expect(keypair.publicJwk).toMatchObject({ use: "enc", alg: "ECDH-ES+A256KW" });
    expect(await clusterPublicKeyOf(keypair.privateJwk)).toEqual(keypair.publicJwk);
  });

  test("a stored key that is not X25519 is refused", async () => {
    await expect(clusterPublicKeyOf({ kty: "OKP", crv: "Ed25519", x: "abc" })).rejects.toThrow("X25519");
  });
});

describe("JWE (docs/connectivity.md#encrypted-payloads, docs/connectivity.md#encryption-modes)", () => {
  test("round trip: what the plane encrypts, the cluster key opens", async () => {
    const jwe = await encryptJobPayload(PAYLOAD, keypair.publicJwk);
    expect(jwe.split(".")).toHaveLength(5);
    expect(jwe).not.toContain(SECRET_VALUE);
    expect(await decryptJobPayload(jwe, keypair)).toEqual(PAYLOAD);
  });

  test("one flipped ciphertext byte → refused", async () => {
    const parts = (await encryptJobPayload(PAYLOAD, keypair.publicJwk)).split(".");
    const ciphertext = base64url.decode(parts[3] as string);
    ciphertext[0] = (ciphertext[0] as number) ^ 0x01;
    parts[3] = base64url.encode(ciphertext);
    expect((await refusal(parts.join("."))).message).toContain("decryption failed");
  });

  test("a JWE for another key → refused by kid", async () => {
    const other = await generateClusterKeypair();
    expect((await refusal(await encryptJobPayload(PAYLOAD, other.publicJwk))).message).toContain("kid");
  });

  test.each([
    ["alg ECDH-ES", { alg: "ECDH-ES", enc: "A256GCM" }, "key management"],
    ["enc A128GCM", { alg: "ECDH-ES+A256KW", enc: "A128GCM" }, "content encryption"],
  ])("%s → refused", async (_name, header, cause) => {
    expect((await refusal(await rawJwe({ ...header, kid: keypair.publicJwk.kid }))).message).toContain(cause);
  });

  test("zip: DEF → refused", async () => {
    const genuine = (await encryptJobPayload(PAYLOAD, keypair.publicJwk)).split(".");
    const header = JSON.parse(new TextDecoder().decode(base64url.decode(genuine[0] as string)));
    genuine[0] = base64url.encode(JSON.stringify({ ...header, zip: "DEF" }));
    expect((await refusal(genuine.join("."))).message).toContain("zip");
  });

  test("malformed input and plaintext that is not JSON → refused", async () => {
    expect((await refusal("not-a-jwe")).message).toContain("malformed");
    const notJson = await rawJwe({ alg: "ECDH-ES+A256KW", enc: "A256GCM", kid: keypair.publicJwk.kid }, `${SECRET_VALUE} is not json`);
    expect((await refusal(notJson)).message).toContain("not UTF-8 JSON");
  });
});
