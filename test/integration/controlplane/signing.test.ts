/** Signed and encrypted jobs from the plane verify and decrypt with the agent-side security API (docs/connectivity.md#signed-jobs, docs/connectivity.md#encrypted-payloads, docs/connectivity.md#agent-api). */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { JWKS_MEDIA_TYPE } from "../../../src/protocol/endpoints";
import { decryptJobPayload } from "../../../src/security/jwe";
import { verifyJobSignature } from "../../../src/security/jws";
import { generateClusterKeypair } from "../../../src/security/keys";
import { parseTrustedKeys } from "../../../src/security/trusted-keys";
import { registerCluster, startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { agentCall, CONFIG_MAP_PAYLOAD } from "./agent-request";

let plane: RefControlPlane;
beforeAll(async () => {
  plane = await startRefControlPlane();
});
afterAll(() => plane.stop());

async function publicJwks(): Promise<{ keys: Record<string, unknown>[] }> {
  const response = await fetch(`${plane.url}/.well-known/vworkspace/jwks.json`);
  expect(response.headers.get("Content-Type")).toBe(JWKS_MEDIA_TYPE);
  return (await response.json()) as { keys: Record<string, unknown>[] };
}

async function delivered(clusterId: string, token: string): Promise<Record<string, unknown>[]> {
  const answer = await agentCall(plane.url, `/api/agent/jobs?cluster=${clusterId}&wait=0`, { token });
  return JSON.parse(answer.text).jobs as Record<string, unknown>[];
}

const verifyOptions = (clusterId: string, jwks: unknown) => ({
  trustedKeys: parseTrustedKeys(jwks),
  clusterId,
  now: new Date(),
  maxAgeSeconds: 86_400,
  clockSkewSeconds: 60,
});

test("a delivered job verifies with the public JWKS, is bound to its cluster, and the JWKS has no private members", async () => {
  const { clusterId, token, response } = await registerCluster(plane);
  const jwks = await publicJwks();
  expect(response.signingKeys).toEqual(jwks);
  expect(jwks.keys.every((key) => !("d" in key))).toBe(true);
  await plane.admin.enqueueJob(clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD, idempotencyKey: "configmap/team-a/demo@1" });
  const [job] = await delivered(clusterId, token);
  expect(await verifyJobSignature(job!, verifyOptions(clusterId, jwks))).toMatchObject({ valid: true });
  expect(await verifyJobSignature(job!, verifyOptions("someone-else", jwks))).toEqual({ valid: false, cause: "cluster-mismatch" });
  expect(await verifyJobSignature({ ...job!, addedLater: 1 }, verifyOptions(clusterId, jwks))).toEqual({ valid: false, cause: "bad-signature" });
});

test("sign: false and a verbatim signature are honoured", async () => {
  const { clusterId, token } = await registerCluster(plane);
  const unsigned = await plane.admin.enqueueJob(clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD }, { sign: false });
  expect(unsigned.signature).toBeUndefined();
  const forged = await plane.admin.enqueueJob(clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD }, { signature: "e30..AAAA" });
  const jobs = await delivered(clusterId, token);
  expect(jobs.map((job) => job.signature)).toEqual([undefined, "e30..AAAA"]);
  expect(await verifyJobSignature(jobs[1]!, verifyOptions(clusterId, await publicJwks()))).toEqual({ valid: false, cause: "malformed" });
  expect(forged.id).toBe(jobs[1]!.id as string);
});

test("signing-key rotation keeps the old key published; new jobs use the new kid", async () => {
  const { clusterId, token } = await registerCluster(plane);
  await plane.admin.enqueueJob(clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
  const kid = await plane.admin.rotateSigningKey();
  await plane.admin.enqueueJob(clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
  const jwks = await publicJwks();
  expect(jwks.keys.map((key) => key.kid)).toContain(kid);
  expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
  const jobs = await delivered(clusterId, token);
  const verdicts = await Promise.all(jobs.map((job) => verifyJobSignature(job, verifyOptions(clusterId, jwks))));
  expect(verdicts.every((verdict) => verdict.valid)).toBe(true);
  expect(verdicts[1]).toEqual({ valid: true, kid });
  expect(verdicts[0]).not.toEqual({ valid: true, kid });
});

test("encrypt requires a stored public key; with one the payload is replaced by a JWE the cluster key opens", async () => {
  const keyless = await registerCluster(plane);
  await expect(plane.admin.enqueueJob(keyless.clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD }, { encrypt: true })).rejects.toThrow("ClusterKeyMissing");
  const keypair = await generateClusterKeypair();
  const { clusterId, token } = await registerCluster(plane, { publicKey: keypair.publicJwk });
  await plane.admin.enqueueJob(clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD }, { encrypt: true });
  const [job] = await delivered(clusterId, token);
  expect(job!.payload).toBeUndefined();
  expect(typeof job!.encryptedPayload).toBe("string");
  expect(await verifyJobSignature(job!, verifyOptions(clusterId, await publicJwks()))).toMatchObject({ valid: true });
  expect(await decryptJobPayload(job!.encryptedPayload as string, keypair)).toEqual(CONFIG_MAP_PAYLOAD);
});

test("--encrypt-jobs encrypts by default for clusters with a key and leaves keyless clusters in plaintext", async () => {
  const encrypting = await startRefControlPlane({ settings: { encryptJobs: true, signing: "off" } });
  try {
    const keypair = await generateClusterKeypair();
    const withKey = await registerCluster(encrypting, { publicKey: keypair.publicJwk });
    const keyless = await registerCluster(encrypting);
    const encrypted = await encrypting.admin.enqueueJob(withKey.clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
    const plain = await encrypting.admin.enqueueJob(keyless.clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
    expect([typeof encrypted.encryptedPayload, encrypted.signature]).toEqual(["string", undefined]);
    expect(plain.payload).toEqual(CONFIG_MAP_PAYLOAD);
    expect(withKey.response.signingKeys).toBeUndefined();
  } finally {
    await encrypting.stop();
  }
});
