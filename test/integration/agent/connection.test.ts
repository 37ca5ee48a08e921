/**
 * The link to the control plane (docs/connectivity.md#backoff, docs/connectivity.md#heartbeat-and-controller-health): 401 pauses the agent after one Secret re-read and
 * a new credential resumes it; the third missed heartbeat sets Disconnected without touching Authenticated, and
 * the first answer afterwards reconnects; ControllersHealthy follows the Flux and Velero Deployments; Retry-After
 * is honoured; a control-plane restart is survived; and a lenient server answering `{"jobs":null}` works.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Cluster } from "../../../src/api/cluster";
import { CLUSTER } from "../../../src/api/groups";
import { SECRET } from "../../../src/controllers/cluster/secrets";
import { getCluster, type TestCluster } from "../../support/cluster";
import { controllerDeployment as createControllerDeployment, DEPLOYMENT, setDeploymentAvailable } from "../../support/controller-deployments";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { CLUSTER_NAME, clusterEvents, clusterObject, condition, configMap, createTokenSecret, deleteClusters, finishAgentTest, getClusterObject, registeredAgent, resultOf, startAgent, waitForClusterCondition, waitForPhase, type AgentRun } from "./harness";

const ns = useNamespace({ slug: "agent-connection" });
let cluster: TestCluster;
let plane: RefControlPlane;
let running: AgentRun | undefined;

beforeAll(async () => {
  cluster = await getCluster();
  await deleteClusters(cluster.client);
  plane = await startRefControlPlane();
});

afterEach(async () => {
  const finished = running;
  running = undefined;
  await plane.admin.clearFaults();
  await finishAgentTest(cluster, finished);
});

afterAll(async () => {
  await plane.stop();
});

async function requestCount(run: AgentRun, endpoint: string, code?: string): Promise<number> {
  const text = await run.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_agent_requests_total");
  let total = 0;
  for (const match of text.matchAll(/endpoint="([^"]+)",code="([^"]+)"} (\d+)/g)) {
    if (match[1] === endpoint && (code === undefined || match[2] === code)) total += Number(match[3]);
  }
  return total;
}

const controllerDeployment = (name: string) => createControllerDeployment(cluster.client, ns.name, name);
const setAvailable = (name: string, available: boolean) => setDeploymentAvailable(cluster.client, ns.name, name, available);

function controllersHealthy(reason: string): Promise<Cluster> {
  return waitForClusterCondition(cluster.client, "ControllersHealthy", { reason });
}

/** The ControllersHealthy condition the last heartbeat the plane received carried. */
async function heartbeatHealth(clusterId: string, reason: string): Promise<{ status: string }> {
  return eventually(async () => {
    const { events } = await plane.admin.events({ clusterId, eventKind: "ClusterHeartbeat" });
    const carried = events.at(-1)?.conditions?.find((item) => item.type === "ControllersHealthy");
    return carried?.reason === reason ? carried : undefined;
  }, { what: `heartbeat carrying ControllersHealthy reason ${reason}` });
}

describe("credential rejection", () => {
  test("401 pauses every loop after one Secret re-read; a new credential resumes", async () => {
    const agent = await registeredAgent(cluster, plane, ns.name);
    running = agent.running;
    await plane.admin.revoke(agent.clusterId);
    const rejected = await waitForPhase(cluster.client, "Error");
    expect(condition(rejected, "Authenticated")?.reason).toBe("CredentialRejected");
    expect(condition(rejected, "Connected")?.reason).toBe("CredentialRejected");
    await eventually(async () => (await clusterEvents(cluster.client, rejected.metadata.uid!)).some((event) => event.reason === "CredentialRejected"), { what: "CredentialRejected event" });
    const paused = await running.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_agent_paused");
    expect(paused).toContain("vworkspace_operator_agent_paused 1");
    // Paused: nothing is sent while the Secret stays the same (a poll period and several heartbeat periods);
    // a request already in flight at the pause may still complete, so counting starts after one period.
    await Bun.sleep(2_000);
    const before = (await requestCount(running, "jobs")) + (await requestCount(running, "heartbeat")) + (await requestCount(running, "events"));
    await Bun.sleep(4_000);
    const after = (await requestCount(running, "jobs")) + (await requestCount(running, "heartbeat")) + (await requestCount(running, "events"));
    expect(after).toBe(before);

    // Re-registration with a new token (new Secret content) resumes the agent.
    const { token } = await plane.admin.createRegistrationToken(agent.clusterId);
    await cluster.client.patch(SECRET, "registration", { type: "merge", body: { data: { registrationToken: Buffer.from(token).toString("base64") } } }, { namespace: ns.name });
    const resumed = await waitForPhase(cluster.client, "Connected");
    expect(condition(resumed, "Authenticated")?.status).toBe("True");
    const { id } = await plane.admin.enqueueJob(agent.clusterId, { kind: "apply", payload: configMap(ns.name, "after-resume", { a: "1" }) });
    expect((await resultOf(plane, id)).outcome).toBe("succeeded");
  });
});

describe("heartbeat", () => {
  test("the third missed heartbeat disconnects, Authenticated stays; the next answer reconnects", async () => {
    const agent = await registeredAgent(cluster, plane, ns.name);
    running = agent.running;
    await plane.admin.injectFault({ endpoint: "events", clusterId: agent.clusterId, status: 500, count: 100_000 });
    const disconnected = await waitForPhase(cluster.client, "Disconnected");
    expect(condition(disconnected, "Disconnected")).toMatchObject({ status: "True", reason: "NoRecentRoundTrip" });
    expect(condition(disconnected, "Connected")).toMatchObject({ status: "False", reason: "ControlPlaneUnreachable" });
    expect(condition(disconnected, "Authenticated")?.status).toBe("True");
    expect(await requestCount(running, "heartbeat", "500")).toBeGreaterThanOrEqual(3);
    await plane.admin.clearFaults();
    const reconnected = await waitForPhase(cluster.client, "Connected");
    expect(condition(reconnected, "Disconnected")).toMatchObject({ status: "False", reason: "Connected" });
    const reasons = await eventually(async () => {
      const found = (await clusterEvents(cluster.client, reconnected.metadata.uid!)).map((event) => event.reason);
      return found.includes("Reconnected") ? found : undefined;
    }, { what: "Reconnected event" });
    expect(reasons).toContain("Disconnected");
  });
});

describe("ControllersHealthy", () => {
  test("True while the Flux and Velero Deployments are Available; ControllerDegraded, then ControllerMissing, when one is not", async () => {
    for (const name of ["helm-controller", "source-controller", "velero"]) await controllerDeployment(name);
    const agent = await registeredAgent(cluster, plane, ns.name, {}, { fluxNamespace: ns.name, veleroNamespace: ns.name });
    running = agent.running;
    const healthy = await controllersHealthy("AllControllersReady");
    expect(condition(healthy, "ControllersHealthy")?.status).toBe("True");
    expect((await heartbeatHealth(agent.clusterId, "AllControllersReady")).status).toBe("True");

    await setAvailable("helm-controller", false);
    const degraded = await controllersHealthy("ControllerDegraded");
    expect(condition(degraded, "ControllersHealthy")?.status).toBe("False");
    expect(condition(degraded, "ControllersHealthy")?.message).toBe(`Deployment ${ns.name}/helm-controller not available`);
    expect(degraded.status?.phase).toBe("Connected");
    expect((await heartbeatHealth(agent.clusterId, "ControllerDegraded")).status).toBe("False");

    // A missing controller outranks a degraded one; the message lists both.
    await cluster.client.delete(DEPLOYMENT, "source-controller", { namespace: ns.name });
    const missing = await controllersHealthy("ControllerMissing");
    expect(condition(missing, "ControllersHealthy")?.message).toBe(`Deployment ${ns.name}/source-controller missing; Deployment ${ns.name}/helm-controller not available`);

    await setAvailable("helm-controller", true);
    await controllerDeployment("source-controller");
    await controllersHealthy("AllControllersReady");
    expect((await heartbeatHealth(agent.clusterId, "AllControllersReady")).status).toBe("True");
  });
});

describe("throttling and restarts", () => {
  test("503 with Retry-After on the poll is waited out before the next poll; a control-plane restart is survived", async () => {
    const agent = await registeredAgent(cluster, plane, ns.name);
    running = agent.running;
    await plane.admin.injectFault({ endpoint: "jobs", clusterId: agent.clusterId, status: 503, count: 1, retryAfterSeconds: 3 });
    await eventually(async () => (await requestCount(running!, "jobs", "503")) === 1, { what: "503 answered" });
    const { id } = await plane.admin.enqueueJob(agent.clusterId, { kind: "apply", payload: configMap(ns.name, "after-503", { a: "1" }) });
    expect((await resultOf(plane, id)).outcome).toBe("succeeded");
    // By the plane's clock: no poll arrived within Retry-After of the 503.
    const polls = await plane.admin.requests(agent.clusterId, "jobs");
    const refused = polls.findIndex((poll) => poll.status === 503);
    expect(refused).toBeGreaterThanOrEqual(0);
    const next = polls[refused + 1];
    expect(next).toBeDefined();
    expect(Date.parse(next!.receivedAt) - Date.parse(polls[refused]!.receivedAt)).toBeGreaterThanOrEqual(3_000);

    await plane.restart();
    const second = await plane.admin.enqueueJob(agent.clusterId, { kind: "apply", payload: configMap(ns.name, "after-restart", { a: "1" }) });
    expect((await resultOf(plane, second.id)).outcome).toBe("succeeded");
    expect((await getClusterObject(cluster.client))?.status?.phase).toBe("Connected");
  });
});

describe("lenient server", () => {
  test('an answer of {"jobs":null} is an empty poll', async () => {
    const polls: string[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        const url = new URL(request.url);
        if (url.pathname === "/api/agent/register") return Response.json({ clusterId: "lenient-cluster", token: "lenient-bearer-token-0123456789" });
        if (url.pathname === "/api/agent/jobs") {
          polls.push(url.search);
          return Response.json({ jobs: null, unknownMember: { nested: true } });
        }
        return new Response(null, { status: 204 });
      },
    });
    try {
      await createTokenSecret(cluster.client, ns.name, "lenient-registration-token-0000");
      running = await startAgent(cluster, ns.name);
      await cluster.client.create(CLUSTER, { ...clusterObject(plane), spec: { controlPlaneEndpoint: `http://127.0.0.1:${server.port}/`, registrationTokenSecretRef: { name: "registration" } } });
      await waitForPhase(cluster.client, "Connected");
      await eventually(() => polls.length >= 2, { what: "two polls answered with null jobs" });
      expect(polls[0]).toBe("?cluster=lenient-cluster&wait=2");
      expect(await requestCount(running, "jobs", "200")).toBeGreaterThanOrEqual(2);
      expect((await getClusterObject(cluster.client, CLUSTER_NAME))?.status?.phase).toBe("Connected");
    } finally {
      await running?.stop();
      server.stop(true);
    }
  });
});
