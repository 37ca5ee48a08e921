/**
 * The file-wide frame of a real-Flux end-to-end file (docs/development.md#real-flux-end-to-end): one gated namespace, a chart
 * source, Flux and the compiled operator scoped to the namespace live for the whole file, because
 * starting Flux per test would dominate the run. afterAll deletes the file's instances while the
 * operator and Flux still run, so releases are uninstalled and finalizers go, then stops everything.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import type { ApplicationInstance } from "../../src/api/applicationinstance";
import { APPLICATION_INSTANCE } from "../../src/api/groups";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { getCluster, REPO_ROOT, type TestCluster } from "./cluster";
import { eventually } from "./eventually";
import { startFlux, type FluxBinaries, type RunningFlux } from "./flux";
import { deleteNamespace, GATE_LABEL, TEST_LABEL, TEST_RUN_LABEL } from "./namespace";
import { getIfPresent } from "./objects";
import { startOperatorBinary, type BinaryOperator } from "./operator";
import { installTenantClusterRole } from "./tenant";

/** One Flux step (fetch, install, upgrade, uninstall) on a loaded 2-core machine. */
export const FLUX_STEP_MS = 180_000;
export const CONFIG_MAPS: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
export const SECRETS: ResourceType = { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true };
const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };

/** A chart source started before Flux; `sourceEnv` reaches source-controller (e.g. SSL_CERT_FILE). */
export interface ChartSource {
  sourceEnv?: Record<string, string>;
  stop(): Promise<void> | void;
}

export interface FluxE2e {
  readonly cluster: TestCluster;
  readonly namespace: string;
  readonly operator: BinaryOperator;
  /** An object of the file's namespace, or undefined when absent. */
  get<T extends KubeObject>(type: ResourceType, name: string): Promise<T | undefined>;
  /** Waits until the instance is Ready=True at its current generation. */
  readyAtGeneration(name: string): Promise<ApplicationInstance>;
}

export function useFluxE2e(options: { slug: string; binaries: FluxBinaries | undefined; instances: readonly string[]; source(namespace: string): Promise<ChartSource> | ChartSource }): FluxE2e {
  let state: { cluster: TestCluster; namespace: string; source?: ChartSource; flux?: RunningFlux; operator?: BinaryOperator } | undefined;
  const current = () => {
    if (!state) throw new Error(`useFluxE2e(${options.slug}): used before beforeAll`);
    return state;
  };

  beforeAll(async () => {
    if (!options.binaries) throw new Error("useFluxE2e: Flux binaries not built (skip the describe when fluxBinaries() is undefined)");
    const cluster = await getCluster();
    const namespace = `t-${options.slug}-${Math.random().toString(36).slice(2, 7)}`;
    const labels = { [TEST_RUN_LABEL]: cluster.runId, [TEST_LABEL]: options.slug, [GATE_LABEL.key]: GATE_LABEL.value };
    await cluster.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } });
    state = { cluster, namespace };
    // Every HelmRelease runs as the namespace's Flux tenant, bound to the chart's ClusterRole.
    await installTenantClusterRole(cluster.client);
    state.source = await options.source(namespace);
    state.flux = await startFlux({ binaries: options.binaries, kubeconfigPath: cluster.kubeconfigPath, name: namespace, sourceEnv: state.source.sourceEnv });
    state.operator = await startOperatorBinary({
      args: [`--kubeconfig=${cluster.kubeconfigPath}`, `--watch-namespaces=${namespace}`, "--leader-elect=false"],
      logFile: `${REPO_ROOT}/.local/test-logs/flux/${namespace}/operator.log`,
    });
  }, FLUX_STEP_MS);

  afterAll(async () => {
    if (!state) return;
    const { cluster, namespace, source, flux, operator } = state;
    for (const name of options.instances) {
      await cluster.client.delete(APPLICATION_INSTANCE, name, { namespace }).catch(() => undefined);
      await eventually(async () => (await getIfPresent(cluster.client, APPLICATION_INSTANCE, name, namespace)) === undefined, { what: `${name} deleted`, timeoutMs: FLUX_STEP_MS }).catch(() => undefined);
    }
    expect(await operator?.stop()).toBe(0);
    await flux?.stop();
    await source?.stop();
    await deleteNamespace(cluster.client, namespace);
  }, FLUX_STEP_MS * 2);

  return {
    get cluster() {
      return current().cluster;
    },
    get namespace() {
      return current().namespace;
    },
    get operator() {
      const { operator } = current();
      if (!operator) throw new Error(`useFluxE2e(${options.slug}): the operator did not start`);
      return operator;
    },
    get: (type, name) => getIfPresent(current().cluster.client, type, name, current().namespace),
    readyAtGeneration: (name) =>
      eventually(
        async () => {
          const found = await getIfPresent<ApplicationInstance>(current().cluster.client, APPLICATION_INSTANCE, name, current().namespace);
          const ready = found?.status?.conditions?.find((condition) => condition.type === "Ready");
          return ready?.status === "True" && found?.status?.observedGeneration === found?.metadata.generation ? found : undefined;
        },
        { what: `${name} Ready=True at its generation`, timeoutMs: FLUX_STEP_MS },
      ),
  };
}
