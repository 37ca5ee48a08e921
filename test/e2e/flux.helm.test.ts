/**
 * Real Flux end to end (testing.md §7): the compiled operator, source-controller and helm-controller
 * against the local cluster, a loopback Helm repository with the `vws-test` chart. One test per step;
 * the namespace, Flux and the repository live for the whole file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ApplicationInstance } from "../../src/api/applicationinstance";
import { APPLICATION_INSTANCE } from "../../src/api/groups";
import { HELM_RELEASE, HELM_REPOSITORY, type HelmRelease } from "../../src/flux/types";
import type { KubeClient } from "../../src/kube/client";
import { classifyError } from "../../src/kube/errors";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { getCluster, REPO_ROOT, type TestCluster } from "../support/cluster";
import { eventually } from "../support/eventually";
import { fluxBinaries, serveChartRepository, startFlux, type ChartRepository, type RunningFlux } from "../support/flux";
import { deleteNamespace, GATE_LABEL, TEST_LABEL, TEST_RUN_LABEL } from "../support/namespace";
import { startOperatorBinary, type BinaryOperator } from "../support/operator";

const binaries = fluxBinaries();
if (!binaries) console.warn("SKIPPING test/e2e/flux.helm.test.ts: Flux binaries not built (VWS_FLUX_AVAILABLE=0)");

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const CONFIG_MAPS: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const SECRETS: ResourceType = { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true };
const FLUX_STEP_MS = 180_000;
const RELEASE = "web";

let cluster: TestCluster;
let namespace: string;
let flux: RunningFlux | undefined;
let repository: ChartRepository | undefined;
let operator: BinaryOperator | undefined;

async function optional<T extends KubeObject>(client: KubeClient, type: ResourceType, name: string): Promise<T | undefined> {
  try {
    return await client.get<T>(type, name, { namespace });
  } catch (err) {
    if (classifyError(err) === "notFound") return undefined;
    throw err;
  }
}

function condition(object: ApplicationInstance | HelmRelease | undefined, type: string) {
  return object?.status?.conditions?.find((candidate) => candidate.type === type);
}

async function setVersion(version: string): Promise<void> {
  await cluster.client.patch(APPLICATION_INSTANCE, RELEASE, { type: "merge", body: { spec: { chart: { version } } } }, { namespace });
}

describe.skipIf(!binaries)("real Flux: ApplicationInstance with a helm source", () => {
  beforeAll(async () => {
    cluster = await getCluster();
    namespace = `t-flux-helm-${Math.random().toString(36).slice(2, 7)}`;
    const labels = { [TEST_RUN_LABEL]: cluster.runId, [TEST_LABEL]: "flux-helm", [GATE_LABEL.key]: GATE_LABEL.value };
    await cluster.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } });
    repository = serveChartRepository({ helm: binaries!.helm, name: namespace, versions: ["0.1.0", "0.2.0"] });
    flux = await startFlux({ binaries: binaries!, kubeconfigPath: cluster.kubeconfigPath, name: namespace });
    operator = await startOperatorBinary({
      args: [`--kubeconfig=${cluster.kubeconfigPath}`, `--watch-namespaces=${namespace}`, "--leader-elect=false"],
      logFile: `${REPO_ROOT}/.local/test-logs/flux/${namespace}/operator.log`,
    });
  }, FLUX_STEP_MS);

  afterAll(async () => {
    // The operator and Flux must outlive the instance so the release is uninstalled and finalizers go.
    await cluster.client.delete(APPLICATION_INSTANCE, RELEASE, { namespace }).catch(() => undefined);
    await eventually(async () => (await optional(cluster.client, APPLICATION_INSTANCE, RELEASE)) === undefined, { what: "instance deleted", timeoutMs: FLUX_STEP_MS }).catch(() => undefined);
    expect(await operator?.stop()).toBe(0);
    await flux?.stop();
    repository?.stop();
    await deleteNamespace(cluster.client, namespace);
  }, FLUX_STEP_MS * 2);

  test("install: HelmRepository and HelmRelease, the chart's ConfigMap, the release Secret, instance Ready", async () => {
    const instance = {
      apiVersion: "apps.vworkspace.io/v1alpha1",
      kind: "ApplicationInstance",
      metadata: { name: RELEASE, namespace },
      spec: {
        appRef: { catalogId: "vws-test" },
        chart: { sourceType: "helm", url: repository!.url, name: "vws-test", version: "0.1.0" },
        release: { name: RELEASE, namespace },
        values: { source: "inline", inline: { value: "a" } },
      },
    };
    await cluster.client.create(APPLICATION_INSTANCE, instance);
    const ready = await eventually(
      async () => {
        const current = await optional<ApplicationInstance>(cluster.client, APPLICATION_INSTANCE, RELEASE);
        const found = condition(current, "Ready");
        return found?.status === "True" && current?.status?.observedGeneration === current?.metadata.generation ? current : undefined;
      },
      { what: "instance Ready=True", timeoutMs: FLUX_STEP_MS },
    );
    expect(condition(ready, "Ready")?.reason).toBe("HelmReleaseReady");
    expect(await optional(cluster.client, HELM_REPOSITORY, `${RELEASE}-source`)).toBeDefined();
    const release = await cluster.client.get<HelmRelease>(HELM_RELEASE, RELEASE, { namespace });
    expect(condition(release, "Ready")?.status).toBe("True");

    const configMap = await cluster.client.get(CONFIG_MAPS, `${RELEASE}-config`, { namespace });
    expect(configMap.data).toEqual({ chartVersion: "0.1.0", value: "a" });
    const releaseSecrets = await cluster.client.list(SECRETS, { namespace, labelSelector: `owner=helm,name=${RELEASE}` });
    expect(releaseSecrets.items.map((secret) => secret.metadata.labels?.status)).toContain("deployed");
  }, FLUX_STEP_MS);

  test("values from a Secret reach the release; the Secret value appears nowhere in the HelmRelease", async () => {
    const marker = `from-secret-${Math.random().toString(36).slice(2, 8)}`;
    await cluster.client.create(SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name: "sec-values", namespace }, stringData: { "values.yaml": `value: ${marker}\n` } });
    await cluster.client.create(APPLICATION_INSTANCE, {
      apiVersion: "apps.vworkspace.io/v1alpha1",
      kind: "ApplicationInstance",
      metadata: { name: "sec", namespace },
      spec: {
        appRef: { catalogId: "vws-test" },
        chart: { sourceType: "helm", url: repository!.url, name: "vws-test", version: "0.1.0" },
        release: { name: "sec", namespace },
        values: { source: "secretRef", secretRef: { name: "sec-values", key: "values.yaml" } },
      },
    });
    await eventually(async () => ((await optional(cluster.client, CONFIG_MAPS, "sec-config"))?.data as Record<string, string> | undefined)?.value === marker, {
      what: "ConfigMap with the Secret's value",
      timeoutMs: FLUX_STEP_MS,
    });
    const release = await cluster.client.get<HelmRelease>(HELM_RELEASE, "sec", { namespace });
    expect(release.spec?.valuesFrom).toEqual([{ kind: "Secret", name: "sec-values", valuesKey: "values.yaml" }]);
    expect(JSON.stringify(release)).not.toContain(marker);
    expect(JSON.stringify(await cluster.client.get(APPLICATION_INSTANCE, "sec", { namespace }))).not.toContain(marker);
    expect(operator!.logs.lines.join("\n")).not.toContain(marker);
    await cluster.client.delete(APPLICATION_INSTANCE, "sec", { namespace });
    await eventually(async () => (await optional(cluster.client, APPLICATION_INSTANCE, "sec")) === undefined, { what: "sec deleted", timeoutMs: FLUX_STEP_MS });
    expect(await optional(cluster.client, CONFIG_MAPS, "sec-config")).toBeUndefined();
  }, FLUX_STEP_MS);

  test("upgrade: version 0.2.0 reaches the ConfigMap and lastAppliedChart", async () => {
    await setVersion("0.2.0");
    await eventually(async () => ((await cluster.client.get(CONFIG_MAPS, `${RELEASE}-config`, { namespace })).data as Record<string, string> | undefined)?.chartVersion === "0.2.0", {
      what: "ConfigMap at 0.2.0",
      timeoutMs: FLUX_STEP_MS,
    });
    const ready = await eventually(
      async () => {
        const current = await optional<ApplicationInstance>(cluster.client, APPLICATION_INSTANCE, RELEASE);
        return condition(current, "Ready")?.status === "True" && current?.status?.observedGeneration === current?.metadata.generation ? current : undefined;
      },
      { what: "instance Ready at the new generation", timeoutMs: FLUX_STEP_MS },
    );
    expect(ready.status?.lastAppliedChart?.version).toBe("0.2.0");
    const release = await cluster.client.get<HelmRelease>(HELM_RELEASE, RELEASE, { namespace });
    expect(release.status?.history?.[0]?.chartVersion).toBe("0.2.0");
  }, FLUX_STEP_MS);

  test("a version absent from the repository: Ready=False with Flux's reason, then recovery", async () => {
    await setVersion("9.9.9");
    // Settled: Flux's verdict names the missing version (its first, transient one does not).
    const failed = await eventually(
      async () => {
        const current = await optional<ApplicationInstance>(cluster.client, APPLICATION_INSTANCE, RELEASE);
        const ready = condition(current, "Ready");
        const atGeneration = current?.status?.observedGeneration === current?.metadata.generation;
        return ready?.status === "False" && atGeneration && ready.message.includes("9.9.9") ? ready : undefined;
      },
      { what: "instance Ready=False naming 9.9.9", timeoutMs: FLUX_STEP_MS },
    );
    const release = await cluster.client.get<HelmRelease>(HELM_RELEASE, RELEASE, { namespace });
    expect(failed.reason).toBe(condition(release, "Ready")!.reason);
    console.info(`flux e2e: version 9.9.9 → Ready=False/${failed.reason}: ${failed.message}`);

    await setVersion("0.2.0");
    await eventually(
      async () => {
        const current = await optional<ApplicationInstance>(cluster.client, APPLICATION_INSTANCE, RELEASE);
        return condition(current, "Ready")?.status === "True" && current?.status?.observedGeneration === current?.metadata.generation;
      },
      { what: "instance Ready again at 0.2.0", timeoutMs: FLUX_STEP_MS },
    );
  }, FLUX_STEP_MS * 2);

  test("delete: the release is uninstalled (ConfigMap gone) before the instance disappears", async () => {
    await cluster.client.delete(APPLICATION_INSTANCE, RELEASE, { namespace });
    await eventually(async () => (await optional(cluster.client, APPLICATION_INSTANCE, RELEASE)) === undefined, { what: "instance gone", timeoutMs: FLUX_STEP_MS });
    expect(await optional(cluster.client, HELM_RELEASE, RELEASE)).toBeUndefined();
    expect(await optional(cluster.client, CONFIG_MAPS, `${RELEASE}-config`)).toBeUndefined();
    const releaseSecrets = await cluster.client.list(SECRETS, { namespace, labelSelector: `owner=helm,name=${RELEASE}` });
    expect(releaseSecrets.items).toEqual([]);
  }, FLUX_STEP_MS);
});
