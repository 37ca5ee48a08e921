/**
 * HelmRelease-authoritative GitOps against the real API server and the reference control plane
 * (docs/connectivity.md#helmrelease-authoritative-gitops): a committed HelmRelease is never written by the
 * operator, the ApplicationInstance of its release name mirrors it, and its Ready and Released conditions
 * reach the control plane through the status channel with the instance key format. The test acts as
 * helm-controller by writing the HelmRelease's status. Uses the fixed Cluster name of the agent suite: run alone.
 */
import { describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APPLICATION_INSTANCE, CLUSTER } from "../../../src/api/groups";
import { applicationInstanceController } from "../../../src/controllers/applicationinstance/controller";
import { clusterController } from "../../../src/controllers/cluster/controller";
import { HELM_RELEASE, HELM_REPOSITORY } from "../../../src/flux/types";
import type { Condition, KubeObject } from "../../../src/kube/types";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { startOperatorInProcess } from "../../support/operator";
import { agentConfig, applicationInstance, CLUSTER_NAME, clusterObject, createTokenSecret, useAgentSuite, waitForClusterCondition, type AgentRun } from "../agent/harness";

const ns = useNamespace({ slug: "cluster-hr-authority" });
const suite = useAgentSuite();

/** The operator with the Cluster and ApplicationInstance controllers, registered in gitops mode (committed HelmReleases authoritative unless told). */
async function authoritativeOperator(helmReleasesAuthoritative = true): Promise<{ run: AgentRun; clusterId: string }> {
  const { token } = await suite.plane.admin.createRegistrationToken();
  await createTokenSecret(suite.cluster.client, ns.name, token);
  const logFile = join(tmpdir(), "vws-agent-suite-logs", `${ns.name}-${Date.now()}.log`);
  const operator = await startOperatorInProcess({
    kubeconfigPath: suite.cluster.kubeconfigPath,
    logFile,
    config: { watchNamespaces: [ns.name], namespace: ns.name, agent: agentConfig() },
    controllers: [clusterController, applicationInstanceController],
  });
  const run = { ...operator, logFile, namespace: ns.name };
  suite.running = run;
  await suite.cluster.client.create(CLUSTER, clusterObject(suite.plane, { connectivityMode: "gitops", gitops: { helmReleasesAuthoritative } }));
  const connected = await waitForClusterCondition(suite.cluster.client, "Connected", { status: "True" });
  return { run, clusterId: connected.spec.clusterId! };
}

function committedHelmRelease(name: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace: ns.name, labels },
    spec: { interval: "5m", serviceAccountName: "vworkspace-tenant", chart: { spec: { chart: "demo", version: "1.0.0", sourceRef: { kind: "HelmRepository", name: "demo" } } } },
  };
}

/** What helm-controller would write after a successful install. */
async function installed(name: string, generation: number): Promise<KubeObject> {
  const lastTransitionTime = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const conditions = [
    { type: "Ready", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded for release demo", observedGeneration: generation, lastTransitionTime },
    { type: "Released", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded for release demo", observedGeneration: generation, lastTransitionTime },
    { type: "Reconciling", status: "False", reason: "InstallSucceeded", message: "done", observedGeneration: generation, lastTransitionTime },
  ];
  return suite.cluster.client.patchStatus(HELM_RELEASE, name, { type: "merge", body: { status: { observedGeneration: generation, conditions } } }, { namespace: ns.name });
}

describe("HelmRelease-authoritative GitOps", () => {
  test("the committed HelmRelease is only read: the instance mirrors it and its Ready and Released reach the control plane", async () => {
    const { clusterId } = await authoritativeOperator();
    await suite.cluster.client.create(APPLICATION_INSTANCE, applicationInstance(ns.name, "shop", { metadata: { name: "shop", namespace: ns.name, labels: { "app.vworkspace.io/managed-by": "control-plane" } } }) as KubeObject);
    const waiting = await eventually(async () => {
      const live = await suite.cluster.client.get(APPLICATION_INSTANCE, "shop", { namespace: ns.name });
      return (live.status as { conditions?: Condition[] } | undefined)?.conditions?.find((item) => item.type === "Ready");
    }, { what: "instance reports on the missing committed HelmRelease" });
    expect(waiting).toMatchObject({ status: "Unknown", reason: "Reconciling", message: "waiting for the HelmRelease" });

    const committed = await suite.cluster.client.create(HELM_RELEASE, committedHelmRelease("shop", { "app.vworkspace.io/managed-by": "control-plane" }));
    await suite.cluster.client.create(HELM_RELEASE, committedHelmRelease("unlabelled", {}));
    await installed("unlabelled", 1);
    const afterInstall = await installed("shop", committed.metadata.generation!);

    const ready = await eventually(async () => {
      const live = await suite.cluster.client.get(APPLICATION_INSTANCE, "shop", { namespace: ns.name });
      const found = (live.status as { conditions?: Condition[] } | undefined)?.conditions?.find((item) => item.type === "Ready");
      return found?.status === "True" ? found : undefined;
    }, { what: "instance Ready from the committed HelmRelease" });
    expect(ready).toMatchObject({ reason: "HelmReleaseReady", message: "Helm install succeeded for release demo" });

    const prefix = `condition/helm.toolkit.fluxcd.io/v2/HelmRelease/${ns.name}/shop/${committed.metadata.uid}`;
    const keys = await eventually(async () => {
      const { events } = await suite.plane.admin.events({ clusterId, eventKind: "ConditionTransition", name: "shop" });
      const found = events.map((event) => event.eventKey ?? "").filter((key) => key.startsWith(prefix));
      return found.length >= 2 ? found : undefined;
    }, { what: "the committed HelmRelease's conditions at the control plane" });
    expect(keys.sort()).toEqual([`${prefix}/Ready/True@${committed.metadata.generation}`, `${prefix}/Released/True@${committed.metadata.generation}`]);
    const { events } = await suite.plane.admin.events({ clusterId, eventKind: "ConditionTransition", name: "shop" });
    const forHelmRelease = events.filter((event) => event.resourceRef?.kind === "HelmRelease");
    expect(forHelmRelease[0]?.conditions?.[0]).toMatchObject({ type: expect.stringMatching(/^(Ready|Released)$/), status: "True", reason: "InstallSucceeded" });
    expect(forHelmRelease.some((event) => event.eventKey?.includes("/Reconciling/"))).toBe(false);
    expect((await suite.plane.admin.events({ clusterId, eventKind: "ConditionTransition", name: "unlabelled" })).events).toEqual([]);

    // Never written by the operator: unchanged since helm-controller's (the test's) status write, no chart source materialised.
    const live = await suite.cluster.client.get(HELM_RELEASE, "shop", { namespace: ns.name });
    expect(live.metadata.resourceVersion).toBe(afterInstall.metadata.resourceVersion);
    expect(live.spec).toEqual(committed.spec);
    expect((await suite.cluster.client.list(HELM_REPOSITORY, { namespace: ns.name })).items).toEqual([]);

    await suite.cluster.client.delete(APPLICATION_INSTANCE, "shop", { namespace: ns.name });
    await eventually(async () => (await suite.cluster.client.list(APPLICATION_INSTANCE, { namespace: ns.name })).items.length === 0, { what: "instance deleted" });
    expect((await suite.cluster.client.get(HELM_RELEASE, "shop", { namespace: ns.name })).metadata.uid).toBe(committed.metadata.uid);
  });

  test("turned on while the status channel runs, the current conditions of committed HelmReleases are sent at once", async () => {
    const { clusterId } = await authoritativeOperator(false);
    const committed = await suite.cluster.client.create(HELM_RELEASE, committedHelmRelease("shop", { "app.vworkspace.io/managed-by": "control-plane" }));
    await installed("shop", committed.metadata.generation!);
    await suite.cluster.client.patch(CLUSTER, CLUSTER_NAME, { type: "merge", body: { spec: { gitops: { helmReleasesAuthoritative: true } } } });
    const key = `condition/helm.toolkit.fluxcd.io/v2/HelmRelease/${ns.name}/shop/${committed.metadata.uid}/Ready/True@${committed.metadata.generation}`;
    await eventually(async () => (await suite.plane.admin.events({ clusterId, eventKind: "ConditionTransition", name: "shop" })).events.some((event) => event.eventKey === key), {
      what: "the committed HelmRelease's Ready sent when the setting turned on",
    });
  });
});
