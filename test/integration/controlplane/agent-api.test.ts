/** The status matrix of docs/connectivity.md#agent-api, each row by a direct HTTP request to the reference control plane. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { registerCluster, startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { agentCall, CONFIG_MAP_PAYLOAD, heartbeatEvent, resultBody, transitionEvent } from "./agent-request";

let plane: RefControlPlane;
let a: { clusterId: string; token: string };
let b: { clusterId: string; token: string };

beforeAll(async () => {
  plane = await startRefControlPlane();
  a = await registerCluster(plane);
  b = await registerCluster(plane);
});
afterAll(() => plane.stop());

async function ackedJob(cluster = a): Promise<string> {
  const job = await plane.admin.enqueueJob(cluster.clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
  expect((await agentCall(plane.url, `/api/agent/jobs/${job.id}/ack`, { method: "POST", token: cluster.token })).status).toBe(204);
  return job.id;
}

describe("request framing", () => {
  test("Accept without the v1 media type → 406 NotAcceptable with a request id", async () => {
    const answer = await agentCall(plane.url, `/api/agent/jobs?cluster=${a.clusterId}&wait=0`, { token: a.token, headers: { Accept: "application/json" } });
    expect(answer.status).toBe(406);
    expect(answer.json?.error).toBe("NotAcceptable");
    expect(answer.json?.requestId).toBe(answer.headers.get("X-Request-Id") as string);
  });

  test("a body with another Content-Type → 415 UnsupportedMediaType", async () => {
    const answer = await agentCall(plane.url, "/api/agent/events", {
      token: a.token,
      rawBody: JSON.stringify({ events: [transitionEvent("k-415")] }),
      headers: { "Content-Type": "application/json" },
    });
    expect(answer.status).toBe(415);
    expect(answer.json?.error).toBe("UnsupportedMediaType");
  });

  test("body that is not JSON, or violates the shapes → 400 InvalidBody naming the field", async () => {
    const notJson = await agentCall(plane.url, "/api/agent/events", { token: a.token, rawBody: "{nope" });
    expect([notJson.status, notJson.json?.error]).toEqual([400, "InvalidBody"]);
    const unknownMember = await agentCall(plane.url, "/api/agent/events", { token: a.token, body: { events: [{ ...transitionEvent("k-x"), surprise: 1 }] } });
    expect([unknownMember.status, unknownMember.json?.error]).toEqual([400, "InvalidBody"]);
    const badKind = await agentCall(plane.url, "/api/agent/events", { token: a.token, body: { events: [{ ...transitionEvent("k-y"), kind: "Gossip" }] } });
    expect(badKind.status).toBe(400);
    expect(String(badKind.json?.message)).toContain("kind");
  });

  test("missing, unknown and revoked bearers → 401 Unauthorized", async () => {
    const path = `/api/agent/jobs?cluster=${a.clusterId}&wait=0`;
    expect((await agentCall(plane.url, path)).status).toBe(401);
    expect((await agentCall(plane.url, path, { token: "vwksp-not-a-token" })).status).toBe(401);
    const c = await registerCluster(plane);
    expect((await agentCall(plane.url, `/api/agent/jobs?cluster=${c.clusterId}&wait=0`, { token: c.token })).status).toBe(200);
    await plane.admin.revoke(c.clusterId);
    const revoked = await agentCall(plane.url, `/api/agent/jobs?cluster=${c.clusterId}&wait=0`, { token: c.token });
    expect([revoked.status, revoked.json?.error]).toEqual([401, "Unauthorized"]);
  });
});

describe("GET /jobs", () => {
  test("missing cluster → 400 MissingCluster; bad wait → 400 InvalidWait; another cluster → 403", async () => {
    expect((await agentCall(plane.url, "/api/agent/jobs?wait=0", { token: a.token })).json?.error).toBe("MissingCluster");
    for (const wait of ["-1", "1.5", "soon"]) {
      const answer = await agentCall(plane.url, `/api/agent/jobs?cluster=${a.clusterId}&wait=${wait}`, { token: a.token });
      expect([answer.status, answer.json?.error]).toEqual([400, "InvalidWait"]);
    }
    const cross = await agentCall(plane.url, `/api/agent/jobs?cluster=${b.clusterId}&wait=0`, { token: a.token });
    expect([cross.status, cross.json?.error]).toEqual([403, "Forbidden"]);
  });

  test("jobs are redelivered on every poll until acked, oldest first, and never as null", async () => {
    const c = await registerCluster(plane);
    const poll = () => agentCall(plane.url, `/api/agent/jobs?cluster=${c.clusterId}&wait=0`, { token: c.token });
    expect((await poll()).text).toBe('{"jobs":[]}');
    const first = await plane.admin.enqueueJob(c.clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
    const second = await plane.admin.enqueueJob(c.clusterId, { kind: "delete", payload: { apiVersion: "v1", kind: "ConfigMap", namespace: "team-a", name: "x" } });
    const ids = async () => ((await poll()).json?.jobs as { id: string }[]).map((job) => job.id);
    expect(await ids()).toEqual([first.id, second.id]);
    expect(await ids()).toEqual([first.id, second.id]);
    await agentCall(plane.url, `/api/agent/jobs/${first.id}/ack`, { method: "POST", token: c.token });
    expect(await ids()).toEqual([second.id]);
    expect((await plane.admin.job(first.id)).deliveries).toBe(2);
  });

  test("expired jobs are still delivered", async () => {
    const c = await registerCluster(plane);
    const job = await plane.admin.enqueueJob(c.clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD, expiresAt: "2020-01-01T00:00:00Z" });
    const answer = await agentCall(plane.url, `/api/agent/jobs?cluster=${c.clusterId}&wait=0`, { token: c.token });
    expect((answer.json?.jobs as { id: string }[]).map((delivered) => delivered.id)).toEqual([job.id]);
  });
});

describe("per-job endpoints", () => {
  test("unknown job → 404 JobNotFound; another cluster's job → 403 on ack, status and result", async () => {
    expect((await agentCall(plane.url, "/api/agent/jobs/nope/ack", { method: "POST", token: a.token })).json?.error).toBe("JobNotFound");
    const job = await plane.admin.enqueueJob(b.clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
    const ack = await agentCall(plane.url, `/api/agent/jobs/${job.id}/ack`, { method: "POST", token: a.token });
    expect([ack.status, ack.json?.error]).toEqual([403, "Forbidden"]);
    const result = await agentCall(plane.url, `/api/agent/jobs/${job.id}/result`, { token: a.token, body: resultBody("succeeded") });
    expect(result.status).toBe(403);
    const status = await agentCall(plane.url, `/api/agent/jobs/${job.id}/status`, { token: a.token, body: { phase: "Ready", timestamp: new Date().toISOString() } });
    expect(status.status).toBe(403);
    expect((await plane.admin.job(job.id)).state).toBe("pending");
  });

  test("repeated ack → 204; ack after the result → 409 JobClosed", async () => {
    const id = await ackedJob();
    expect((await agentCall(plane.url, `/api/agent/jobs/${id}/ack`, { method: "POST", token: a.token })).status).toBe(204);
    expect((await agentCall(plane.url, `/api/agent/jobs/${id}/result`, { token: a.token, body: resultBody("noop") })).status).toBe(204);
    const late = await agentCall(plane.url, `/api/agent/jobs/${id}/ack`, { method: "POST", token: a.token });
    expect([late.status, late.json?.error]).toEqual([409, "JobClosed"]);
  });

  test("result before ack → 400 JobNotAcked; unknown outcome → 400 InvalidOutcome; second result → 409", async () => {
    const job = await plane.admin.enqueueJob(a.clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
    const early = await agentCall(plane.url, `/api/agent/jobs/${job.id}/result`, { token: a.token, body: resultBody("succeeded") });
    expect([early.status, early.json?.error]).toEqual([400, "JobNotAcked"]);
    await agentCall(plane.url, `/api/agent/jobs/${job.id}/ack`, { method: "POST", token: a.token });
    const odd = await agentCall(plane.url, `/api/agent/jobs/${job.id}/result`, { token: a.token, body: resultBody("maybe") });
    expect([odd.status, odd.json?.error]).toEqual([400, "InvalidOutcome"]);
    const appliedRef = { apiVersion: "v1", kind: "ConfigMap", namespace: "team-a", name: "demo", uid: "u-9", generation: 1 };
    const first = await agentCall(plane.url, `/api/agent/jobs/${job.id}/result`, { token: a.token, body: resultBody("succeeded", { appliedRef }) });
    expect(first.status).toBe(204);
    const again = await agentCall(plane.url, `/api/agent/jobs/${job.id}/result`, { token: a.token, body: resultBody("failed", { errorCode: "ApplyFailed", error: "ApplyFailed: x" }) });
    expect([again.status, again.json?.error]).toEqual([409, "ResultAlreadyRecorded"]);
    const stored = await plane.admin.jobResult(job.id);
    expect(stored?.outcome).toBe("succeeded");
    expect(stored?.appliedRef).toEqual(appliedRef);
  });

  test("status updates are accepted after the result and stored in order", async () => {
    const id = await ackedJob();
    await agentCall(plane.url, `/api/agent/jobs/${id}/result`, { token: a.token, body: resultBody("succeeded") });
    for (const phase of ["Progressing", "Ready"]) {
      const answer = await agentCall(plane.url, `/api/agent/jobs/${id}/status`, { token: a.token, body: { phase, timestamp: new Date().toISOString() } });
      expect(answer.status).toBe(204);
    }
    const record = await plane.admin.job(id);
    expect(record.statuses.map((status) => status.phase)).toEqual(["Progressing", "Ready"]);
    expect(record.state).toBe("closed");
  });
});

describe("events", () => {
  test("more than 100 items → 400 TooManyEvents; more than 1 MiB → 413", async () => {
    const many = Array.from({ length: 101 }, (_, i) => transitionEvent(`k-many-${i}`));
    const tooMany = await agentCall(plane.url, "/api/agent/events", { token: a.token, body: { events: many } });
    expect([tooMany.status, tooMany.json?.error]).toEqual([400, "TooManyEvents"]);
    const big = { ...transitionEvent("k-big"), conditions: [{ type: "Ready", status: "True", reason: "R", message: "x".repeat(1024 * 1024) }] };
    const tooLarge = await agentCall(plane.url, "/api/agent/events", { token: a.token, body: { events: [big] } });
    expect(tooLarge.status).toBe(413);
  });

  test("a repeated eventKey is stored once and still answered 204; events belong to the token's cluster", async () => {
    const key = `condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/team-a/app/u-1/Ready/True@1`;
    for (let i = 0; i < 2; i++) {
      expect((await agentCall(plane.url, "/api/agent/events", { token: a.token, body: { events: [transitionEvent(key), transitionEvent(key)] } })).status).toBe(204);
    }
    const stored = await plane.admin.events({ clusterId: a.clusterId, eventKind: "ConditionTransition", name: "app" });
    expect(stored.events.filter((event) => event.eventKey === key)).toHaveLength(1);
    const other = await plane.admin.events({ clusterId: b.clusterId, eventKind: "ConditionTransition" });
    expect(other.events).toHaveLength(0);
  });
});

test("heartbeats update the cluster's last heartbeat and only the last 100 are kept", async () => {
  const c = await registerCluster(plane);
  for (const size of [100, 5]) {
    const events = Array.from({ length: size }, () => heartbeatEvent(c.clusterId));
    expect((await agentCall(plane.url, "/api/agent/events", { token: c.token, body: { events } })).status).toBe(204);
  }
  const stored = await plane.admin.events({ clusterId: c.clusterId, eventKind: "ClusterHeartbeat" });
  expect(stored.events).toHaveLength(100);
  const summary = (await plane.admin.clusters()).find((cluster) => cluster.clusterId === c.clusterId);
  expect(summary?.lastHeartbeatAt).not.toBeNull();
});

describe("register", () => {
  const register = (token: string, body: Record<string, unknown> = {}) =>
    agentCall(plane.url, "/api/agent/register", { token, body: { registrationToken: token, ...body } });

  test("a registration token is single use; unknown and expired answer the same 401", async () => {
    const { token } = await plane.admin.createRegistrationToken();
    const first = await register(token);
    expect(first.status).toBe(200);
    expect(typeof first.json?.token).toBe("string");
    expect((first.json?.signingKeys as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
    const reused = await register(token);
    expect([reused.status, reused.json?.error]).toEqual([401, "InvalidRegistrationToken"]);
    const unknown = await register("vwksp-reg-unknown");
    expect([unknown.status, unknown.json?.error]).toEqual([401, "InvalidRegistrationToken"]);
    const short = await plane.admin.createRegistrationToken(undefined, 1);
    await Bun.sleep(1100);
    const expired = await register(short.token);
    expect([expired.status, expired.json?.error]).toEqual([401, "InvalidRegistrationToken"]);
  });

  test("body clusterId other than the token's bound cluster → 403 ClusterMismatch, token not consumed", async () => {
    const { token } = await plane.admin.createRegistrationToken("bound-cluster");
    const mismatch = await register(token, { clusterId: "other-cluster" });
    expect([mismatch.status, mismatch.json?.error]).toEqual([403, "ClusterMismatch"]);
    const ok = await register(token, { clusterId: "bound-cluster" });
    expect([ok.status, ok.json?.clusterId]).toEqual([200, "bound-cluster"]);
  });

  test("re-registering a cluster revokes its earlier tokens", async () => {
    const first = await registerCluster(plane, { clusterId: "re-registered" });
    const second = await registerCluster(plane, { clusterId: "re-registered" });
    const path = "/api/agent/jobs?cluster=re-registered&wait=0";
    expect((await agentCall(plane.url, path, { token: first.token })).status).toBe(401);
    expect((await agentCall(plane.url, path, { token: second.token })).status).toBe(200);
  });

  test("an unbound token cannot take over a registered cluster: 409 ClusterExists, the owner's token keeps working", async () => {
    const owner = await registerCluster(plane, { clusterId: "owned-cluster" });
    const { token } = await plane.admin.createRegistrationToken();
    const takeover = await register(token, { clusterId: "owned-cluster" });
    expect(takeover.status).toBe(409);
    expect(takeover.json).toMatchObject({ error: "ClusterExists", requestId: takeover.headers.get("X-Request-Id") });
    expect(String(takeover.json?.message)).toContain("already registered");
    expect((await agentCall(plane.url, "/api/agent/jobs?cluster=owned-cluster&wait=0", { token: owner.token })).status).toBe(200);
    const clusters = (await (await fetch(`${plane.url}/api/admin/clusters`, { headers: { Authorization: `Bearer ${plane.adminToken}` } })).json()) as { clusters: { clusterId: string; activeTokens: number }[] };
    expect(clusters.clusters.find((entry) => entry.clusterId === "owned-cluster")?.activeTokens).toBe(1);
    // The refused attempt did not consume the token: it still registers a new cluster.
    expect((await register(token, { clusterId: "fresh-cluster" })).json?.clusterId).toBe("fresh-cluster");
  });

  test("bearer and body token must agree", async () => {
    const { token } = await plane.admin.createRegistrationToken();
    const answer = await agentCall(plane.url, "/api/agent/register", { token: "vwksp-reg-other", body: { registrationToken: token } });
    expect(answer.status).toBe(401);
    expect((await register(token)).status).toBe(200);
  });
});

test("admin API refuses a missing or wrong admin token and accepts the Go mock header", async () => {
  const noToken = await fetch(`${plane.url}/api/admin/clusters`);
  expect(noToken.status).toBe(401);
  const wrong = await fetch(`${plane.url}/api/admin/clusters`, { headers: { Authorization: "Bearer wrong" } });
  expect(wrong.status).toBe(401);
  const noCluster = await fetch(`${plane.url}/api/admin/events`, { headers: { Authorization: `Bearer ${plane.adminToken}` } });
  expect([noCluster.status, ((await noCluster.json()) as { error: string }).error]).toEqual([400, "MissingCluster"]);
  const mock = await fetch(`${plane.url}/api/admin/clusters`, { headers: { "X-Mock-Control-Plane-Admin-Token": plane.adminToken } });
  expect(mock.status).toBe(200);
  const clusters = ((await mock.json()) as { clusters: { clusterId: string; activeTokens: number }[] }).clusters;
  expect(clusters.find((cluster) => cluster.clusterId === a.clusterId)?.activeTokens).toBe(1);
});

test("Go-mock enqueue stores the envelope verbatim and checks cluster and id", async () => {
  const raw = { id: "raw-1", kind: "apply", payload: CONFIG_MAP_PAYLOAD, extra: { kept: true } };
  await plane.admin.enqueueRawJob(a.clusterId, raw);
  expect((await plane.admin.job("raw-1")).job).toEqual(raw);
  const missing = await fetch(`${plane.url}/api/admin/enqueue`, { method: "POST", headers: { Authorization: `Bearer ${plane.adminToken}` }, body: JSON.stringify({ job: raw }) });
  expect(((await missing.json()) as { error: string }).error).toBe("MissingCluster");
  const noId = await fetch(`${plane.url}/api/admin/enqueue`, { method: "POST", headers: { Authorization: `Bearer ${plane.adminToken}` }, body: JSON.stringify({ clusterId: a.clusterId, job: { kind: "apply" } }) });
  expect(((await noId.json()) as { error: string }).error).toBe("MissingJobID");
  await expect(plane.admin.enqueueJob("no-such-cluster", { kind: "apply", payload: CONFIG_MAP_PAYLOAD })).rejects.toThrow("ClusterNotFound");
  await expect(plane.admin.enqueueJob(a.clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD, id: "raw-1" })).rejects.toThrow("DuplicateJobId");
});
