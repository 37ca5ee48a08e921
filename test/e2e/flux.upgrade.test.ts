/**
 * Upgrade end to end with the real Flux helm-controller (issue 6, docs/operations.md#helm): the compiled operator
 * runs both controllers; an Upgrade Operation moves the instance to the new chart version through the
 * instance's own reconciler and succeeds once the release is Ready there; a version the repository lacks
 * fails with HelmUpgradeFailed. The namespace, Flux and the repository live for the whole file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ApplicationInstance } from "../../src/api/applicationinstance";
import { APPLICATION_INSTANCE, OPERATION } from "../../src/api/groups";
import type { Operation } from "../../src/api/operation";
import type { KubeClient } from "../../src/kube/client";
import { classifyError } from "../../src/kube/errors";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { getCluster, REPO_ROOT, type TestCluster } from "../support/cluster";
import { eventually } from "../support/eventually";
import { fluxBinaries, serveChartRepository, startFlux, type ChartRepository, type RunningFlux } from "../support/flux";
import { deleteNamespace, GATE_LABEL, TEST_LABEL, TEST_RUN_LABEL } from "../support/namespace";
import { startOperatorBinary, type BinaryOperator } from "../support/operator";
import { installTenantClusterRole } from "../support/tenant";

const binaries = fluxBinaries();
if (!binaries) console.warn("SKIPPING test/e2e/flux.upgrade.test.ts: Flux binaries not built (VWS_FLUX_AVAILABLE=0)");

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const CONFIG_MAPS: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const FLUX_STEP_MS = 180_000;
const RELEASE = "shop";

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

function upgrade(name: string, targetVersion: string): KubeObject {
  return {
    apiVersion: "ops.vworkspace.io/v1alpha1",
    kind: "Operation",
    metadata: { name, namespace },
    spec: { targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: RELEASE }, type: "Upgrade", engine: "helm", parameters: { targetVersion } },
  };
}

function finished(name: string): Promise<Operation> {
  return eventually(
    async () => {
      const op = await optional<Operation>(cluster.client, OPERATION, name);
      return op?.status?.phase && ["Succeeded", "Failed", "Cancelled"].includes(op.status.phase) ? op : undefined;
    },
    { what: `operation ${name} finished`, timeoutMs: FLUX_STEP_MS },
  );
}

const conditionOf = (op: Operation, type: string) => op.status?.conditions?.find((candidate) => candidate.type === type);

describe.skipIf(!binaries)("real Flux: Upgrade Operation through the helm engine", () => {
  beforeAll(async () => {
    cluster = await getCluster();
    namespace = `t-flux-upgrade-${Math.random().toString(36).slice(2, 7)}`;
    const labels = { [TEST_RUN_LABEL]: cluster.runId, [TEST_LABEL]: "flux-upgrade", [GATE_LABEL.key]: GATE_LABEL.value };
    await cluster.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } });
    await installTenantClusterRole(cluster.client);
    repository = serveChartRepository({ helm: binaries!.helm, name: namespace, versions: ["0.1.0", "0.2.0"] });
    flux = await startFlux({ binaries: binaries!, kubeconfigPath: cluster.kubeconfigPath, name: namespace });
    // A short stuck window: a missing version holds Ready=False with a source reason, not a release failure.
    operator = await startOperatorBinary({
      args: [`--kubeconfig=${cluster.kubeconfigPath}`, `--watch-namespaces=${namespace}`, "--leader-elect=false", "--upgrade-stuck-after=30s"],
      logFile: `${REPO_ROOT}/.local/test-logs/flux/${namespace}/operator.log`,
    });
    await cluster.client.create(APPLICATION_INSTANCE, {
      apiVersion: "apps.vworkspace.io/v1alpha1",
      kind: "ApplicationInstance",
      metadata: { name: RELEASE, namespace, annotations: { "ops.vworkspace.io/upgrade": "helm" } },
      spec: {
        appRef: { catalogId: "vws-test" },
        chart: { sourceType: "helm", url: repository.url, name: "vws-test", version: "0.1.0" },
        release: { name: RELEASE, namespace },
        values: { source: "inline", inline: { value: "a" } },
      },
    });
    await eventually(
      async () => {
        const current = await optional<ApplicationInstance>(cluster.client, APPLICATION_INSTANCE, RELEASE);
        const ready = current?.status?.conditions?.find((c) => c.type === "Ready");
        return ready?.status === "True" && current?.status?.lastAppliedChart?.version === "0.1.0";
      },
      { what: "instance Ready at 0.1.0", timeoutMs: FLUX_STEP_MS },
    );
  }, FLUX_STEP_MS * 2);

  afterAll(async () => {
    // Operations and the instance carry the operator's finalizers: delete them while it runs.
    for (const name of ["to-0-2-0", "to-9-9-9"]) await cluster.client.delete(OPERATION, name, { namespace }).catch(() => undefined);
    await cluster.client.delete(APPLICATION_INSTANCE, RELEASE, { namespace }).catch(() => undefined);
    await eventually(async () => (await optional(cluster.client, APPLICATION_INSTANCE, RELEASE)) === undefined, { what: "instance deleted", timeoutMs: FLUX_STEP_MS }).catch(() => undefined);
    expect(await operator?.stop()).toBe(0);
    await flux?.stop();
    repository?.stop();
    await deleteNamespace(cluster.client, namespace);
  }, FLUX_STEP_MS * 2);

  test("Upgrade to 0.2.0: the instance moves to the new chart version and the Operation succeeds", async () => {
    await cluster.client.create(OPERATION, upgrade("to-0-2-0", "0.2.0"));
    const op = await finished("to-0-2-0");
    expect(op.status?.phase).toBe("Succeeded");
    expect(conditionOf(op, "Succeeded")).toMatchObject({ status: "True", reason: "HelmUpgradeSucceeded" });
    expect(op.status?.outputs).toMatchObject({ previousVersion: "0.1.0", version: "0.2.0", helmReleaseName: RELEASE });

    const instance = await cluster.client.get<ApplicationInstance>(APPLICATION_INSTANCE, RELEASE, { namespace });
    expect(instance.spec.chart?.version).toBe("0.2.0");
    expect(instance.status?.lastAppliedChart?.version).toBe("0.2.0");
    expect(Number(op.status?.outputs?.targetGeneration)).toBeLessThanOrEqual(instance.metadata.generation ?? 0);
    const managers = (instance.metadata.managedFields as Array<{ manager: string }>).map((entry) => entry.manager);
    expect(managers).toContain("vworkspace-operator-upgrade");
    const configMap = await cluster.client.get(CONFIG_MAPS, `${RELEASE}-config`, { namespace });
    expect(configMap.data).toEqual({ chartVersion: "0.2.0", value: "a" });
  }, FLUX_STEP_MS);

  test("Upgrade to a version the repository lacks: Failed with HelmUpgradeFailed naming the instance's reason", async () => {
    await cluster.client.create(OPERATION, upgrade("to-9-9-9", "9.9.9"));
    const op = await finished("to-9-9-9");
    expect(op.status?.phase).toBe("Failed");
    const failed = conditionOf(op, "Failed");
    expect(failed).toMatchObject({ status: "True", reason: "HelmUpgradeFailed" });
    expect(failed?.message).toStartWith("ApplicationInstance Ready=False ");
    console.info(`flux upgrade e2e: 9.9.9 → ${failed?.message}`);
    // Failure does not revert: the instance keeps the requested version until a new Upgrade.
    const instance = await cluster.client.get<ApplicationInstance>(APPLICATION_INSTANCE, RELEASE, { namespace });
    expect(instance.spec.chart?.version).toBe("9.9.9");
  }, FLUX_STEP_MS);
});
