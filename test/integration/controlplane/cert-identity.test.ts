/**
 * --client-cert-identity: TLS terminated by node:tls so the plane sees the verified client certificate; a
 * certificate whose CN names a registered cluster works only with that cluster's tokens.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { registerCluster, startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { agentCall, CONFIG_MAP_PAYLOAD } from "./agent-request";

type Tls = { ca: string; cert: string; key: string };

let plane: RefControlPlane;
let fleetTls: Tls;
let a: { clusterId: string; token: string };
let b: { clusterId: string; token: string };

async function tlsFor(cn: string): Promise<Tls> {
  const cert = await plane.pki!.clientCert(cn);
  return { ca: plane.caPem!, cert: cert.certPem, key: cert.keyPem };
}

beforeAll(async () => {
  plane = await startRefControlPlane({ mtls: true, certIdentity: true });
  fleetTls = await tlsFor("fleet-bootstrap");
  a = await registerCluster(plane, { clusterId: "cluster-a" }, fleetTls);
  b = await registerCluster(plane, { clusterId: "cluster-b" }, fleetTls);
});
afterAll(() => plane.stop());

const poll = (who: { clusterId: string; token: string }, tls: Tls, wait = 0) => agentCall(plane.url, `/api/agent/jobs?cluster=${who.clusterId}&wait=${wait}`, { token: who.token, tls });

test("a cluster's own certificate works; another registered cluster's certificate is refused with 403", async () => {
  expect((await poll(a, await tlsFor("cluster-a"))).status).toBe(200);
  const crossed = await poll(a, await tlsFor("cluster-b"));
  expect([crossed.status, crossed.json?.error]).toEqual([403, "Forbidden"]);
  expect((await poll(b, await tlsFor("cluster-b"))).status).toBe(200);
});

test("a certificate naming no registered cluster is fleet-wide", async () => {
  expect((await poll(a, fleetTls)).status).toBe(200);
  expect((await poll(b, fleetTls)).status).toBe(200);
});

test("registering a cluster with another registered cluster's certificate is refused", async () => {
  const { token } = await plane.admin.createRegistrationToken("cluster-c");
  const answer = await agentCall(plane.url, "/api/agent/register", { token, tls: await tlsFor("cluster-a"), body: { registrationToken: token } });
  expect([answer.status, answer.json?.error]).toEqual([403, "ClusterMismatch"]);
  const retry = await agentCall(plane.url, "/api/agent/register", { token, tls: await tlsFor("cluster-c"), body: { registrationToken: token } });
  expect([retry.status, retry.json?.clusterId]).toEqual([200, "cluster-c"]);
});

test("no certificate and rogue certificates are still refused at the handshake", async () => {
  await expect(poll(a, { ca: plane.caPem!, cert: "", key: "" })).rejects.toThrow();
  const rogue = await (await import("../../../scripts/lib/pki")).issueCert(plane.pki!.rogueCa, { cn: "cluster-a", usage: "client" });
  await expect(poll(a, { ca: plane.caPem!, cert: rogue.certPem, key: rogue.keyPem })).rejects.toThrow();
});

test("a long poll through the terminator outlives Bun's idle timeout and is woken by an enqueue", async () => {
  const tls = await tlsFor("cluster-a");
  const held = await poll(a, tls, 11);
  expect(held.text).toBe('{"jobs":[]}');
  const waiting = poll(a, tls, 30);
  await Bun.sleep(200);
  const job = await plane.admin.enqueueJob(a.clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
  const answer = await waiting;
  expect((answer.json?.jobs as { id: string }[]).map((delivered) => delivered.id)).toEqual([job.id]);
}, 60_000);
