/**
 * Push mode and mode switches against the real API server and the reference control plane
 * (docs/connectivity.md#push-mode, docs/connectivity.md#mixed-fleets-and-changing-mode): the Push RoleBinding follows the
 * namespace gate and the mode, an unlabelled binding of that name is left alone, Push without credentials
 * has no status channel, and pull → push → pull swaps the poller for the status channel and back without
 * touching any ApplicationInstance. Uses the fixed Cluster name of the agent suite: run alone.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cluster } from "../../../src/api/cluster";
import { APPLICATION_INSTANCE, CLUSTER } from "../../../src/api/groups";
import { clusterController } from "../../../src/controllers/cluster/controller";
import { pushAccessController } from "../../../src/controllers/pushaccess/controller";
import { REASON_NOT_MANAGED } from "../../../src/controllers/pushaccess/reconciler";
import { ROLE_BINDING, type RoleBinding } from "../../../src/controllers/tenant/desired";
import { EVENT_TYPE } from "../../../src/kube/events";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { getCluster, type TestCluster } from "../../support/cluster";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { deleteNamespace, GATE_LABEL, randomSuffix, TEST_LABEL, TEST_RUN_LABEL, useNamespace } from "../../support/namespace";
import { getIfPresent } from "../../support/objects";
import { startOperatorInProcess } from "../../support/operator";
import { agentConfig, applicationInstance, CLUSTER_NAME, clusterEvents, clusterObject, condition, configMap, createTokenSecret, deleteClusters, finishAgentTest, getClusterObject, resultOf, waitForClusterCondition, waitForPhase, type AgentRun } from "../agent/harness";

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const BINDING = "vworkspace-control-plane";
const MANAGED = { "app.vworkspace.io/managed-by": "vworkspace-operator" };

const ns = useNamespace({ slug: "cluster-modes" });
let cluster: TestCluster;
let plane: RefControlPlane;
let running: AgentRun | undefined;
const extraNamespaces: string[] = [];

beforeAll(async () => {
  cluster = await getCluster();
  await deleteClusters(cluster.client);
  plane = await startRefControlPlane();
});

afterEach(async () => {
  const finished = running;
  running = undefined;
  await finishAgentTest(cluster, finished);
  await Promise.all(extraNamespaces.splice(0).map((name) => deleteNamespace(cluster.client, name)));
});

afterAll(async () => {
  await plane.stop();
});

/** The Cluster and push-access controllers in-process, the test namespace as operator namespace. */
async function start(namespaces: string[]): Promise<AgentRun> {
  const logFile = join(tmpdir(), "vws-agent-suite-logs", `${ns.name}-modes-${Date.now()}.log`);
  const operator = await startOperatorInProcess({
    kubeconfigPath: cluster.kubeconfigPath,
    logFile,
    config: { watchNamespaces: namespaces, namespace: ns.name, agent: agentConfig() },
    controllers: [clusterController, pushAccessController],
  });
  return { ...operator, logFile, namespace: ns.name };
}

async function extraNamespace(slug: string): Promise<string> {
  const name = `t-${slug}-${randomSuffix()}`;
  const labels = { [TEST_RUN_LABEL]: cluster.runId, [TEST_LABEL]: slug, [GATE_LABEL.key]: GATE_LABEL.value };
  await cluster.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
  extraNamespaces.push(name);
  return name;
}

const binding = (namespace: string) => getIfPresent<RoleBinding>(cluster.client, ROLE_BINDING, BINDING, namespace);
const present = (namespace: string) => eventually(() => binding(namespace), { what: `Push RoleBinding in ${namespace}` });
const gone = (namespace: string) => eventually(async () => (await binding(namespace)) === undefined, { what: `Push RoleBinding gone from ${namespace}` });
const switchMode = (mode: string) => cluster.client.patch(CLUSTER, CLUSTER_NAME, { type: "merge", body: { spec: { connectivityMode: mode } } });
const gate = (namespace: string, gated: boolean) => cluster.client.patch(NAMESPACES, namespace, { type: "merge", body: { metadata: { labels: { [GATE_LABEL.key]: gated ? GATE_LABEL.value : null } } } });

async function statusWith(check: (found: Cluster) => boolean, what: string): Promise<Cluster> {
  return eventually(async () => {
    const found = await getClusterObject(cluster.client);
    return found && check(found) ? found : undefined;
  }, { what });
}

const access = (found: Cluster, namespace: string) => found.status?.managedNamespaces?.find((entry) => entry.name === namespace)?.pushAccess;

async function modeEvents(uid: string): Promise<string[]> {
  return (await clusterEvents(cluster.client, uid)).filter((event) => event.reason === "ConnectivityModeChanged").map((event) => `${event.type}: ${event.note}`);
}

/** Heartbeats answered 204, from the operator's own request counter. */
async function heartbeatsSent(run: AgentRun): Promise<number> {
  const text = await run.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_agent_requests_total");
  return [...text.matchAll(/endpoint="heartbeat",code="204"} (\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

describe("mode switches", () => {
  test("pull → push → pull: poller stopped and restarted, RoleBinding added and removed, one Event each, no ApplicationInstance touched", async () => {
    const { token } = await plane.admin.createRegistrationToken();
    await createTokenSecret(cluster.client, ns.name, token);
    running = await start([ns.name]);
    await cluster.client.create(CLUSTER, clusterObject(plane));
    const connected = await waitForPhase(cluster.client, "Connected");
    const clusterId = connected.spec.clusterId!;
    const instance = await cluster.client.create(APPLICATION_INSTANCE, applicationInstance(ns.name, "web") as KubeObject, { namespace: ns.name });
    const pulling = await statusWith((found) => access(found, ns.name) === false, "managedNamespaces without Push access");
    expect(pulling.status?.connectivityMode).toBe("pull");
    expect(await binding(ns.name)).toBeUndefined();

    await switchMode("push");
    const created = await present(ns.name);
    expect(created.metadata.labels).toMatchObject(MANAGED);
    expect(created.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "vworkspace-control-plane-namespaced" });
    expect(created.subjects).toEqual([{ kind: "ServiceAccount", name: "vworkspace-control-plane", namespace: ns.name }]);
    const pushing = await statusWith((found) => found.status?.connectivityMode === "push" && access(found, ns.name) === true, "status in push mode with Push access");
    // The in-process operator runs without its admission webhooks: Push needs them.
    const unhealthy = await waitForClusterCondition(cluster.client, "ControllersHealthy", { status: "False", reason: "ControllerMissing" });
    expect(condition(unhealthy, "ControllersHealthy")?.message).toContain("--webhooks-enabled");
    expect(pushing.status?.phase).toBe("Connected");
    await eventually(async () => (await modeEvents(connected.metadata.uid!)).length === 1, { what: "ConnectivityModeChanged to push" });
    expect(await modeEvents(connected.metadata.uid!)).toEqual(["Normal: connectivity mode changed from pull to push"]);

    // The status channel stays (credentials exist): the Cluster's condition transitions reach the plane as
    // events, heartbeats keep flowing, job polls do not.
    await eventually(async () => {
      const { events } = await plane.admin.events({ clusterId, kind: "Cluster", eventKind: "ConditionTransition" });
      return events.some((event) => event.conditions?.some((item) => item.type === "ControllersHealthy" && item.reason === "ControllerMissing"));
    }, { what: "the ControllersHealthy transition of push mode at the control plane" });
    const pollsAtSwitch = (await plane.admin.requests(clusterId, "jobs")).length;
    const heartbeatsAtSwitch = await heartbeatsSent(running);
    await Bun.sleep(5_000);
    expect((await plane.admin.requests(clusterId, "jobs")).length).toBe(pollsAtSwitch);
    expect(await heartbeatsSent(running)).toBeGreaterThan(heartbeatsAtSwitch);

    await switchMode("pull");
    await gone(ns.name);
    await statusWith((found) => found.status?.connectivityMode === "pull" && access(found, ns.name) === false, "status back in pull mode");
    await eventually(async () => (await modeEvents(connected.metadata.uid!)).length === 2, { what: "ConnectivityModeChanged to pull" });
    expect((await modeEvents(connected.metadata.uid!)).sort()).toEqual(["Normal: connectivity mode changed from pull to push", "Normal: connectivity mode changed from push to pull"]);
    const { id } = await plane.admin.enqueueJob(clusterId, { kind: "apply", payload: configMap(ns.name, "after-switch", { a: "1" }) });
    expect((await resultOf(plane, id)).outcome).toBe("succeeded");

    const after = await cluster.client.get(APPLICATION_INSTANCE, "web", { namespace: ns.name });
    expect(after.metadata.generation).toBe(instance.metadata.generation);
    expect(after.metadata.resourceVersion).toBe(instance.metadata.resourceVersion);
  });
});

describe("Push RoleBindings", () => {
  test("follow the gate; an unlabelled binding of that name is left alone with a Warning; deleting the Cluster removes ours first", async () => {
    const foreignNamespace = await extraNamespace("modes-foreign");
    const foreign = await cluster.client.create(
      ROLE_BINDING,
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: BINDING, namespace: foreignNamespace }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" }, subjects: [{ kind: "User", name: "alice" }] } as KubeObject,
      { namespace: foreignNamespace },
    );
    running = await start([ns.name, foreignNamespace]);
    await cluster.client.create(CLUSTER, { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: CLUSTER_NAME }, spec: { connectivityMode: "push" } });

    // No credentials and nothing to register with: Push without a status channel.
    const active = await waitForPhase(cluster.client, "Active");
    await waitForClusterCondition(cluster.client, "Connected", { status: "Unknown", reason: "StatusChannelDisabled" });
    expect(condition(await getClusterObject(cluster.client), "Disconnected")).toMatchObject({ status: "False", reason: "StatusChannelDisabled" });

    await present(ns.name);
    await eventually(async () => {
      const { items } = await cluster.client.list(EVENT_TYPE, { namespace: foreignNamespace });
      return items.some((event) => event.reason === REASON_NOT_MANAGED && event.type === "Warning");
    }, { what: `${REASON_NOT_MANAGED} Warning in ${foreignNamespace}` });
    const untouched = await binding(foreignNamespace);
    expect(untouched?.metadata.resourceVersion).toBe(foreign.metadata.resourceVersion);
    const reported = await statusWith((found) => access(found, ns.name) === true, "Push access reported");
    expect(access(reported, foreignNamespace)).toBe(false);

    await gate(ns.name, false);
    await gone(ns.name);
    await gate(ns.name, true);
    await present(ns.name);

    await cluster.client.delete(CLUSTER, CLUSTER_NAME);
    await eventually(async () => (await getClusterObject(cluster.client)) === undefined, { what: "Cluster deleted" });
    expect(await binding(ns.name)).toBeUndefined();
    expect((await binding(foreignNamespace))?.metadata.resourceVersion).toBe(foreign.metadata.resourceVersion);
    expect(active.status?.connectivityMode).toBe("push");
  });
});

describe("GitOps status channel", () => {
  test("gitops with a status channel: an unreachable control plane sets Connected=False, Disconnected stays False/GitOpsMode, no job is polled", async () => {
    const { token } = await plane.admin.createRegistrationToken();
    await createTokenSecret(cluster.client, ns.name, token);
    running = await start([ns.name]);
    await cluster.client.create(CLUSTER, clusterObject(plane, { connectivityMode: "gitops" }));
    const connected = await waitForClusterCondition(cluster.client, "Connected", { status: "True" });
    expect(condition(connected, "Disconnected")).toMatchObject({ status: "False", reason: "GitOpsMode" });
    const clusterId = connected.spec.clusterId!;
    await plane.admin.injectFault({ endpoint: "events", clusterId, status: 500, count: 100_000 });
    try {
      const unreachable = await waitForClusterCondition(cluster.client, "Connected", { status: "False", reason: "ControlPlaneUnreachable" });
      expect(condition(unreachable, "Disconnected")).toMatchObject({ status: "False", reason: "GitOpsMode" });
      expect(await heartbeatsSent(running)).toBeGreaterThan(0);
      const text = await running.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_agent_requests_total");
      expect(text).not.toContain('endpoint="jobs"');
    } finally {
      await plane.admin.clearFaults();
    }
  });
});
