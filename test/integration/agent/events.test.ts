/**
 * Status events (docs/connectivity.md#events, docs/connectivity.md#event-buffer-and-resync): condition transitions of managed objects reach the control plane
 * with the Go-compatible keys; during an outage the bounded buffer drops the oldest and raises BufferOverflow;
 * after recovery a BufferOverflow event and a full condition snapshot make the control plane converge, also
 * after a real outage (the plane stopped and started again on its database); a burst leaves in batches of at
 * most 100, a partial batch after the flush delay.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import type { Condition, KubeObject } from "../../../src/kube/types";
import { getCluster, type TestCluster } from "../../support/cluster";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { applicationInstance, clusterEvents, condition, deleteClusters, finishAgentTest, getClusterObject, registeredAgent, waitForClusterCondition, waitForPhase, type AgentRun } from "./harness";

const ns = useNamespace({ slug: "agent-events" });
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

const INSTANCES = 10;

async function setConditions(name: string, conditions: Array<Pick<Condition, "type" | "status" | "reason">>): Promise<void> {
  const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await cluster.client.patchStatus(APPLICATION_INSTANCE, name, {
    type: "merge",
    body: { status: { conditions: conditions.map((item) => ({ ...item, message: `${item.type} is ${item.status}`, lastTransitionTime: at })) } },
  }, { namespace: ns.name });
}

async function metric(run: AgentRun, name: string): Promise<string> {
  return run.operator.metrics.registry.getSingleMetricAsString(name);
}

/** The keys of every current condition of the instances, as the plane must hold them once converged. */
async function currentKeys(names: string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const name of names) {
    const live = await cluster.client.get(APPLICATION_INSTANCE, name, { namespace: ns.name });
    for (const item of (live.status as { conditions: Condition[] }).conditions) {
      keys.push(`condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/${ns.name}/${name}/${live.metadata.uid}/${item.type}/${item.status}@${live.metadata.generation}`);
    }
  }
  return keys;
}

/** An agent with a 20-event buffer and INSTANCES instances, each with one Ready=False transition. */
async function agentWithProgressingInstances(): Promise<{ agent: Awaited<ReturnType<typeof registeredAgent>>; names: string[] }> {
  const agent = await registeredAgent(cluster, plane, ns.name, {}, { eventBufferSize: 20 });
  running = agent.running;
  const names = Array.from({ length: INSTANCES }, (_, index) => `app-${index}`);
  for (const name of names) await cluster.client.create(APPLICATION_INSTANCE, applicationInstance(ns.name, name) as KubeObject);
  for (const name of names) await setConditions(name, [{ type: "Ready", status: "False", reason: "Progressing" }]);
  return { agent, names };
}

/** Four transitions per instance: Ready Unknown then True, Reconciling True then False. */
async function outageTransitions(names: string[]): Promise<void> {
  for (const name of names) await setConditions(name, [{ type: "Ready", status: "Unknown", reason: "Waiting" }, { type: "Reconciling", status: "True", reason: "Progressing" }]);
  for (const name of names) await setConditions(name, [{ type: "Ready", status: "True", reason: "Ready" }, { type: "Reconciling", status: "False", reason: "Done" }]);
}

async function storedConditionKeys(clusterId: string): Promise<Set<string | undefined>> {
  const { events } = await plane.admin.events({ clusterId, eventKind: "ConditionTransition" });
  return new Set(events.map((event) => event.eventKey));
}

/**
 * The BufferOverflow event keys the plane holds once no episode is open. A buffer this small can also
 * overflow during start-up on a slow machine; only an outage's own episode is counted against these.
 */
async function overflowKeysBefore(clusterId: string): Promise<Array<string | undefined>> {
  await eventually(async () => condition(await getClusterObject(cluster.client), "BufferOverflow")?.status !== "True", { what: "no overflow episode open before the outage" });
  return (await plane.admin.events({ clusterId, eventKind: "BufferOverflow" })).events.map((event) => event.eventKey);
}

async function newOverflowEvents(clusterId: string, before: Array<string | undefined>) {
  return (await plane.admin.events({ clusterId, eventKind: "BufferOverflow" })).events.filter((event) => !before.includes(event.eventKey));
}

describe("event sender", () => {
  test("transitions are delivered; an outage overflows the buffer; recovery re-sends a snapshot and converges", async () => {
    const { agent, names } = await agentWithProgressingInstances();

    const first = await cluster.client.get(APPLICATION_INSTANCE, "app-0", { namespace: ns.name });
    const key = `condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/${ns.name}/app-0/${first.metadata.uid}/Ready/False@${first.metadata.generation}`;
    const delivered = await eventually(async () => {
      const { events } = await plane.admin.events({ clusterId: agent.clusterId, eventKind: "ConditionTransition", name: "app-0" });
      return events.find((event) => event.eventKey === key);
    }, { what: "ConditionTransition of app-0 delivered" });
    expect(delivered.resourceRef).toMatchObject({ kind: "ApplicationInstance", namespace: ns.name, name: "app-0", uid: first.metadata.uid! });
    expect(delivered.conditions).toEqual([expect.objectContaining({ type: "Ready", status: "False", reason: "Progressing" })]);

    // Outage: 10 instances × 4 transitions = 40 events into a buffer of 20.
    const overflowsBefore = await overflowKeysBefore(agent.clusterId);
    await plane.admin.injectFault({ endpoint: "events", clusterId: agent.clusterId, status: 503, count: 1_000_000, retryAfterSeconds: 1 });
    await outageTransitions(names);
    const overflowing = await waitForClusterCondition(cluster.client, "BufferOverflow", { status: "True" });
    expect(condition(overflowing, "BufferOverflow")?.reason).toBe("EventBufferFull");
    await eventually(async () => (await clusterEvents(cluster.client, overflowing.metadata.uid!)).some((event) => event.reason === "BufferOverflow"), { what: "BufferOverflow Warning Event" });
    const dropped = await agent.running.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_events_dropped_total");
    expect(dropped).toMatch(/reason="overflow"} [1-9]/);

    await plane.admin.clearFaults();
    const drained = await waitForClusterCondition(cluster.client, "BufferOverflow", { reason: "BufferDrained" });
    expect(condition(drained, "BufferOverflow")?.status).toBe("False");
    const overflowEvents = await newOverflowEvents(agent.clusterId, overflowsBefore);
    expect(overflowEvents.length).toBe(1);
    expect(overflowEvents[0]?.eventKey).toStartWith(`BufferOverflow/${drained.metadata.uid}/`);

    // Converged: the plane holds an event for every current condition of every instance.
    const stored = await storedConditionKeys(agent.clusterId);
    for (const key of await currentKeys(names)) expect(stored.has(key)).toBe(true);
    for (const name of names) await cluster.client.delete(APPLICATION_INSTANCE, name, { namespace: ns.name });
  });
});

describe("control-plane outage", () => {
  test("a stopped plane overflows the buffer and disconnects; restarted on its database it gets a snapshot and converges", async () => {
    const { agent, names } = await agentWithProgressingInstances();
    const beforeOutage = await currentKeys(names);
    await eventually(async () => {
      const stored = await storedConditionKeys(agent.clusterId);
      return beforeOutage.every((key) => stored.has(key));
    }, { what: "the first transitions of every instance delivered" });
    const overflowsBefore = await overflowKeysBefore(agent.clusterId);

    // Outage: the plane's server is stopped; 10 instances × 4 transitions = 40 events into a buffer of 20.
    await plane.restart(async () => {
      await outageTransitions(names);
      const overflowing = await waitForClusterCondition(cluster.client, "BufferOverflow", { status: "True" });
      expect(condition(overflowing, "BufferOverflow")?.reason).toBe("EventBufferFull");
      const disconnected = await waitForPhase(cluster.client, "Disconnected");
      expect(condition(disconnected, "Connected")).toMatchObject({ status: "False", reason: "ControlPlaneUnreachable" });
      expect(condition(disconnected, "Authenticated")?.status).toBe("True");
    });

    const drained = await waitForClusterCondition(cluster.client, "BufferOverflow", { reason: "BufferDrained" });
    expect(condition(drained, "BufferOverflow")?.status).toBe("False");
    await waitForPhase(cluster.client, "Connected");
    expect(await metric(agent.running, "vworkspace_operator_event_resyncs_total")).toMatch(/trigger="overflow"} [1-9]/);
    const overflowEvents = await newOverflowEvents(agent.clusterId, overflowsBefore);
    expect(overflowEvents.length).toBe(1);
    expect(overflowEvents[0]?.eventKey).toStartWith(`BufferOverflow/${drained.metadata.uid}/`);

    // Converged: what the plane stored before the outage is still there, and every current condition arrived.
    const stored = await storedConditionKeys(agent.clusterId);
    for (const key of [...beforeOutage, ...(await currentKeys(names))]) expect(stored.has(key)).toBe(true);
    for (const name of names) await cluster.client.delete(APPLICATION_INSTANCE, name, { namespace: ns.name });
  });
});

describe("batching", () => {
  test("250 transitions queued at once leave in requests of 100, 100 and, after the flush delay, 50", async () => {
    const agent = await registeredAgent(cluster, plane, ns.name);
    running = agent.running;
    await eventually(async () => /trigger="startup"} [1-9]/.test(await metric(running!, "vworkspace_operator_event_resyncs_total")), { what: "start-up snapshot sent" });
    const names = Array.from({ length: 50 }, (_, index) => `burst-${index}`);
    for (const name of names) await cluster.client.create(APPLICATION_INSTANCE, applicationInstance(ns.name, name) as KubeObject);

    // The plane answers events with 503 until all 250 are buffered, so they are queued at once.
    await plane.admin.injectFault({ endpoint: "events", clusterId: agent.clusterId, status: 503, count: 1_000_000, retryAfterSeconds: 1 });
    const types = ["Ready", "Reconciling", "Degraded", "Suspended", "Blocked"];
    for (const name of names) await setConditions(name, types.map((type) => ({ type, status: "False", reason: "Burst" })));
    await eventually(async () => /^vworkspace_operator_event_buffer_occupancy (\d+)$/m.exec(await metric(running!, "vworkspace_operator_event_buffer_occupancy"))?.[1] === "250", { what: "250 events buffered" });
    const heldRequests = (await plane.admin.requests(agent.clusterId, "events")).length;
    await plane.admin.clearFaults();

    const expected = await currentKeys(names);
    await eventually(async () => {
      const { events } = await plane.admin.events({ clusterId: agent.clusterId, eventKind: "ConditionTransition", namespace: ns.name });
      const stored = new Set(events.map((event) => event.eventKey));
      return expected.every((key) => stored.has(key));
    }, { what: "all 250 transitions stored" });
    // Heartbeats go to the same endpoint, one per request; every other accepted request is a batch.
    const batches = (await plane.admin.requests(agent.clusterId, "events"))
      .slice(heldRequests)
      .filter((request) => request.status === 204 && (request.eventKinds?.ConditionTransition ?? 0) > 0)
      .map((request) => Object.values(request.eventKinds!).reduce((sum, count) => sum + count, 0));
    expect(batches).toEqual([100, 100, 50]);
    for (const name of names) await cluster.client.delete(APPLICATION_INSTANCE, name, { namespace: ns.name });
  });
});
