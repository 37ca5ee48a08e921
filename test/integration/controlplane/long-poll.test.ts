/** Long polls: held past Bun's 10 s idle default, woken by an enqueue, bounded by --max-inflight-polls. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { registerCluster, startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { agentCall, CONFIG_MAP_PAYLOAD } from "./agent-request";

let plane: RefControlPlane;
beforeAll(async () => {
  plane = await startRefControlPlane({ settings: { maxInflightPolls: 1, retryAfterSeconds: 7, maxWaitSeconds: 12 } });
});
afterAll(() => plane.stop());

test("a poll asking wait=600 is clamped to --max-wait=12, outlives Bun's 10 s idle timeout and answers {\"jobs\": []}", async () => {
  const { clusterId, token } = await registerCluster(plane);
  const answer = await agentCall(plane.url, `/api/agent/jobs?cluster=${clusterId}&wait=600`, { token });
  expect(answer.status).toBe(200);
  expect(answer.text).toBe('{"jobs":[]}');
}, 60_000);

test("an enqueue wakes the waiting poll; a second poll beyond the cap gets 503 Overloaded with Retry-After", async () => {
  const { clusterId, token } = await registerCluster(plane);
  const other = await registerCluster(plane);
  const waiting = agentCall(plane.url, `/api/agent/jobs?cluster=${clusterId}&wait=60`, { token });
  await eventually(() => plane.admin.clusters().then(() => true), { what: "plane answering" });
  const overloaded = await eventually(
    async () => {
      const answer = await agentCall(plane.url, `/api/agent/jobs?cluster=${other.clusterId}&wait=30`, { token: other.token });
      return answer.status === 503 ? answer : undefined;
    },
    { what: "second long poll refused while the first is held" },
  );
  expect(overloaded.json?.error).toBe("Overloaded");
  expect(overloaded.headers.get("Retry-After")).toBe("7");
  const job = await plane.admin.enqueueJob(clusterId, { kind: "apply", payload: CONFIG_MAP_PAYLOAD });
  const answer = await waiting;
  expect((answer.json?.jobs as { id: string }[]).map((delivered) => delivered.id)).toEqual([job.id]);
}, 60_000);
