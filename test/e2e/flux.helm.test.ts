/**
 * Real Flux end to end (docs/development.md#real-flux-end-to-end): the compiled operator, source-controller and helm-controller
 * against the local cluster, a loopback Helm repository with the `vws-test` chart (and `vws-escalate`, which
 * tries to leave its namespace: helm-controller acts as the namespace's Flux tenant, so RBAC refuses it).
 * One test per step; the namespace, Flux and the repository live for the whole file.
 */
import { describe, expect, test } from "bun:test";
import type { ApplicationInstance } from "../../src/api/applicationinstance";
import { APPLICATION_INSTANCE } from "../../src/api/groups";
import { HELM_RELEASE, HELM_REPOSITORY, type HelmRelease } from "../../src/flux/types";
import { classifyError } from "../../src/kube/errors";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { eventually } from "../support/eventually";
import { fluxBinaries, serveChartRepository, type ChartRepository } from "../support/flux";
import { CONFIG_MAPS, FLUX_STEP_MS, SECRETS, useFluxE2e } from "../support/flux-e2e";

const binaries = fluxBinaries();
if (!binaries) console.warn("SKIPPING test/e2e/flux.helm.test.ts: Flux binaries not built (VWS_FLUX_AVAILABLE=0)");

const RELEASE = "web";
const ESCALATE = "esc";
const ESCALATE_BINDING = "esc-crb";
const CLUSTER_ROLE_BINDINGS: ResourceType = { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false };
const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const ROLE_BINDINGS: ResourceType = { group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true };

function condition(object: ApplicationInstance | HelmRelease | undefined, type: string) {
  return object?.status?.conditions?.find((candidate) => candidate.type === type);
}

describe.skipIf(!binaries)("real Flux: ApplicationInstance with a helm source", () => {
  let repository: ChartRepository;
  const e2e = useFluxE2e({
    slug: "flux-helm",
    binaries,
    instances: [RELEASE, "sec", ESCALATE, ESCALATE_BINDING],
    source: (namespace) => {
      repository = serveChartRepository({ helm: binaries!.helm, name: namespace, versions: ["0.1.0", "0.2.0"], otherCharts: { "vws-escalate": ["0.1.0"] } });
      return repository;
    },
  });
  const setVersion = (version: string) =>
    e2e.cluster.client.patch(APPLICATION_INSTANCE, RELEASE, { type: "merge", body: { spec: { chart: { version } } } }, { namespace: e2e.namespace });

  test("install: HelmRepository and HelmRelease, the chart's ConfigMap, the release Secret, instance Ready", async () => {
    const instance = {
      apiVersion: "apps.vworkspace.io/v1alpha1",
      kind: "ApplicationInstance",
      metadata: { name: RELEASE, namespace: e2e.namespace },
      spec: {
        appRef: { catalogId: "vws-test" },
        chart: { sourceType: "helm", url: repository.url, name: "vws-test", version: "0.1.0" },
        release: { name: RELEASE, namespace: e2e.namespace },
        values: { source: "inline", inline: { value: "a" } },
      },
    };
    await e2e.cluster.client.create(APPLICATION_INSTANCE, instance);
    const ready = await e2e.readyAtGeneration(RELEASE);
    expect(condition(ready, "Ready")?.reason).toBe("HelmReleaseReady");
    expect(await e2e.get(HELM_REPOSITORY, `${RELEASE}-source`)).toBeDefined();
    const release = await e2e.cluster.client.get<HelmRelease>(HELM_RELEASE, RELEASE, { namespace: e2e.namespace });
    expect(condition(release, "Ready")?.status).toBe("True");
    // Installed by helm-controller impersonating the namespace's Flux tenant, bound to the chart's ClusterRole.
    expect(release.spec?.serviceAccountName).toBe("vworkspace-tenant");
    expect((await e2e.get<KubeObject & { roleRef: { name: string } }>(ROLE_BINDINGS, "vworkspace-tenant"))?.roleRef.name).toBe("vworkspace-tenant");

    const configMap = await e2e.cluster.client.get(CONFIG_MAPS, `${RELEASE}-config`, { namespace: e2e.namespace });
    expect(configMap.data).toEqual({ chartVersion: "0.1.0", value: "a" });
    const releaseSecrets = await e2e.cluster.client.list(SECRETS, { namespace: e2e.namespace, labelSelector: `owner=helm,name=${RELEASE}` });
    expect(releaseSecrets.items.map((secret) => secret.metadata.labels?.status)).toContain("deployed");
  }, FLUX_STEP_MS);

  test("charts shipping a Namespace or a ClusterRoleBinding fail in Flux with RBAC's forbidden, passed to the instance; nothing is created", async () => {
    const tenant = `system:serviceaccount:${e2e.namespace}:vworkspace-tenant`;
    // The whole chart (Helm stops at the Namespace), and the chart without its Namespace (it stops at the binding).
    const cases = [
      { name: ESCALATE, inline: {}, refused: "namespaces" },
      { name: ESCALATE_BINDING, inline: { namespace: false }, refused: "clusterrolebindings" },
    ];
    for (const { name, inline } of cases) {
      await e2e.cluster.client.create(APPLICATION_INSTANCE, {
        apiVersion: "apps.vworkspace.io/v1alpha1",
        kind: "ApplicationInstance",
        metadata: { name, namespace: e2e.namespace },
        spec: {
          appRef: { catalogId: "vws-escalate" },
          chart: { sourceType: "helm", url: repository.url, name: "vws-escalate", version: "0.1.0" },
          release: { name, namespace: e2e.namespace },
          values: { source: "inline", inline },
        },
      });
    }
    for (const { name, refused } of cases) {
      const failed = await eventually(
        async () => {
          const ready = condition(await e2e.get<ApplicationInstance>(APPLICATION_INSTANCE, name), "Ready");
          return ready?.status === "False" && ready.message.includes("forbidden") ? ready : undefined;
        },
        { what: `${name} Ready=False with an RBAC forbidden`, timeoutMs: FLUX_STEP_MS },
      );
      console.info(`flux e2e: escalating chart ${name} → Ready=False/${failed.reason}: ${failed.message}`);
      expect(failed.message).toContain(tenant);
      expect(failed.message).toContain(`cannot get resource "${refused}"`);
      const release = await e2e.cluster.client.get<HelmRelease>(HELM_RELEASE, name, { namespace: e2e.namespace });
      expect(release.spec?.serviceAccountName).toBe("vworkspace-tenant");
      const fluxMessages = (release.status?.conditions ?? []).map((entry) => entry.message);
      expect(fluxMessages.some((message) => message.includes("forbidden") && message.includes(tenant))).toBe(true);
    }
    const clusterScoped = async (type: ResourceType, name: string) => e2e.cluster.client.get(type, name).catch((err: unknown) => (classifyError(err) === "notFound" ? undefined : Promise.reject(err)));
    expect(await clusterScoped(CLUSTER_ROLE_BINDINGS, `vws-escalate-${e2e.namespace}`)).toBeUndefined();
    expect(await clusterScoped(NAMESPACES, `vws-escape-${e2e.namespace}`)).toBeUndefined();

    for (const { name } of cases) await e2e.cluster.client.delete(APPLICATION_INSTANCE, name, { namespace: e2e.namespace });
    for (const { name } of cases) await eventually(async () => (await e2e.get(APPLICATION_INSTANCE, name)) === undefined, { what: `${name} deleted`, timeoutMs: FLUX_STEP_MS });
  }, FLUX_STEP_MS * 2);

  test("values from a Secret reach the release; the Secret value appears nowhere in the HelmRelease", async () => {
    const marker = `from-secret-${Math.random().toString(36).slice(2, 8)}`;
    await e2e.cluster.client.create(SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name: "sec-values", namespace: e2e.namespace }, stringData: { "values.yaml": `value: ${marker}\n` } });
    await e2e.cluster.client.create(APPLICATION_INSTANCE, {
      apiVersion: "apps.vworkspace.io/v1alpha1",
      kind: "ApplicationInstance",
      metadata: { name: "sec", namespace: e2e.namespace },
      spec: {
        appRef: { catalogId: "vws-test" },
        chart: { sourceType: "helm", url: repository.url, name: "vws-test", version: "0.1.0" },
        release: { name: "sec", namespace: e2e.namespace },
        values: { source: "secretRef", secretRef: { name: "sec-values", key: "values.yaml" } },
      },
    });
    await eventually(async () => ((await e2e.get(CONFIG_MAPS, "sec-config"))?.data as Record<string, string> | undefined)?.value === marker, {
      what: "ConfigMap with the Secret's value",
      timeoutMs: FLUX_STEP_MS,
    });
    const release = await e2e.cluster.client.get<HelmRelease>(HELM_RELEASE, "sec", { namespace: e2e.namespace });
    expect(release.spec?.valuesFrom).toEqual([{ kind: "Secret", name: "sec-values", valuesKey: "values.yaml" }]);
    expect(JSON.stringify(release)).not.toContain(marker);
    expect(JSON.stringify(await e2e.cluster.client.get(APPLICATION_INSTANCE, "sec", { namespace: e2e.namespace }))).not.toContain(marker);
    expect(e2e.operator.logs.lines.join("\n")).not.toContain(marker);
    await e2e.cluster.client.delete(APPLICATION_INSTANCE, "sec", { namespace: e2e.namespace });
    await eventually(async () => (await e2e.get(APPLICATION_INSTANCE, "sec")) === undefined, { what: "sec deleted", timeoutMs: FLUX_STEP_MS });
    expect(await e2e.get(CONFIG_MAPS, "sec-config")).toBeUndefined();
  }, FLUX_STEP_MS);

  test("upgrade: version 0.2.0 reaches the ConfigMap and lastAppliedChart", async () => {
    await setVersion("0.2.0");
    await eventually(async () => ((await e2e.cluster.client.get(CONFIG_MAPS, `${RELEASE}-config`, { namespace: e2e.namespace })).data as Record<string, string> | undefined)?.chartVersion === "0.2.0", {
      what: "ConfigMap at 0.2.0",
      timeoutMs: FLUX_STEP_MS,
    });
    const ready = await e2e.readyAtGeneration(RELEASE);
    expect(ready.status?.lastAppliedChart?.version).toBe("0.2.0");
    const release = await e2e.cluster.client.get<HelmRelease>(HELM_RELEASE, RELEASE, { namespace: e2e.namespace });
    expect(release.status?.history?.[0]?.chartVersion).toBe("0.2.0");
  }, FLUX_STEP_MS);

  test("a version absent from the repository: Ready=False with Flux's reason, then recovery", async () => {
    await setVersion("9.9.9");
    // Settled: Flux's verdict names the missing version (its first, transient one does not).
    const failed = await eventually(
      async () => {
        const current = await e2e.get<ApplicationInstance>(APPLICATION_INSTANCE, RELEASE);
        const ready = condition(current, "Ready");
        const atGeneration = current?.status?.observedGeneration === current?.metadata.generation;
        return ready?.status === "False" && atGeneration && ready.message.includes("9.9.9") ? ready : undefined;
      },
      { what: "instance Ready=False naming 9.9.9", timeoutMs: FLUX_STEP_MS },
    );
    const release = await e2e.cluster.client.get<HelmRelease>(HELM_RELEASE, RELEASE, { namespace: e2e.namespace });
    expect(failed.reason).toBe(condition(release, "Ready")!.reason);
    console.info(`flux e2e: version 9.9.9 → Ready=False/${failed.reason}: ${failed.message}`);

    await setVersion("0.2.0");
    await e2e.readyAtGeneration(RELEASE);
  }, FLUX_STEP_MS * 2);

  test("delete: the release is uninstalled (ConfigMap gone) before the instance disappears", async () => {
    await e2e.cluster.client.delete(APPLICATION_INSTANCE, RELEASE, { namespace: e2e.namespace });
    await eventually(async () => (await e2e.get(APPLICATION_INSTANCE, RELEASE)) === undefined, { what: "instance gone", timeoutMs: FLUX_STEP_MS });
    expect(await e2e.get(HELM_RELEASE, RELEASE)).toBeUndefined();
    expect(await e2e.get(CONFIG_MAPS, `${RELEASE}-config`)).toBeUndefined();
    const releaseSecrets = await e2e.cluster.client.list(SECRETS, { namespace: e2e.namespace, labelSelector: `owner=helm,name=${RELEASE}` });
    expect(releaseSecrets.items).toEqual([]);
  }, FLUX_STEP_MS);
});
