/** Nothing the plane hands out or receives in confidence reaches its logs (docs/connectivity.md#pull-mode-wire-protocol, docs/connectivity.md#encryption-modes, docs/connectivity.md#agent-api). */
import { expect, test } from "bun:test";
import { generateClusterKeypair } from "../../../src/security/keys";
import { registerCluster, startRefControlPlane } from "../../support/controlplane";
import { agentCall } from "./agent-request";

test("tokens, the admin token, key material and payloads never appear in the plane's logs", async () => {
  const plane = await startRefControlPlane({ settings: { rotationGraceMs: 0 } });
  try {
    const keypair = await generateClusterKeypair();
    const { token: registrationToken } = await plane.admin.createRegistrationToken();
    const registered = await agentCall(plane.url, "/api/agent/register", { token: registrationToken, body: { registrationToken, publicKey: keypair.publicJwk } });
    const { clusterId, token } = registered.json as { clusterId: string; token: string };
    const rotated = await agentCall(plane.url, "/api/agent/credentials/rotate", { token, body: {} });
    const newToken = rotated.json?.token as string;
    const canary = `payload-canary-${crypto.randomUUID()}`;
    const job = await plane.admin.enqueueJob(clusterId, { kind: "apply", payload: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "n" }, data: { canary } } }, { encrypt: true });
    await agentCall(plane.url, `/api/agent/jobs/${job.id}/ack`, { method: "POST", token: newToken });
    await agentCall(plane.url, `/api/agent/jobs?cluster=${clusterId}&wait=0`, { token });
    await agentCall(plane.url, "/api/agent/register", { token: registrationToken, body: { registrationToken } });
    const other = await registerCluster(plane);
    const signingKeyCount = (await plane.admin.jwks()).keys.length;
    expect(signingKeyCount).toBeGreaterThan(0);
    expect(plane.logs.lines.some((line) => line.includes('"msg":"request"'))).toBe(true);
    plane.logs.assertNoSecrets([registrationToken, token, newToken, other.token, plane.adminToken, keypair.privateJwk.d, canary]);
  } finally {
    await plane.stop();
  }
});
