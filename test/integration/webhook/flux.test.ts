/**
 * The Flux webhooks through the real admission chain (docs/operations.md#flux-object-rules), written the way a
 * hostile control plane would in HelmRelease-authoritative GitOps: as the `vworkspace-control-plane`
 * ServiceAccount that kustomize-controller impersonates, bound by the chart's `vworkspace-control-plane-helmreleases`
 * role in the test's gated namespace. Dry runs, so nothing is left behind; no Flux controller runs.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { CONTROL_PLANE_HELMRELEASES_ROLE, CONTROL_PLANE_SERVICE_ACCOUNT } from "../../../src/api/push-access";
import { HELM_RELEASE, HELM_REPOSITORY } from "../../../src/flux/types";
import { KubeClient } from "../../../src/kube/client";
import { resolveKubeConfig } from "../../../src/kube/config";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { controlPlaneUsername } from "../../../src/webhook/flux";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { deleteNamespace, TEST_LABEL, TEST_RUN_LABEL, useNamespace } from "../../support/namespace";
import { installPushAccess, type PushAccess } from "../../support/push-access";
import { denied, NAMESPACES, refusal, startWebhook, webhookActive, type WebhookHarness } from "./harness";

const SLUG = "webhook-flux";
const ROLE_BINDINGS: ResourceType = { group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true };
const HR_WEBHOOK = "vhelmrelease.kb.io";
const ns = useNamespace({ slug: SLUG });
let cluster: TestCluster;
let webhook: WebhookHarness;
let pushAccess: PushAccess;
/** Writes as the control plane's ServiceAccount, the identity kustomize-controller impersonates. */
let asControlPlane: KubeClient;

beforeAll(async () => {
  cluster = await getCluster();
  webhook = await startWebhook(cluster, SLUG);
  pushAccess = await installPushAccess(cluster.client, webhook.systemNamespace, { tokenSecret: false });
  const admin = resolveKubeConfig({ kubeconfigPath: cluster.kubeconfigPath, env: {} });
  asControlPlane = KubeClient.fromKubeConfig({ ...admin, impersonation: { "Impersonate-User": controlPlaneUsername(webhook.systemNamespace) } });
});

afterAll(async () => {
  await pushAccess?.remove();
  await webhook?.stop();
});

beforeEach(async () => {
  // The grant the Push access controller keeps while HelmReleases are authoritative, under a name of the
  // test's own, since this operator (with no Cluster) would remove one of the controller's name.
  await cluster.client.create(ROLE_BINDINGS, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "vws-test-control-plane", namespace: ns.name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: CONTROL_PLANE_HELMRELEASES_ROLE },
    subjects: [{ kind: "ServiceAccount", name: CONTROL_PLANE_SERVICE_ACCOUNT, namespace: webhook.systemNamespace }],
  } as KubeObject);
  await webhookActive(cluster.client, ns.name);
});

function helmRelease(namespace: string, spec: Record<string, unknown>, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: "shop", namespace, labels },
    spec: { interval: "5m", chart: { spec: { chart: "odoo", version: "1.2.3", sourceRef: { kind: "HelmRepository", name: "shop-source" } } }, ...spec },
  };
}

const TENANT = { serviceAccountName: "vworkspace-tenant" };
const LABELLED = { "app.vworkspace.io/managed-by": "control-plane" };
const createHelmRelease = (client: KubeClient, object: KubeObject) => client.create(HELM_RELEASE, object, { dryRun: true });

/** RBAC settles asynchronously like the webhook: wait until the control plane may write in the namespace. */
async function controlPlaneMayWrite(): Promise<void> {
  await eventually(async () => (await refusal(createHelmRelease(asControlPlane, helmRelease(ns.name, TENANT, LABELLED))))?.status !== 403, { what: "control plane's RoleBinding effective" });
}

describe("HelmReleases committed by the control plane", () => {
  test("one running as the tenant with its source in its own namespace is admitted, labelled or not", async () => {
    await controlPlaneMayWrite();
    expect((await refusal(createHelmRelease(asControlPlane, helmRelease(ns.name, TENANT, LABELLED))))?.message).toBeUndefined();
    expect((await refusal(createHelmRelease(asControlPlane, helmRelease(ns.name, TENANT))))?.message).toBeUndefined();
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["without a ServiceAccount (helm-controller's own rights)", {}, "HelmRelease shop: spec.serviceAccountName must be the namespace's tenant ServiceAccount vworkspace-tenant"],
    ["as helm-controller", { serviceAccountName: "helm-controller" }, "HelmRelease shop: spec.serviceAccountName must be the namespace's tenant ServiceAccount vworkspace-tenant"],
    ["installing into kube-system", { ...TENANT, targetNamespace: "kube-system" }, "HelmRelease shop: spec.targetNamespace must be absent or the object's own namespace"],
    ["with a remote kubeConfig", { ...TENANT, kubeConfig: { secretRef: { name: "remote" } } }, "HelmRelease shop: spec.kubeConfig is not allowed"],
    [
      "from flux-system's source",
      { ...TENANT, chart: { spec: { chart: "odoo", sourceRef: { kind: "HelmRepository", name: "platform", namespace: "flux-system" } } } },
      "HelmRelease shop: spec.chart.spec.sourceRef.namespace must be absent or the object's own namespace",
    ],
  ])("%s: refused, labelled or not", async (_name, spec, message) => {
    await controlPlaneMayWrite();
    for (const labels of [LABELLED, {}]) {
      const err = await refusal(createHelmRelease(asControlPlane, helmRelease(ns.name, spec, labels)));
      expect(err?.serverMessage).toBe(denied(message, HR_WEBHOOK));
      expect(err?.reason).toBe("ProtectedField");
      expect(err?.status).toBe(422);
    }
  });

  test("a chart source that would serve other namespaces is refused", async () => {
    await controlPlaneMayWrite();
    const source = { apiVersion: "source.toolkit.fluxcd.io/v1", kind: "HelmRepository", metadata: { name: "shop-source", namespace: ns.name }, spec: { url: "https://charts.example.com", interval: "10m", accessFrom: { namespaceSelectors: [{ matchLabels: {} }] } } };
    const err = await refusal(asControlPlane.create(HELM_REPOSITORY, source, { dryRun: true }));
    expect(err?.serverMessage).toBe(denied("HelmRepository shop-source: spec.accessFrom is not allowed: a source serves its own namespace only", "vhelmrepository.kb.io"));
  });
});

describe("outside what the control plane writes", () => {
  const extra: string[] = [];
  afterAll(async () => {
    await Promise.all(extra.map((name) => deleteNamespace(cluster.client, name)));
  });

  test("RBAC keeps the control plane out of an ungated namespace, and so does the webhook", async () => {
    const ungated = `${ns.name}-ungated`;
    extra.push(ungated);
    await cluster.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: ungated, labels: { [TEST_RUN_LABEL]: cluster.runId, [TEST_LABEL]: SLUG } } });
    const err = await refusal(createHelmRelease(asControlPlane, helmRelease(ungated, TENANT, LABELLED)));
    expect(err?.status).toBe(403);
    expect(err?.reason).toBe("Forbidden");
    // Past RBAC (an admin's write, or a binding not yet removed after an ungating) the webhook refuses it too.
    const labelled = await refusal(createHelmRelease(cluster.client, helmRelease(ungated, TENANT, LABELLED)));
    expect(labelled?.serverMessage).toBe(denied(`namespace "${ungated}" is not managed by vworkspace (label managed-by=vworkspace missing)`, HR_WEBHOOK));
    expect(labelled?.status).toBe(403);
  });

  test("an admin's unlabelled HelmRelease is not judged; a stopped webhook blocks only the control plane's writes", async () => {
    const wide = helmRelease(ns.name, { targetNamespace: "kube-system" });
    expect((await refusal(createHelmRelease(cluster.client, wide)))?.message).toBeUndefined();
    await webhook.stopOperator();
    try {
      expect((await refusal(createHelmRelease(cluster.client, wide)))?.message).toBeUndefined();
      const err = await refusal(createHelmRelease(asControlPlane, helmRelease(ns.name, TENANT, LABELLED)));
      expect(err?.serverMessage).toContain(`failed calling webhook "${HR_WEBHOOK}"`);
    } finally {
      await webhook.startOperator();
    }
  });
});
