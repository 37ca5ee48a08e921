/** Fault injection, the request log and per-token rate limiting (docs/connectivity.md#the-reference-control-plane, docs/connectivity.md#admin-api). */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { AdminApiError } from "../../../src/controlplane/admin-client";
import { registerCluster, startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { agentCall, heartbeatEvent, transitionEvent } from "./agent-request";

let plane: RefControlPlane;
beforeAll(async () => {
  plane = await startRefControlPlane();
});
afterAll(() => plane.stop());

test("an injected 429 with retryAfterSeconds is returned exactly count times, only to the named cluster", async () => {
  const target = await registerCluster(plane);
  const bystander = await registerCluster(plane);
  await plane.admin.injectFault({ endpoint: "events", clusterId: target.clusterId, status: 429, count: 2, retryAfterSeconds: 9 });
  const send = (who: { token: string; clusterId: string }) =>
    agentCall(plane.url, "/api/agent/events", {
      token: who.token,
      body: { events: [{ kind: "ClusterHeartbeat", resourceRef: { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", namespace: "", name: who.clusterId }, timestamp: new Date().toISOString() }] },
    });
  expect((await send(bystander)).status).toBe(204);
  const first = await send(target);
  expect([first.status, first.headers.get("Retry-After")]).toEqual([429, "9"]);
  expect((await send(target)).status).toBe(429);
  expect((await send(target)).status).toBe(204);
  const heartbeat = (await plane.admin.clusters()).find((cluster) => cluster.clusterId === target.clusterId);
  expect(heartbeat?.lastHeartbeatAt).not.toBeNull();
});

test("a fault without status only holds the request; the request log records arrival, answer and event kinds", async () => {
  const target = await registerCluster(plane);
  const bystander = await registerCluster(plane);
  await plane.admin.injectFault({ endpoint: "events", clusterId: target.clusterId, delayMs: 1_000, count: 1 });
  const sent = Date.now();
  const events = [transitionEvent("condition/a/Ready/True@1", "a"), transitionEvent("condition/b/Ready/True@1", "b"), heartbeatEvent(target.clusterId)];
  expect((await agentCall(plane.url, "/api/agent/events", { token: target.token, body: { events } })).status).toBe(204);
  const answered = Date.now();
  expect(answered - sent).toBeGreaterThanOrEqual(1_000);
  expect((await plane.admin.events({ clusterId: target.clusterId, eventKind: "ConditionTransition" })).events).toHaveLength(2);
  expect((await agentCall(plane.url, `/api/agent/jobs?cluster=${bystander.clusterId}&wait=0`, { token: target.token })).status).toBe(403);

  const requests = await plane.admin.requests(target.clusterId);
  expect(requests.map((request) => [request.endpoint, request.status, request.eventKinds])).toEqual([
    ["events", 204, { ConditionTransition: 2, ClusterHeartbeat: 1 }],
    ["jobs", 403, undefined],
  ]);
  expect(Date.parse(requests[0]!.receivedAt)).toBeLessThanOrEqual(answered - 1_000);
  expect((await plane.admin.requests(target.clusterId, "jobs")).map((request) => request.status)).toEqual([403]);
  expect(await plane.admin.requests(bystander.clusterId)).toEqual([]);
  const refused = await plane.admin.injectFault({ endpoint: "jobs", count: 1 }).catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(AdminApiError);
  expect((refused as AdminApiError).status).toBe(400);
});

test("DELETE /api/admin/faults clears pending faults", async () => {
  const target = await registerCluster(plane);
  await plane.admin.injectFault({ endpoint: "jobs", status: 500, count: 5 });
  await plane.admin.clearFaults();
  expect((await agentCall(plane.url, `/api/agent/jobs?cluster=${target.clusterId}&wait=0`, { token: target.token })).status).toBe(200);
});

test("--max-jobs-per-poll caps one answer; the admin job list filters by state", async () => {
  const capped = await startRefControlPlane({ settings: { maxJobsPerPoll: 2 } });
  try {
    const { clusterId, token } = await registerCluster(capped);
    const payload = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "n" } };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await capped.admin.enqueueJob(clusterId, { kind: "apply", payload })).id);
    const first = await agentCall(capped.url, `/api/agent/jobs?cluster=${clusterId}&wait=0`, { token });
    expect((first.json?.jobs as { id: string }[]).map((job) => job.id)).toEqual(ids.slice(0, 2));
    await agentCall(capped.url, `/api/agent/jobs/${ids[0]}/ack`, { method: "POST", token });
    await agentCall(capped.url, `/api/agent/jobs/${ids[1]}/ack`, { method: "POST", token });
    await agentCall(capped.url, `/api/agent/jobs/${ids[1]}/result`, { token, body: { outcome: "noop", timestamp: new Date().toISOString() } });
    const byState = async (state: "pending" | "acked" | "closed") => (await capped.admin.jobs(clusterId, state)).map((record) => record.job.id);
    expect([await byState("pending"), await byState("acked"), await byState("closed")]).toEqual([[ids[2]], [ids[0]], [ids[1]]]);
  } finally {
    await capped.stop();
  }
});

test("beyond the per-token burst the plane answers 429 RateLimited with Retry-After", async () => {
  const limitedPlane = await startRefControlPlane({ settings: { rateLimitPerSecond: 1, retryAfterSeconds: 3 } });
  try {
    await expectRateLimited(limitedPlane);
  } finally {
    await limitedPlane.stop();
  }
});

async function expectRateLimited(plane: RefControlPlane): Promise<void> {
  const target = await registerCluster(plane);
  const statuses: number[] = [];
  let limited: Headers | undefined;
  for (let i = 0; i < 10 && !limited; i++) {
    const answer = await agentCall(plane.url, `/api/agent/jobs?cluster=${target.clusterId}&wait=0`, { token: target.token });
    statuses.push(answer.status);
    if (answer.status === 429) limited = answer.headers;
  }
  expect(statuses).toContain(429);
  expect(limited?.get("Retry-After")).toBe("3");
}
