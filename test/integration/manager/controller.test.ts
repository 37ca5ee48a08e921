/**
 * The controller manager in-process against the real API server, with a small reconciler defined by the
 * test: informer → queue → reconcile → status write, error backoff, requeue-after, write discipline.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import { setCondition } from "../../../src/kube/conditions";
import type { Condition, KubeObject } from "../../../src/kube/types";
import { Controller } from "../../../src/manager/controller";
import type { ControllerFactory, ManagerContext } from "../../../src/manager/operator";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { metricSum } from "../../support/metrics";
import { useNamespace } from "../../support/namespace";
import { startOperatorInProcess, type InProcessOperator } from "../../support/operator";

const ns = useNamespace({ slug: "manager-controller" });
let cluster: TestCluster;
let running: InProcessOperator | undefined;

beforeAll(async () => {
  cluster = await getCluster();
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

interface Behaviour {
  failFirst?: number;
  requeueAfterMs?: number;
}

/** Marks each instance Ready=True/Observed at its generation; optionally fails first or requeues. */
function observingController(behaviour: Behaviour, passes: Map<string, number>): ControllerFactory {
  return (context: ManagerContext) => {
    const instances = context.informers.for<KubeObject>({ type: APPLICATION_INSTANCE });
    return new Controller({
      name: "applicationinstance",
      workers: 2,
      metrics: context.metrics,
      logger: context.logger,
      reconcile: async ({ key, signal }) => {
        const pass = (passes.get(key) ?? 0) + 1;
        passes.set(key, pass);
        if (pass <= (behaviour.failFirst ?? 0)) throw new Error(`injected failure ${pass}`);
        const instance = instances.get(key);
        if (!instance) return;
        const previous = (instance.status as { conditions?: Condition[] } | undefined)?.conditions;
        const conditions = setCondition(previous, { type: "Ready", status: "True", reason: "Observed", message: "seen by the test reconciler" }, instance.metadata.generation, new Date());
        await context.status.apply(APPLICATION_INSTANCE, instance, { observedGeneration: instance.metadata.generation, conditions }, { signal });
        return behaviour.requeueAfterMs === undefined ? undefined : { requeueAfterMs: behaviour.requeueAfterMs };
      },
    }).watchPrimary(instances);
  };
}

function instance(name: string): KubeObject {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name, namespace: ns.name },
    spec: { appRef: { catalogId: "demo" }, mode: "placeholder" },
  };
}

async function start(behaviour: Behaviour, passes: Map<string, number>): Promise<InProcessOperator> {
  running = await startOperatorInProcess({
    kubeconfigPath: cluster.kubeconfigPath,
    config: { watchNamespaces: [ns.name] },
    controllers: [observingController(behaviour, passes)],
  });
  return running;
}

async function readyGeneration(name: string): Promise<number | undefined> {
  const current = await cluster.client.get(APPLICATION_INSTANCE, name, { namespace: ns.name });
  const status = current.status as { observedGeneration?: number; conditions?: Condition[] } | undefined;
  const ready = status?.conditions?.find((condition) => condition.type === "Ready" && condition.status === "True");
  return ready ? status?.observedGeneration : undefined;
}

describe("controller manager", () => {
  test("an object is reconciled, its status written once, and an unchanged re-reconcile writes nothing", async () => {
    const passes = new Map<string, number>();
    const { operator } = await start({}, passes);
    const metricsUrl = operator.metricsUrl as string;
    await cluster.client.create(APPLICATION_INSTANCE, instance("observed"));
    await eventually(async () => (await readyGeneration("observed")) === 1, { what: "status written at generation 1" });
    await eventually(async () => (await metricSum(metricsUrl, "vworkspace_operator_status_writes_total")) === 1, { what: "one status write" });

    // A metadata-only change triggers a pass but no status write: a positive sync point, then the count.
    const before = passes.get(`${ns.name}/observed`) ?? 0;
    await cluster.client.patch(APPLICATION_INSTANCE, "observed", { type: "merge", body: { metadata: { labels: { touched: "yes" } } } }, { namespace: ns.name });
    await eventually(() => (passes.get(`${ns.name}/observed`) ?? 0) > before, { what: "reconciled after the label change" });
    expect(await metricSum(metricsUrl, "vworkspace_operator_status_writes_total")).toBe(1);
    expect(await metricSum(metricsUrl, "vworkspace_operator_reconcile_total")).toBeGreaterThanOrEqual(2);

    await cluster.client.patch(APPLICATION_INSTANCE, "observed", { type: "merge", body: { spec: { suspend: true } } }, { namespace: ns.name });
    await eventually(async () => (await readyGeneration("observed")) === 2, { what: "status follows the new generation" });
  });

  test("a failing reconcile is retried with backoff until it succeeds", async () => {
    const passes = new Map<string, number>();
    const { operator } = await start({ failFirst: 2 }, passes);
    await cluster.client.create(APPLICATION_INSTANCE, instance("flaky"));
    await eventually(async () => (await readyGeneration("flaky")) === 1, { what: "status written after two failures" });
    expect(passes.get(`${ns.name}/flaky`)).toBeGreaterThanOrEqual(3);
    const metricsUrl = operator.metricsUrl as string;
    expect(await metricSum(metricsUrl, "vworkspace_operator_workqueue_retries_total")).toBeGreaterThanOrEqual(2);
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(text).toContain('vworkspace_operator_reconcile_total{controller="applicationinstance",result="error"} 2');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="applicationinstance"} 2');
  });

  test("requeue-after brings a key back without any change to the object", async () => {
    const passes = new Map<string, number>();
    await start({ requeueAfterMs: 200 }, passes);
    await cluster.client.create(APPLICATION_INSTANCE, instance("periodic"));
    await eventually(() => (passes.get(`${ns.name}/periodic`) ?? 0) >= 4, { what: "four passes from requeue-after alone" });
  });

  test("readiness lists the API server and the CRDs", async () => {
    const { operator } = await start({}, new Map());
    // Readiness follows the Cluster cache's first list, which start() does not wait for.
    const body = await eventually(async () => {
      const response = await fetch(`${operator.healthUrl}/readyz?verbose`);
      return response.status === 200 ? response.text() : undefined;
    }, { what: "/readyz answers 200" });
    expect(body).toContain("[+]apiserver ok");
    expect(body).toContain("[+]crds ok");
    expect(body).toContain("[+]cluster-identity ok");
  });
});
