/**
 * Bounded reads: a scripted control plane answers the jobs poll with an endless stream (500 MB, pushed as fast as
 * the agent reads). The real agent aborts at its cap, counts it as a network failure, logs it without body
 * content, backs off and stays alive with bounded memory; once the server answers normally the job is applied.
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeAll, expect, test } from "bun:test";
import { CONFIG_MAP } from "../../../src/agent/jobs/ledger-store";
import { CLUSTER } from "../../../src/api/groups";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { CLUSTER_NAME, configMap, createTokenSecret, deleteClusters, finishAgentTest, startAgent, waitForPhase, type AgentRun } from "./harness";

const ns = useNamespace({ slug: "agent-bounded" });
let cluster: TestCluster;
let running: AgentRun | undefined;

beforeAll(async () => {
  cluster = await getCluster();
  await deleteClusters(cluster.client);
});

afterEach(async () => {
  const finished = running;
  running = undefined;
  await finishAgentTest(cluster, finished);
});

const BEARER = "bounded-reads-bearer-token-0123456789";
const REGISTRATION_TOKEN = "bounded-reads-registration-token-00";
const ENDLESS_TOTAL = 500 * 1024 * 1024;
const CHUNK = new Uint8Array(64 * 1024).fill(0x20);
/** Recognisable filler: must never show up in a log line. */
const MARKER = "endless-body-marker";

/** A jobs answer that never finishes in practice: `{"jobs":[` then 500 MB of whitespace. */
function endlessAnswer(onPulled: (bytes: number) => void): Response {
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(`{"jobs":[ "${MARKER}" `));
    },
    pull(controller) {
      if (sent >= ENDLESS_TOTAL) return controller.close();
      sent += CHUNK.byteLength;
      onPulled(CHUNK.byteLength);
      controller.enqueue(CHUNK);
    },
  });
  return new Response(stream, { headers: { "Content-Type": "application/vnd.vworkspace.agent.v1+json" } });
}

function scriptedServer(job: Record<string, unknown>) {
  const state = { endless: true, oversizedPolls: 0, pulledPerPoll: [] as number[], delivered: false, results: new Map<string, unknown>() };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch: async (request) => {
      const { pathname } = new URL(request.url);
      // Only this test's agent is served: an operator of a concurrent test that sees the Cluster gets 401.
      const bearer = request.headers.get("authorization");
      if (pathname === "/api/agent/register") {
        if (bearer !== `Bearer ${REGISTRATION_TOKEN}`) return new Response(null, { status: 401 });
        return Response.json({ clusterId: "bounded-cluster", token: BEARER });
      }
      if (bearer !== `Bearer ${BEARER}`) return new Response(null, { status: 401 });
      if (pathname === "/api/agent/jobs") {
        if (state.endless) {
          const poll = state.pulledPerPoll.push(0) - 1;
          state.oversizedPolls++;
          return endlessAnswer((bytes) => (state.pulledPerPoll[poll]! += bytes));
        }
        const jobs = state.delivered ? [] : [job];
        state.delivered = true;
        return Response.json({ jobs });
      }
      const result = /^\/api\/agent\/jobs\/([^/]+)\/result$/.exec(pathname);
      if (result) state.results.set(decodeURIComponent(result[1]!), await request.json());
      else await request.text();
      return new Response(null, { status: 204 });
    },
  });
  return { server, state };
}

test("an endless jobs answer is cut at the cap; the agent backs off, keeps its memory bounded, and recovers", async () => {
  const job = { id: "after-the-flood", kind: "apply", payload: configMap(ns.name, "recovered", { a: "1" }), createdAt: new Date().toISOString() };
  const { server, state } = scriptedServer(job);
  try {
    await createTokenSecret(cluster.client, ns.name, REGISTRATION_TOKEN);
    running = await startAgent(cluster, ns.name);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    try {
      await cluster.client.create(CLUSTER, {
        apiVersion: "ops.vworkspace.io/v1alpha1",
        kind: "Cluster",
        metadata: { name: CLUSTER_NAME },
        spec: { controlPlaneEndpoint: `http://127.0.0.1:${server.port}`, registrationTokenSecretRef: { name: "registration" }, security: { payloadSigning: { mode: "disabled" } } },
      });
      await waitForPhase(cluster.client, "Connected");
      await eventually(() => state.oversizedPolls >= 3 || undefined, { what: "three oversized polls", timeoutMs: 60_000 });
    } finally {
      clearInterval(sampler);
    }
    const cap = 8 * 1024 * 1024;
    // Whatever the socket buffers held, the server was never allowed to push much beyond the cap.
    for (const pulled of state.pulledPerPoll.slice(0, 3)) expect(pulled).toBeLessThan(cap * 4);
    expect(peak - baseline).toBeLessThan(256 * 1024 * 1024);

    state.endless = false;
    await eventually(() => state.results.get(job.id), { what: "the job's result after recovery", timeoutMs: 60_000 });
    expect(state.results.get(job.id)).toMatchObject({ outcome: "succeeded" });
    expect(await cluster.client.get(CONFIG_MAP, "recovered", { namespace: ns.name })).toBeDefined();

    const metrics = await running.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_agent_requests_total");
    const networkFailures = Number(/endpoint="jobs",code="network"} (\d+)/.exec(metrics)?.[1] ?? "0");
    expect(networkFailures).toBeGreaterThanOrEqual(3);
    const log = readFileSync(running.logFile, "utf8");
    expect(log).toContain("jobs answer exceeded the size limit");
    expect(log).not.toContain(MARKER);
  } finally {
    await running?.stop();
    server.stop(true);
  }
});
