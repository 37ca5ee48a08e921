/**
 * Status events (connectivity.md §2.6, §3.7): condition transitions of managed objects reach the control plane
 * with the Go-compatible keys; during an outage the bounded buffer drops the oldest and raises BufferOverflow;
 * after recovery a BufferOverflow event and a full condition snapshot make the control plane converge.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import type { Condition, KubeObject } from "../../../src/kube/types";
import { getCluster, type TestCluster } from "../../support/cluster";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { applicationInstance, clusterEvents, condition, deleteClusters, finishAgentTest, getClusterObject, registeredAgent, type AgentRun } from "./harness";

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

describe("event sender", () => {
  test("transitions are delivered; an outage overflows the buffer; recovery re-sends a snapshot and converges", async () => {
    const agent = await registeredAgent(cluster, plane, ns.name, {}, { eventBufferSize: 20 });
    running = agent.running;
    const names = Array.from({ length: INSTANCES }, (_, index) => `app-${index}`);
    for (const name of names) await cluster.client.create(APPLICATION_INSTANCE, applicationInstance(ns.name, name) as KubeObject);
    for (const name of names) await setConditions(name, [{ type: "Ready", status: "False", reason: "Progressing" }]);

    const first = await cluster.client.get(APPLICATION_INSTANCE, "app-0", { namespace: ns.name });
    const key = `condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/${ns.name}/app-0/${first.metadata.uid}/Ready/False@${first.metadata.generation}`;
    const delivered = await eventually(async () => {
      const { events } = await plane.admin.events({ clusterId: agent.clusterId, eventKind: "ConditionTransition", name: "app-0" });
      return events.find((event) => event.eventKey === key);
    }, { what: "ConditionTransition of app-0 delivered" });
    expect(delivered.resourceRef).toMatchObject({ kind: "ApplicationInstance", namespace: ns.name, name: "app-0", uid: first.metadata.uid! });
    expect(delivered.conditions).toEqual([expect.objectContaining({ type: "Ready", status: "False", reason: "Progressing" })]);

    // Outage: 10 instances × 3 transitions = 30 events into a buffer of 20.
    await plane.admin.injectFault({ endpoint: "events", clusterId: agent.clusterId, status: 503, count: 1_000_000, retryAfterSeconds: 1 });
    for (const name of names) await setConditions(name, [{ type: "Ready", status: "Unknown", reason: "Waiting" }, { type: "Reconciling", status: "True", reason: "Progressing" }]);
    for (const name of names) await setConditions(name, [{ type: "Ready", status: "True", reason: "Ready" }, { type: "Reconciling", status: "False", reason: "Done" }]);
    const overflowing = await eventually(async () => {
      const found = await getClusterObject(cluster.client);
      return condition(found, "BufferOverflow")?.status === "True" ? found : undefined;
    }, { what: "BufferOverflow=True" });
    expect(condition(overflowing, "BufferOverflow")?.reason).toBe("EventBufferFull");
    await eventually(async () => (await clusterEvents(cluster.client, overflowing.metadata.uid!)).some((event) => event.reason === "BufferOverflow"), { what: "BufferOverflow Warning Event" });
    const dropped = await running.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_events_dropped_total");
    expect(dropped).toMatch(/reason="overflow"} [1-9]/);

    await plane.admin.clearFaults();
    const drained = await eventually(async () => {
      const found = await getClusterObject(cluster.client);
      return condition(found, "BufferOverflow")?.reason === "BufferDrained" ? found : undefined;
    }, { what: "BufferOverflow=False/BufferDrained after the snapshot" });
    expect(condition(drained, "BufferOverflow")?.status).toBe("False");
    const overflowEvents = await plane.admin.events({ clusterId: agent.clusterId, eventKind: "BufferOverflow" });
    expect(overflowEvents.events.length).toBe(1);
    expect(overflowEvents.events[0]?.eventKey).toStartWith(`BufferOverflow/${drained.metadata.uid}/`);

    // Converged: the plane holds an event for every current condition of every instance.
    const { events } = await plane.admin.events({ clusterId: agent.clusterId, eventKind: "ConditionTransition" });
    const stored = new Set(events.map((event) => event.eventKey));
    for (const name of names) {
      const live = await cluster.client.get(APPLICATION_INSTANCE, name, { namespace: ns.name });
      for (const item of (live.status as { conditions: Condition[] }).conditions) {
        expect(stored.has(`condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/${ns.name}/${name}/${live.metadata.uid}/${item.type}/${item.status}@${live.metadata.generation}`)).toBe(true);
      }
    }
    for (const name of names) await cluster.client.delete(APPLICATION_INSTANCE, name, { namespace: ns.name });
  });
});
