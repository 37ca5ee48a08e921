/** The Flux webhooks' decisions (docs/operations.md#flux-object-rules): which writes are the control plane's, and the tenant lockdown on them. */
import { describe, expect, test } from "bun:test";
import { renderConfiguration } from "../../../src/webhook/configuration";
import { controlPlaneUsername, fluxWebhooks } from "../../../src/webhook/flux";
import type { AdmissionRequest, Verdict } from "../../../src/webhook/review";
import type { AdmissionFacts, KindWebhook } from "../../../src/webhook/rules";

const OPERATOR_NAMESPACE = "vworkspace-system";
const CONTROL_PLANE = controlPlaneUsername(OPERATOR_NAMESPACE);
const [helmReleaseWebhook, helmRepositoryWebhook, ociRepositoryWebhook] = fluxWebhooks(OPERATOR_NAMESPACE) as [KindWebhook, KindWebhook, KindWebhook];
const LABELLED = { "app.vworkspace.io/managed-by": "control-plane" };

interface Scenario {
  spec?: Record<string, unknown>;
  labels?: Record<string, string>;
  username?: string;
  gated?: boolean;
  namespaceLabels?: Record<string, string>;
}

function helmRelease(spec: Record<string, unknown>, labels: Record<string, string>): Record<string, unknown> {
  return { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "shop", namespace: "team-a", labels }, spec };
}

const LOCKED_DOWN = {
  serviceAccountName: "vworkspace-tenant",
  chart: { spec: { chart: "odoo", version: "1.2.3", sourceRef: { kind: "HelmRepository", name: "shop-source" } } },
};

async function judge(webhook: KindWebhook, object: Record<string, unknown>, scenario: Scenario): Promise<Verdict> {
  const facts: AdmissionFacts = {
    namespaceGated: async () => scenario.gated ?? true,
    namespaceLabels: async () => scenario.namespaceLabels ?? {},
    clusterId: () => "c1",
  };
  const { group, version, kind } = webhook.type;
  const request: AdmissionRequest = {
    uid: "u-1",
    kind: { group, version, kind },
    operation: "CREATE",
    namespace: "team-a",
    object,
    userInfo: { username: scenario.username ?? "system:admin" },
  };
  return webhook.validate(request, facts, new AbortController().signal);
}

const denialOf = async (scenario: Scenario) => (await judge(helmReleaseWebhook, helmRelease(scenario.spec ?? LOCKED_DOWN, scenario.labels ?? LABELLED), scenario)).denial;

describe("HelmReleases the control plane writes", () => {
  test("one running as the tenant with references in its own namespace is admitted", async () => {
    expect(await denialOf({})).toBeUndefined();
    expect(await denialOf({ labels: {}, username: CONTROL_PLANE })).toBeUndefined();
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["no ServiceAccount (helm-controller's own identity)", { ...LOCKED_DOWN, serviceAccountName: undefined }, "HelmRelease shop: spec.serviceAccountName must be the namespace's tenant ServiceAccount vworkspace-tenant"],
    ["another ServiceAccount", { ...LOCKED_DOWN, serviceAccountName: "helm-controller" }, "HelmRelease shop: spec.serviceAccountName must be the namespace's tenant ServiceAccount vworkspace-tenant"],
    ["a kubeConfig", { ...LOCKED_DOWN, kubeConfig: { secretRef: { name: "remote" } } }, "HelmRelease shop: spec.kubeConfig is not allowed"],
    ["another targetNamespace", { ...LOCKED_DOWN, targetNamespace: "kube-system" }, "HelmRelease shop: spec.targetNamespace must be absent or the object's own namespace"],
    ["another storageNamespace", { ...LOCKED_DOWN, storageNamespace: "kube-system" }, "HelmRelease shop: spec.storageNamespace must be absent or the object's own namespace"],
    [
      "a source in another namespace",
      { ...LOCKED_DOWN, chart: { spec: { chart: "odoo", sourceRef: { kind: "HelmRepository", name: "x", namespace: "flux-system" } } } },
      "HelmRelease shop: spec.chart.spec.sourceRef.namespace must be absent or the object's own namespace",
    ],
    ["a chartRef in another namespace", { serviceAccountName: "vworkspace-tenant", chartRef: { kind: "OCIRepository", name: "x", namespace: "other" } }, "HelmRelease shop: spec.chartRef.namespace must be absent or the object's own namespace"],
    ["values from another namespace", { ...LOCKED_DOWN, valuesFrom: [{ kind: "Secret", name: "s", namespace: "other" }] }, "HelmRelease shop: spec.valuesFrom[0].namespace must be absent or the object's own namespace"],
  ])("%s is refused as ProtectedField (422)", async (_name, spec, message) => {
    expect(await denialOf({ spec })).toEqual({ reason: "ProtectedField", code: 422, message });
  });

  test("the same write by the control plane's ServiceAccount is refused without the label too", async () => {
    expect((await denialOf({ spec: { ...LOCKED_DOWN, serviceAccountName: "helm-controller" }, labels: {}, username: CONTROL_PLANE }))?.reason).toBe("ProtectedField");
  });

  test("a namespace that names its Flux tenant asks for that ServiceAccount", async () => {
    const namespaceLabels = { "apps.vworkspace.io/tenant-service-account": "team-deployer" };
    expect((await denialOf({ namespaceLabels }))?.message).toBe("HelmRelease shop: spec.serviceAccountName must be the namespace's tenant ServiceAccount team-deployer");
    expect(await denialOf({ namespaceLabels, spec: { ...LOCKED_DOWN, serviceAccountName: "team-deployer" } })).toBeUndefined();
  });
});

describe("Flux writes that are not the control plane's pass untouched", () => {
  test("unlabelled and written by someone else, in a gated namespace or not", async () => {
    const wide = { ...LOCKED_DOWN, serviceAccountName: undefined, targetNamespace: "kube-system" };
    expect(await denialOf({ spec: wide, labels: {} })).toBeUndefined();
    expect(await denialOf({ spec: wide, labels: { "app.vworkspace.io/managed-by": "vworkspace-operator" } })).toBeUndefined();
    expect(await denialOf({ spec: wide, labels: {}, gated: false })).toBeUndefined();
  });
});

describe("the control plane's writes outside gated namespaces", () => {
  test("are refused as NamespaceNotGated (403), labelled or by its ServiceAccount", async () => {
    const notGated = { reason: "NamespaceNotGated", code: 403, message: 'namespace "team-a" is not managed by vworkspace (label managed-by=vworkspace missing)' };
    expect(await denialOf({ gated: false })).toEqual(notGated);
    expect(await denialOf({ gated: false, labels: {}, username: CONTROL_PLANE })).toEqual(notGated);
  });
});

describe("chart sources the control plane writes", () => {
  const source = (kind: string, spec: Record<string, unknown>) => ({ apiVersion: "source.toolkit.fluxcd.io/v1", kind, metadata: { name: "shop-source", namespace: "team-a", labels: LABELLED }, spec });

  test("a source serving other namespaces or using a cloud identity is refused; a plain one is admitted", async () => {
    expect((await judge(helmRepositoryWebhook, source("HelmRepository", { url: "https://charts.example.com", accessFrom: { namespaceSelectors: [{}] } }), {})).denial).toEqual({
      reason: "ProtectedField",
      code: 422,
      message: "HelmRepository shop-source: spec.accessFrom is not allowed: a source serves its own namespace only",
    });
    expect((await judge(ociRepositoryWebhook, source("OCIRepository", { url: "oci://registry.example.com/odoo", provider: "aws" }), {})).denial?.message).toBe(
      "OCIRepository shop-source: spec.provider must be absent or generic",
    );
    expect((await judge(helmRepositoryWebhook, source("HelmRepository", { url: "https://charts.example.com" }), {})).denial).toBeUndefined();
  });
});

describe("registration", () => {
  test("paths follow controller-runtime's naming; matchConditions name the control plane's label and ServiceAccount", () => {
    expect(fluxWebhooks(OPERATOR_NAMESPACE).map((webhook) => [webhook.name, webhook.path])).toEqual([
      ["vhelmrelease.kb.io", "/validate-helm-toolkit-fluxcd-io-v2-helmrelease"],
      ["vhelmrepository.kb.io", "/validate-source-toolkit-fluxcd-io-v1-helmrepository"],
      ["vocirepository.kb.io", "/validate-source-toolkit-fluxcd-io-v1-ocirepository"],
    ]);
    const configuration = renderConfiguration({ name: "c", webhooks: [helmReleaseWebhook], endpoint: { url: "https://127.0.0.1:9443" }, caPem: "CA" }) as unknown as {
      webhooks: Array<{ rules: unknown; matchConditions: Array<{ expression: string }> }>;
    };
    const [rendered] = configuration.webhooks;
    expect(rendered?.rules).toEqual([{ apiGroups: ["helm.toolkit.fluxcd.io"], apiVersions: ["v2"], resources: ["helmreleases"], operations: ["CREATE", "UPDATE"], scope: "Namespaced" }]);
    expect(rendered?.matchConditions[0]?.expression).toContain("object.metadata.labels['app.vworkspace.io/managed-by'] == 'control-plane'");
    expect(rendered?.matchConditions[0]?.expression).toContain("request.userInfo.username == 'system:serviceaccount:vworkspace-system:vworkspace-control-plane'");
  });
});
