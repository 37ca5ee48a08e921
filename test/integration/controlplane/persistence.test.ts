/** Everything the plane knows survives a restart on the same SQLite file: clusters, tokens, jobs, events, keys. */
import { afterEach, expect, test } from "bun:test";
import { registerCluster, startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { agentCall, CONFIG_MAP_PAYLOAD, transitionEvent } from "./agent-request";

let plane: RefControlPlane | undefined;
afterEach(async () => {
  await plane?.stop();
  plane = undefined;
});

async function exercise(p: RefControlPlane): Promise<void> {
  const { clusterId, token } = await registerCluster(p);
  const used = await p.admin.createRegistrationToken();
  expect((await agentCall(p.url, "/api/agent/register", { token: used.token, body: { registrationToken: used.token } })).status).toBe(200);
  const spare = await p.admin.createRegistrationToken();
  const pending = await p.admin.enqueueJob(clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
  const acked = await p.admin.enqueueJob(clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
  await agentCall(p.url, `/api/agent/jobs/${acked.id}/ack`, { method: "POST", token });
  const key = "condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/team-a/app/u-1/Ready/True@1";
  await agentCall(p.url, "/api/agent/events", { token, body: { events: [transitionEvent(key)] } });
  const jwksBefore = await p.admin.jwks();

  await p.restart();

  expect(await p.admin.jwks()).toEqual(jwksBefore);
  const poll = await agentCall(p.url, `/api/agent/jobs?cluster=${clusterId}&wait=0`, { token });
  expect(poll.status).toBe(200);
  expect(JSON.parse(poll.text).jobs).toEqual([pending]);
  expect((await agentCall(p.url, `/api/agent/jobs/${acked.id}/result`, { token, body: { outcome: "succeeded", timestamp: new Date().toISOString() } })).status).toBe(204);
  expect((await agentCall(p.url, "/api/agent/register", { token: used.token, body: { registrationToken: used.token } })).status).toBe(401);
  expect((await agentCall(p.url, "/api/agent/register", { token: spare.token, body: { registrationToken: spare.token } })).status).toBe(200);
  await agentCall(p.url, "/api/agent/events", { token, body: { events: [transitionEvent(key)] } });
  const events = await p.admin.events({ clusterId, eventKind: "ConditionTransition" });
  expect(events.events.filter((event) => event.eventKey === key)).toHaveLength(1);
}

test("in-process plane: state survives a restart", async () => {
  plane = await startRefControlPlane();
  await exercise(plane);
});

test("the binary (`control-plane serve`): state survives a restart", async () => {
  plane = await startRefControlPlane({ binary: true });
  await exercise(plane);
}, 300_000);

test("--seed-registration-token: usable once, bound to --seed-cluster-id, not re-seeded by a restart", async () => {
  plane = await startRefControlPlane({ settings: { seedRegistrationToken: "vwksp-reg-seeded-demo", seedClusterId: "seeded-cluster" } });
  const register = () => agentCall(plane!.url, "/api/agent/register", { token: "vwksp-reg-seeded-demo", body: { registrationToken: "vwksp-reg-seeded-demo" } });
  const first = await register();
  expect([first.status, first.json?.clusterId]).toEqual([200, "seeded-cluster"]);
  await plane.restart();
  expect((await register()).status).toBe(401);
});
