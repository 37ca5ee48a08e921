/**
 * GitOps health against the real API server (docs/connectivity.md#gitops-mode): hand-written GitRepository
 * and Kustomization `vworkspace-desired-state` whose status the test sets (no Flux controllers), and
 * controller Deployments whose `Available` the test writes. ControllersHealthy follows Flux's objects with
 * Flux's messages, Disconnected stays False/GitOpsMode, the gauge carries mode="gitops". Uses the fixed
 * Cluster name of the agent suite: run alone.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLUSTER } from "../../../src/api/groups";
import { GIT_REPOSITORY, KUSTOMIZATION } from "../../../src/connectivity/gitops";
import { clusterController } from "../../../src/controllers/cluster/controller";
import type { ResourceType } from "../../../src/kube/types";
import { getCluster, type TestCluster } from "../../support/cluster";
import { controllerDeployment, DEPLOYMENT } from "../../support/controller-deployments";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { startOperatorInProcess } from "../../support/operator";
import { agentConfig, CLUSTER_NAME, condition, deleteClusters, finishAgentTest, getClusterObject, waitForClusterCondition, waitForPhase, type AgentRun } from "../agent/harness";

const SOURCE = "vworkspace-desired-state";
const CLUSTER_ID = "c-gitops";

const ns = useNamespace({ slug: "cluster-gitops" });
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

async function start(): Promise<AgentRun> {
  const logFile = join(tmpdir(), "vws-agent-suite-logs", `${ns.name}-gitops-${Date.now()}.log`);
  const agent = agentConfig({ fluxNamespace: ns.name, veleroNamespace: ns.name });
  const operator = await startOperatorInProcess({ kubeconfigPath: cluster.kubeconfigPath, logFile, config: { watchNamespaces: [ns.name], namespace: ns.name, agent }, controllers: [clusterController] });
  return { ...operator, logFile, namespace: ns.name };
}

const availableDeployment = (name: string) => controllerDeployment(cluster.client, ns.name, name);

type FluxCondition = { type: string; status: "True" | "False" | "Unknown"; reason: string; message: string };

async function setFluxStatus(type: ResourceType, conditions: FluxCondition[]): Promise<void> {
  const lastTransitionTime = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await cluster.client.patchStatus(type, SOURCE, { type: "merge", body: { status: { conditions: conditions.map((item) => ({ ...item, lastTransitionTime })) } } }, { namespace: ns.name });
}

const ready = (message: string): FluxCondition => ({ type: "Ready", status: "True", reason: "Succeeded", message });

async function desiredStateSource(path = `./clusters/${CLUSTER_ID}`): Promise<void> {
  await cluster.client.create(GIT_REPOSITORY, {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "GitRepository",
    metadata: { name: SOURCE, namespace: ns.name },
    spec: { url: "http://127.0.0.1:1/desired-state.git", ref: { branch: "main" }, interval: "1m", verify: { mode: "HEAD", secretRef: { name: "desired-state-keys" } } },
  });
  await cluster.client.create(KUSTOMIZATION, {
    apiVersion: "kustomize.toolkit.fluxcd.io/v1",
    kind: "Kustomization",
    metadata: { name: SOURCE, namespace: ns.name },
    spec: { sourceRef: { kind: "GitRepository", name: SOURCE }, path, prune: true, interval: "5m", serviceAccountName: "vworkspace-control-plane" },
  });
  await setFluxStatus(GIT_REPOSITORY, [ready("stored artifact for revision 'main@sha1:0123abc'")]);
  await setFluxStatus(KUSTOMIZATION, [ready("Applied revision: main@sha1:0123abc")]);
}

async function gauge(run: AgentRun): Promise<string> {
  return run.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_connectivity_state");
}

const healthIs = (status: string, reason: string) => waitForClusterCondition(cluster.client, "ControllersHealthy", { status: status as never, reason });

describe("GitOps mode", () => {
  test("ControllersHealthy follows kustomize-controller, the GitRepository and the Kustomization with Flux's messages; Disconnected stays False/GitOpsMode", async () => {
    for (const name of ["helm-controller", "source-controller", "kustomize-controller", "velero"]) await availableDeployment(name);
    await desiredStateSource();
    running = await start();
    await cluster.client.create(CLUSTER, { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: CLUSTER_NAME }, spec: { connectivityMode: "gitops", clusterId: CLUSTER_ID } });

    const healthy = await healthIs("True", "AllControllersReady");
    expect(condition(healthy, "ControllersHealthy")?.message).toBe("required controllers are available");
    expect(healthy.status?.phase).toBe("Active");
    expect(healthy.status?.connectivityMode).toBe("gitops");
    expect(condition(healthy, "Disconnected")).toMatchObject({ status: "False", reason: "GitOpsMode" });
    expect(condition(healthy, "Connected")).toMatchObject({ status: "Unknown", reason: "StatusChannelDisabled" });
    await eventually(async () => (await gauge(running!)).includes('vworkspace_operator_connectivity_state{mode="gitops"} 1'), { what: "gitops gauge 1" });
    expect(await gauge(running)).not.toContain('mode="pull"');

    await setFluxStatus(GIT_REPOSITORY, [
      { type: "Ready", status: "False", reason: "URLInvalid", message: "invalid URL: port out of range" },
      { type: "Stalled", status: "True", reason: "URLInvalid", message: "invalid URL: port out of range" },
    ]);
    const stalled = await healthIs("False", "GitRepositoryStalled");
    expect(condition(stalled, "ControllersHealthy")?.message).toBe(`GitRepository ${ns.name}/${SOURCE} stalled: invalid URL: port out of range`);
    expect(condition(stalled, "Disconnected")).toMatchObject({ status: "False", reason: "GitOpsMode" });
    expect(stalled.status?.phase).toBe("Active");
    await eventually(async () => (await gauge(running!)).includes('vworkspace_operator_connectivity_state{mode="gitops"} -1'), { what: "gitops gauge -1" });

    await setFluxStatus(GIT_REPOSITORY, [{ type: "Ready", status: "False", reason: "GitOperationFailed", message: "failed to checkout and determine revision: connection refused" }]);
    const notReady = await healthIs("False", "GitRepositoryNotReady");
    expect(condition(notReady, "ControllersHealthy")?.message).toBe(`GitRepository ${ns.name}/${SOURCE} not ready: failed to checkout and determine revision: connection refused`);
    await eventually(async () => (await gauge(running!)).includes('vworkspace_operator_connectivity_state{mode="gitops"} 0'), { what: "gitops gauge 0" });

    await setFluxStatus(GIT_REPOSITORY, [ready("stored artifact for revision 'main@sha1:4567def'")]);
    await setFluxStatus(KUSTOMIZATION, [{ type: "Ready", status: "False", reason: "ReconciliationFailed", message: "ApplicationInstance/t-other/web dry-run failed: forbidden" }]);
    const failed = await healthIs("False", "KustomizationNotReady");
    expect(condition(failed, "ControllersHealthy")?.message).toContain("dry-run failed: forbidden");

    await setFluxStatus(KUSTOMIZATION, [ready("Applied revision: main@sha1:4567def")]);
    await healthIs("True", "AllControllersReady");
    // Without spec.verify any commit on the branch is applied: said in the message, still healthy.
    await cluster.client.patch(GIT_REPOSITORY, SOURCE, { type: "json", ops: [{ op: "remove", path: "/spec/verify" }] }, { namespace: ns.name });
    const unverified = `required controllers are available; commit verification off: GitRepository ${ns.name}/${SOURCE} has no spec.verify`;
    const noted = await eventually(async () => {
      const found = await getClusterObject(cluster.client);
      return condition(found, "ControllersHealthy")?.message === unverified ? found : undefined;
    }, { what: "ControllersHealthy notes that commit verification is off" });
    expect(condition(noted, "ControllersHealthy")).toMatchObject({ status: "True", reason: "AllControllersReady" });
    await cluster.client.delete(DEPLOYMENT, "kustomize-controller", { namespace: ns.name });
    const missing = await healthIs("False", "ControllerMissing");
    expect(condition(missing, "ControllersHealthy")?.message).toBe(`Deployment ${ns.name}/kustomize-controller missing; commit verification off: GitRepository ${ns.name}/${SOURCE} has no spec.verify`);
    expect(condition(missing, "Disconnected")).toMatchObject({ status: "False", reason: "GitOpsMode" });
  });

  test("a Kustomization applying another cluster's path, or no source at all, is reported", async () => {
    for (const name of ["helm-controller", "source-controller", "kustomize-controller", "velero"]) await availableDeployment(name);
    running = await start();
    await cluster.client.create(CLUSTER, { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: CLUSTER_NAME }, spec: { connectivityMode: "gitops", clusterId: CLUSTER_ID } });
    const missing = await healthIs("False", "ControllerMissing");
    expect(condition(missing, "ControllersHealthy")?.message).toBe(`GitRepository ${ns.name}/${SOURCE} missing; Kustomization ${ns.name}/${SOURCE} missing`);
    await waitForPhase(cluster.client, "Active");

    await desiredStateSource("./clusters/someone-else");
    const elsewhere = await healthIs("False", "KustomizationNotReady");
    expect(condition(elsewhere, "ControllersHealthy")?.message).toContain(`not ./clusters/${CLUSTER_ID}`);
    expect((await getClusterObject(cluster.client))?.status?.connectivityMode).toBe("gitops");
  });
});
