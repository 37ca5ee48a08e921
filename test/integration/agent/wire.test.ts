/**
 * The wire contract as seen by a recording server (docs/connectivity.md#pull-mode-wire-protocol, docs/connectivity.md#endpoints): bearer, media type and
 * User-Agent on every request, Content-Type exactly when a body is sent, ack without a body, ack before the
 * write; with `--agent-wire-extensions=false` only Go-era members are sent.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { CLUSTER } from "../../../src/api/groups";
import { getCluster, type TestCluster } from "../../support/cluster";
import { useNamespace } from "../../support/namespace";
import { CLUSTER_NAME, createTokenSecret, deleteClusters, finishAgentTest, startAgent, waitForPhase, type AgentRun } from "./harness";

const ns = useNamespace({ slug: "agent-wire" });
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

interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

const BEARER = "recorded-bearer-token-0123456789";

function recordingServer(job: Record<string, unknown>) {
  const requests: Recorded[] = [];
  let delivered = false;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      const url = new URL(request.url);
      const text = await request.text();
      requests.push({ method: request.method, path: url.pathname + url.search, headers: Object.fromEntries(request.headers), body: text === "" ? undefined : JSON.parse(text) });
      if (url.pathname === "/api/agent/register") return Response.json({ clusterId: "wire-cluster", token: BEARER });
      if (url.pathname === "/api/agent/jobs") {
        const jobs = delivered ? [] : [job];
        delivered = true;
        return Response.json({ jobs });
      }
      return new Response(null, { status: 204 });
    },
  });
  return { server, requests };
}

async function run(wireExtensions: boolean, name: string) {
  const job = { id: `job-${name}`, kind: "apply", payload: { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns.name } }, createdAt: new Date().toISOString() };
  const { server, requests } = recordingServer(job);
  try {
    await createTokenSecret(cluster.client, ns.name, "recorded-registration-token-0000");
    running = await startAgent(cluster, ns.name, { wireExtensions });
    await cluster.client.create(CLUSTER, {
      apiVersion: "ops.vworkspace.io/v1alpha1",
      kind: "Cluster",
      metadata: { name: CLUSTER_NAME },
      spec: { controlPlaneEndpoint: `http://127.0.0.1:${server.port}`, registrationTokenSecretRef: { name: "registration" }, security: { payloadSigning: { mode: "disabled" } } },
    });
    await waitForPhase(cluster.client, "Connected");
    const deadline = Date.now() + 30_000;
    while (!requests.some((request) => request.path.endsWith("/result")) && Date.now() < deadline) await Bun.sleep(100);
    return requests;
  } finally {
    await running?.stop();
    server.stop(true);
  }
}

describe("wire contract", () => {
  test("headers, ack without a body before the result, and additive members", async () => {
    const requests = await run(true, "with-extensions");
    for (const request of requests) {
      const bearer = request.path === "/api/agent/register" ? "Bearer recorded-registration-token-0000" : `Bearer ${BEARER}`;
      expect(request.headers.authorization).toBe(bearer);
      expect(request.headers.accept).toBe("application/vnd.vworkspace.agent.v1+json");
      expect(request.headers["user-agent"]).toMatch(/^vworkspace-operator\/\d+\.\d+\.\d+/);
      expect(request.headers["content-type"]).toBe(request.body === undefined ? undefined : "application/vnd.vworkspace.agent.v1+json");
    }
    const paths = requests.map((request) => request.path);
    const ack = paths.indexOf("/api/agent/jobs/job-with-extensions/ack");
    const result = paths.indexOf("/api/agent/jobs/job-with-extensions/result");
    expect(ack).toBeGreaterThan(0);
    expect(result).toBeGreaterThan(ack);
    expect(requests[ack]!.body).toBeUndefined();
    expect(requests[result]!.body).toMatchObject({ outcome: "failed", errorCode: "KindNotAllowed" });
    expect((requests[0]!.body as { publicKey?: { kid?: string } }).publicKey?.kid).toBeTruthy();
    expect(paths.find((path) => path.startsWith("/api/agent/jobs?"))).toBe("/api/agent/jobs?cluster=wire-cluster&wait=2");
  });

  test("with wire extensions off only Go-era members are sent", async () => {
    const requests = await run(false, "without-extensions");
    const register = requests.find((request) => request.path === "/api/agent/register")!;
    expect(Object.keys(register.body as object).sort()).toEqual(["registrationToken"]);
    const result = requests.find((request) => request.path.endsWith("/result"))!;
    expect(Object.keys(result.body as object).sort()).toEqual(["error", "outcome", "timestamp"]);
    const heartbeats = requests.filter((request) => request.path === "/api/agent/events").flatMap((request) => (request.body as { events: { kind: string; conditions?: unknown }[] }).events).filter((event) => event.kind === "ClusterHeartbeat");
    expect(heartbeats.length).toBeGreaterThan(0);
    expect(heartbeats.every((event) => event.conditions === undefined)).toBe(true);
  });
});
