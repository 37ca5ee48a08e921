/** The plane with --client-ca: only clients with a certificate from that CA complete the handshake (docs/connectivity.md#mtls-and-ca-pinning, docs/connectivity.md#the-reference-control-plane). */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { issueCert } from "../../../scripts/lib/pki";
import { registerCluster, startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { agentCall } from "./agent-request";

let plane: RefControlPlane;
let clusterId: string;
let token: string;
let clientTls: { ca: string; cert: string; key: string };

beforeAll(async () => {
  plane = await startRefControlPlane({ mtls: true });
  const cert = await plane.pki!.clientCert("cluster-a");
  clientTls = { ca: plane.caPem!, cert: cert.certPem, key: cert.keyPem };
  ({ clusterId, token } = await registerCluster(plane, {}, clientTls));
});
afterAll(() => plane.stop());

const pollPath = () => `/api/agent/jobs?cluster=${clusterId}&wait=0`;

test("a client certificate from the trusted CA works on every agent endpoint family", async () => {
  expect(plane.url.startsWith("https://")).toBe(true);
  expect((await agentCall(plane.url, pollPath(), { token, tls: clientTls })).status).toBe(200);
  const job = await plane.admin.enqueueJob(clusterId, { kind: "intent", payload: { intent: "rotate-operator-credentials" } });
  expect((await agentCall(plane.url, `/api/agent/jobs/${job.id}/ack`, { method: "POST", token, tls: clientTls })).status).toBe(204);
  const result = { outcome: "succeeded", timestamp: new Date().toISOString() };
  expect((await agentCall(plane.url, `/api/agent/jobs/${job.id}/result`, { token, tls: clientTls, body: result })).status).toBe(204);
  const rotated = await agentCall(plane.url, "/api/agent/credentials/rotate", { token, tls: clientTls, body: {} });
  expect(rotated.status).toBe(200);
});

test("no client certificate: the handshake is refused before any HTTP", async () => {
  await expect(agentCall(plane.url, pollPath(), { token, tls: { ca: plane.caPem! } })).rejects.toThrow();
});

test("a client certificate from another CA is refused", async () => {
  const rogue = await issueCert(plane.pki!.rogueCa, { cn: "cluster-a", usage: "client" });
  await expect(agentCall(plane.url, pollPath(), { token, tls: { ca: plane.caPem!, cert: rogue.certPem, key: rogue.keyPem } })).rejects.toThrow();
});

test("a client that does not trust the plane's CA refuses the plane", async () => {
  const cert = await plane.pki!.clientCert("cluster-a");
  await expect(agentCall(plane.url, pollPath(), { token, tls: { ca: plane.pki!.rogueCa.certPem, cert: cert.certPem, key: cert.keyPem } })).rejects.toThrow();
});
