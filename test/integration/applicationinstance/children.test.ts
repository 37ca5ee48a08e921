/** ApplicationInstance → Flux children on the real API server (docs/applications.md#chart-sources, docs/applications.md#the-helmrelease, docs/applications.md#values, docs/applications.md#adopting-existing-objects). */
import { describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import { HELM_RELEASE, HELM_REPOSITORY, OCI_REPOSITORY, type HelmRelease } from "../../../src/flux/types";
import type { KubeObject } from "../../../src/kube/types";
import { eventually } from "../../support/eventually";
import { metricSum } from "../../support/metrics";
import { useNamespace } from "../../support/namespace";
import { getIfPresent } from "../../support/objects";
import { getInstance, instance, summary, waitForCondition, useHarness } from "./harness";

const ns = useNamespace({ slug: "ai-children" });
const ai = useHarness(ns);

const spec = (object: KubeObject | undefined) => object?.spec as Record<string, unknown> | undefined;

async function helmRelease(name: string): Promise<HelmRelease> {
  return eventually(() => getIfPresent<HelmRelease>(ai.client, HELM_RELEASE, name, ns.name), { what: `HelmRelease ${name}` });
}

describe("ApplicationInstance children", () => {
  test("helm source: HelmRepository and HelmRelease as specified, owned by the instance, status Waiting", async () => {
    await ai.start();
    const created = await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "shop"));
    const current = await waitForCondition(ai.client, ns.name, "shop", "Ready", "Unknown/Reconciling");
    expect(summary(current, "Reconciling")).toBe("True/HelmReleaseInstalling");
    expect(current.metadata.finalizers).toContain("apps.vworkspace.io/finalizer");
    expect(current.status?.helmReleaseRef).toEqual({ name: "shop", namespace: ns.name });
    expect(current.status?.lastAppliedChart).toEqual({ sourceType: "helm", url: "https://charts.example.com", name: "demo", version: "1.0.0" });

    const owner = { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "shop", uid: created.metadata.uid!, controller: true, blockOwnerDeletion: true };
    const labels = { "app.vworkspace.io/managed-by": "vworkspace-operator", "app.vworkspace.io/application-instance": "shop" };
    const repository = await ai.client.get(HELM_REPOSITORY, "shop-source", { namespace: ns.name });
    expect(repository.metadata.ownerReferences).toEqual([owner]);
    expect(repository.metadata.labels).toEqual(labels);
    expect(spec(repository)).toMatchObject({ url: "https://charts.example.com", interval: "10m0s" });

    const release = await helmRelease("shop");
    expect(release.metadata.ownerReferences).toEqual([owner]);
    expect(release.metadata.labels).toEqual(labels);
    expect(release.spec).toMatchObject({
      interval: "5m0s",
      timeout: "10m0s",
      suspend: false,
      serviceAccountName: "vworkspace-tenant",
      install: { remediation: { retries: 3 } },
      upgrade: { remediation: { retries: 3, strategy: "rollback" } },
      chart: { spec: { chart: "demo", version: "1.0.0", sourceRef: { kind: "HelmRepository", name: "shop-source" } } },
      values: { value: "a" },
    });
    const managers = (release.metadata.managedFields as Array<{ manager: string; operation: string }>).map((entry) => `${entry.manager}/${entry.operation}`);
    expect(managers).toContain("vworkspace-operator/Apply");
  });

  test("a HelmRelease edited by hand is restored, and an unchanged pass re-applies nothing", async () => {
    await ai.start();
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "drift"));
    await waitForCondition(ai.client, ns.name, "drift", "Ready", "Unknown/Reconciling");
    const applied = await helmRelease("drift");
    const metricsUrl = ai.harness.running.operator.metricsUrl!;
    const passes = () => metricSum(metricsUrl, "controller_runtime_reconcile_total");
    const appliesOf = () => ai.harness.calls.callsTo("helmreleases", ["apply"]).length;
    const before = appliesOf();
    // Two metadata-only edits each cause a pass; neither may re-apply the unchanged children.
    for (const touched of ["once", "twice"]) {
      const passesBefore = await passes();
      await ai.client.patch(APPLICATION_INSTANCE, "drift", { type: "merge", body: { metadata: { annotations: { touched } } } }, { namespace: ns.name });
      await eventually(async () => (await passes()) > passesBefore, { what: `a pass after the ${touched} edit` });
    }
    expect(appliesOf()).toBe(before);

    await ai.client.patch(HELM_RELEASE, "drift", { type: "merge", body: { metadata: { labels: { "app.vworkspace.io/managed-by": "someone" } }, spec: { interval: "1h0m0s" } } }, { namespace: ns.name, fieldManager: "kubectl-edit" });
    const restored = await eventually(async () => {
      const current = await getIfPresent<HelmRelease>(ai.client, HELM_RELEASE, "drift", ns.name);
      return current?.spec?.interval === "5m0s" && current.metadata.labels?.["app.vworkspace.io/managed-by"] === "vworkspace-operator" ? current : undefined;
    }, { what: "HelmRelease restored" });
    expect(restored.metadata.generation).toBeGreaterThan(applied.metadata.generation!);
    expect(appliesOf()).toBeGreaterThan(before);
  });

  test("oci source: OCIRepository with chart url, tag and layer selector; HelmRelease uses chartRef; switching back deletes it", async () => {
    await ai.start();
    const chart = { sourceType: "oci", url: "oci://ghcr.io/org/charts", name: "app", version: "1.2.3+build.1" };
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "oci", { chart }));
    const repository = await eventually(() => getIfPresent(ai.client, OCI_REPOSITORY, "oci-source", ns.name), { what: "OCIRepository" });
    expect(spec(repository)).toMatchObject({
      url: "oci://ghcr.io/org/charts/app",
      interval: "10m0s",
      ref: { tag: "1.2.3_build.1" },
      layerSelector: { mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", operation: "copy" },
    });
    const release = await helmRelease("oci");
    expect(release.spec?.chartRef).toEqual({ kind: "OCIRepository", name: "oci-source" });
    expect(release.spec?.chart).toBeUndefined();

    const helmChart = { sourceType: "helm", url: "https://charts.example.com", name: "app", version: "1.2.3" };
    await ai.client.patch(APPLICATION_INSTANCE, "oci", { type: "merge", body: { spec: { chart: helmChart } } }, { namespace: ns.name });
    await waitForCondition(ai.client, ns.name, "oci", "Ready", "Unknown/Reconciling");
    expect(await getIfPresent(ai.client, OCI_REPOSITORY, "oci-source", ns.name)).toBeUndefined();
    expect(await getIfPresent(ai.client, HELM_REPOSITORY, "oci-source", ns.name)).toBeDefined();
    const switched = await ai.client.get<HelmRelease>(HELM_RELEASE, "oci", { namespace: ns.name });
    expect(switched.spec?.chartRef).toBeUndefined();
    expect(switched.spec?.chart?.spec.sourceRef).toEqual({ kind: "HelmRepository", name: "oci-source" });
  });

  test("secretRef values: valuesFrom only, and the Secret is never read", async () => {
    await ai.start();
    const values = { source: "secretRef", secretRef: { name: "shop-values", key: "values.yaml" } };
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "secret", { values }));
    await waitForCondition(ai.client, ns.name, "secret", "Ready", "Unknown/Reconciling");
    const release = await helmRelease("secret");
    expect(release.spec?.valuesFrom).toEqual([{ kind: "Secret", name: "shop-values", valuesKey: "values.yaml" }]);
    expect(release.spec?.values).toBeUndefined();
    expect(ai.harness.calls.callsTo("secrets")).toEqual([]);
    expect(ai.harness.calls.callsTo("namespaces").filter((call) => call.verb !== "get" && call.verb !== "list" && call.verb !== "watch")).toEqual([]);
  });

  test("switching values inline → configMapRef removes spec.values; a foreign label survives, a foreign interval is reverted", async () => {
    await ai.start();
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "switch"));
    await waitForCondition(ai.client, ns.name, "switch", "Ready", "Unknown/Reconciling");
    await helmRelease("switch");
    await ai.client.patch(HELM_RELEASE, "switch", { type: "apply", body: { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "switch", namespace: ns.name, labels: { team: "blue" } } } }, { namespace: ns.name, fieldManager: "someone-else" });
    await ai.client.patch(HELM_RELEASE, "switch", { type: "merge", body: { spec: { interval: "1h0m0s" } } }, { namespace: ns.name, fieldManager: "kubectl-edit" });

    const values = { source: "configMapRef", configMapRef: { name: "switch-values", key: "v" } };
    await ai.client.patch(APPLICATION_INSTANCE, "switch", { type: "merge", body: { spec: { values: { ...values, inline: null } } } }, { namespace: ns.name });
    const release = await eventually(
      async () => {
        const current = await ai.client.get<HelmRelease>(HELM_RELEASE, "switch", { namespace: ns.name });
        return current.spec?.valuesFrom ? current : undefined;
      },
      { what: "valuesFrom applied" },
    );
    expect(release.spec?.valuesFrom).toEqual([{ kind: "ConfigMap", name: "switch-values", valuesKey: "v" }]);
    expect(release.spec?.values).toBeUndefined();
    expect(release.spec?.interval).toBe("5m0s");
    expect(release.metadata.labels?.team).toBe("blue");
  });

  test("takeover: a Go-style HR ends with chartRef, no plaintext values, and our managedFields entry", async () => {
    const goStyle = {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: { name: "legacy", namespace: ns.name, labels: { "app.vworkspace.io/managed-by": "control-plane" } },
      spec: {
        interval: "1m0s",
        chart: { spec: { chart: "app", version: "1.0.0", sourceRef: { kind: "HelmRepository", name: "legacy-source" } } },
        values: { db: { password: "plaintext-from-go" } },
      },
    };
    await ai.client.create(HELM_RELEASE, goStyle, { fieldManager: "manager" });
    await ai.start();
    const chart = { sourceType: "oci", url: "oci://ghcr.io/org/charts", name: "app", version: "1.0.0" };
    const values = { source: "secretRef", secretRef: { name: "legacy-values", key: "values.yaml" } };
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "legacy", { chart, values }));
    await waitForCondition(ai.client, ns.name, "legacy", "Blocked", "False/Unblocked");
    const release = await ai.client.get<HelmRelease>(HELM_RELEASE, "legacy", { namespace: ns.name });
    expect(release.spec?.chartRef).toEqual({ kind: "OCIRepository", name: "legacy-source" });
    expect(release.spec?.chart).toBeUndefined();
    expect(release.spec?.values).toBeUndefined();
    expect(release.spec?.interval).toBe("5m0s");
    expect(JSON.stringify(release)).not.toContain("plaintext-from-go");
    expect(release.metadata.labels?.["app.vworkspace.io/managed-by"]).toBe("vworkspace-operator");
    const managers = (release.metadata.managedFields as Array<{ manager: string }>).map((entry) => entry.manager);
    expect(managers).toContain("vworkspace-operator");
  });

  test("an instance without a chart past admission is ValidationFailed with the rule's message, and creates nothing", async () => {
    await ai.start();
    const object = instance(ns.name, "nochart");
    delete (object.spec as Record<string, unknown>).chart;
    await ai.client.create(APPLICATION_INSTANCE, object);
    const current = await waitForCondition(ai.client, ns.name, "nochart", "Blocked", "True/ValidationFailed");
    expect(summary(current, "Ready")).toBe("False/ValidationFailed");
    expect(current.status?.conditions?.find((c) => c.type === "Ready")?.message).toBe("spec.chart is required");
    expect(await getIfPresent(ai.client, HELM_RELEASE, "nochart", ns.name)).toBeUndefined();
  });

  test("a release moved away from status.helmReleaseRef is refused without a second HelmRelease", async () => {
    await ai.start();
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "moved"));
    await waitForCondition(ai.client, ns.name, "moved", "Ready", "Unknown/Reconciling");
    // CEL forbids changing spec.release, so the move is staged on the status side (as after a restore).
    await ai.client.patchStatus(APPLICATION_INSTANCE, "moved", { type: "merge", body: { status: { helmReleaseRef: { name: "elsewhere", namespace: ns.name } } } }, { namespace: ns.name });
    await ai.client.patch(APPLICATION_INSTANCE, "moved", { type: "merge", body: { spec: { suspend: true } } }, { namespace: ns.name });
    const current = await waitForCondition(ai.client, ns.name, "moved", "Blocked", "True/ValidationFailed");
    expect(current.status?.conditions?.find((c) => c.type === "Ready")?.message).toBe("spec.release.name is immutable");
    expect(await getIfPresent(ai.client, HELM_RELEASE, "elsewhere", ns.name)).toBeUndefined();
    const untouched = await ai.client.get<HelmRelease>(HELM_RELEASE, "moved", { namespace: ns.name });
    expect(untouched.spec?.suspend).toBe(false);
    expect(await getInstance(ai.client, ns.name, "moved")).toBeDefined();
  });
});
