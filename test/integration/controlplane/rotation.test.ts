/** Credential rotation with and without a grace period, and bearer lifetime (docs/connectivity.md#the-reference-control-plane, docs/connectivity.md#agent-api). */
import { afterEach, expect, test } from "bun:test";
import { generateClusterKeypair } from "../../../src/security/keys";
import { registerCluster, startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { agentCall } from "./agent-request";

let plane: RefControlPlane | undefined;
afterEach(async () => {
  await plane?.stop();
  plane = undefined;
});

const poll = (p: RefControlPlane, clusterId: string, token: string) => agentCall(p.url, `/api/agent/jobs?cluster=${clusterId}&wait=0`, { token });

test("with a grace period both tokens work, then only the new one; the old one may not rotate again", async () => {
  plane = await startRefControlPlane({ settings: { rotationGraceMs: 1500 } });
  const { clusterId, token: oldToken } = await registerCluster(plane);
  const keypair = await generateClusterKeypair();
  const rotated = await agentCall(plane.url, "/api/agent/credentials/rotate", { token: oldToken, body: { publicKey: keypair.publicJwk } });
  expect(rotated.status).toBe(200);
  const newToken = rotated.json?.token as string;
  expect(newToken).not.toBe(oldToken);
  expect((await poll(plane, clusterId, newToken)).status).toBe(200);
  expect((await poll(plane, clusterId, oldToken)).status).toBe(200);
  expect((await agentCall(plane.url, "/api/agent/credentials/rotate", { token: oldToken, body: {} })).status).toBe(401);
  const stored = (await plane.admin.clusters()).find((cluster) => cluster.clusterId === clusterId);
  expect(stored?.publicKey).toEqual(keypair.publicJwk);
  const p = plane;
  await eventually(async () => (await poll(p, clusterId, oldToken)).status === 401, { what: "old token rejected after the grace period", timeoutMs: 20_000 });
  expect((await poll(plane, clusterId, newToken)).status).toBe(200);
});

test("with grace 0 the old token is rejected at once", async () => {
  plane = await startRefControlPlane({ settings: { rotationGraceMs: 0 } });
  const { clusterId, token: oldToken } = await registerCluster(plane);
  const rotated = await agentCall(plane.url, "/api/agent/credentials/rotate", { token: oldToken, body: {} });
  expect(rotated.status).toBe(200);
  expect((await poll(plane, clusterId, oldToken)).status).toBe(401);
  expect((await poll(plane, clusterId, rotated.json?.token as string)).status).toBe(200);
});

test("--token-ttl: expiresAt is returned and enforced", async () => {
  plane = await startRefControlPlane({ settings: { tokenTtlMs: 1500 } });
  const { clusterId, token, response } = await registerCluster(plane);
  expect(Date.parse(response.expiresAt as string)).toBeGreaterThan(Date.now());
  expect((await poll(plane, clusterId, token)).status).toBe(200);
  const p = plane;
  await eventually(async () => (await poll(p, clusterId, token)).status === 401, { what: "expired bearer rejected", timeoutMs: 20_000 });
});

test("rotate rejects unknown body members (strict shapes)", async () => {
  plane = await startRefControlPlane();
  const { token } = await registerCluster(plane);
  const answer = await agentCall(plane.url, "/api/agent/credentials/rotate", { token, body: { publicKey: { kty: "OKP", crv: "X25519", x: "short", kid: "k" } } });
  expect([answer.status, answer.json?.error]).toEqual([400, "InvalidBody"]);
});
