/** Time windows of the plane, crossed with an injected clock instead of waiting (docs/connectivity.md#the-reference-control-plane, docs/connectivity.md#agent-api). */
import { afterEach, expect, test } from "bun:test";
import { registerCluster, startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { agentCall, CONFIG_MAP_PAYLOAD, resultBody } from "./agent-request";

const HOUR = 3_600_000;
let plane: RefControlPlane | undefined;
let offset = 0;
afterEach(async () => {
  await plane?.stop();
  plane = undefined;
  offset = 0;
});

async function start(settings: Parameters<typeof startRefControlPlane>[0] = {}): Promise<RefControlPlane> {
  plane = await startRefControlPlane({ ...settings, now: () => Date.now() + offset });
  return plane;
}

test("/status is accepted until 24 h after the result, then 409 JobClosed", async () => {
  const p = await start();
  const { clusterId, token } = await registerCluster(p);
  const job = await p.admin.enqueueJob(clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
  await agentCall(p.url, `/api/agent/jobs/${job.id}/ack`, { method: "POST", token });
  await agentCall(p.url, `/api/agent/jobs/${job.id}/result`, { token, body: resultBody("succeeded") });
  const status = () => agentCall(p.url, `/api/agent/jobs/${job.id}/status`, { token, body: { phase: "Progressing", timestamp: new Date().toISOString() } });
  offset = 23 * HOUR;
  expect((await status()).status).toBe(204);
  offset = 24 * HOUR + 1000;
  const late = await status();
  expect([late.status, late.json?.error]).toEqual([409, "JobClosed"]);
});

test("registration tokens expire at their ttl; the default rotation grace is 24 h", async () => {
  const p = await start();
  const { token } = await p.admin.createRegistrationToken(undefined, 3600);
  offset = HOUR + 1000;
  const expired = await agentCall(p.url, "/api/agent/register", { token, body: { registrationToken: token } });
  expect([expired.status, expired.json?.error]).toEqual([401, "InvalidRegistrationToken"]);
  offset = 0;
  const { clusterId, token: oldToken } = await registerCluster(p);
  const rotated = await agentCall(p.url, "/api/agent/credentials/rotate", { token: oldToken, body: {} });
  const poll = (bearer: string) => agentCall(p.url, `/api/agent/jobs?cluster=${clusterId}&wait=0`, { token: bearer });
  offset = 23 * HOUR;
  expect((await poll(oldToken)).status).toBe(200);
  offset = 24 * HOUR + 1000;
  expect((await poll(oldToken)).status).toBe(401);
  expect((await poll(rotated.json?.token as string)).status).toBe(200);
});
