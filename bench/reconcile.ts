/**
 * bench/reconcile (issue 3): N ApplicationInstances in gated namespaces, the compiled operator running;
 * time until every HelmRelease exists with the expected spec and every instance has its first status.
 * In the same run, a plain loop server-side-applies N equivalent HelmReleases (the API server's ceiling,
 * as the issue defines it), and a second loop makes, per instance, exactly the writes api.md requires of
 * the operator (create, finalizer, source, HelmRelease, status, two transition Events) with no watch,
 * cache or queue: the ceiling for the whole job, which shows the operator's own overhead.
 * Prints both ratios (target ≥ 0.8 of the first) and the operator's RSS at N instances (≤ 120 MiB).
 * Client and operator get the same concurrency unless told otherwise.
 * Usage: bun bench/reconcile.ts [--n=2000] [--namespaces=20] [--concurrency=32] [--workers=32]
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ApplicationInstance } from "../src/api/applicationinstance";
import { APPLICATION_INSTANCE } from "../src/api/groups";
import { TENANT_SERVICE_ACCOUNT } from "../src/api/tenant";
import { FIELD_MANAGER } from "../src/controllers/applicationinstance/children";
import { mapConditions } from "../src/controllers/applicationinstance/conditions";
import { desiredHelmRelease, desiredSource, type ManagedInstance } from "../src/controllers/applicationinstance/desired";
import { desiredStatus, transitionEvents, type AppliedRefs } from "../src/controllers/applicationinstance/status";
import { EventRecorder } from "../src/kube/events";
import { addFinalizer } from "../src/kube/owners";
import { HELM_RELEASE, HELM_REPOSITORY, type HelmRelease } from "../src/flux/types";
import { applyObject, applyStatus } from "../src/kube/apply";
import { KubeClient } from "../src/kube/client";
import { connectionFrom, resolveKubeConfig } from "../src/kube/config";
import type { KubeObject, ResourceType } from "../src/kube/types";
import { installTestCrds } from "../test/support/crds";
import { deleteNamespace } from "../test/support/namespace";
import { startOperatorBinary, type BinaryOperator } from "../test/support/operator";

const ROOT = resolve(import.meta.dir, "..");
const KUBECONFIG = process.env.KUBECONFIG ?? resolve(ROOT, ".local/cluster/kubeconfig");
const flag = (name: string, fallback: string) => Number(process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const n = flag("n", "2000");
const namespaceCount = flag("namespaces", "20");
const concurrency = flag("concurrency", "32");
const workers = flag("workers", String(concurrency));

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const client = new KubeClient({ connection: connectionFrom(resolveKubeConfig({ kubeconfigPath: KUBECONFIG })) });
const run = Math.random().toString(36).slice(2, 7);
const namespaces = Array.from({ length: namespaceCount }, (_, i) => `vws-bench-reconcile-${run}-${i}`);
const namespaceOf = (i: number) => namespaces[i % namespaceCount]!;
// Not watched by the operator: the pipeline ceiling's instances must not be reconciled.
const ceilingNamespaces = namespaces.map((name) => name.replace("reconcile", "ceiling"));
const ceilingNamespaceOf = (i: number) => ceilingNamespaces[i % namespaceCount]!;
const CHILD_SETTINGS = { helmReleaseIntervalMs: 300_000, helmReleaseTimeoutMs: 600_000, sourceIntervalMs: 600_000, clusterId: "", serviceAccountName: TENANT_SERVICE_ACCOUNT };

async function inParallel(count: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await work(next++);
  }));
}

function instance(i: number, namespace = namespaceOf(i)): KubeObject {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name: `app-${i}`, namespace },
    spec: {
      appRef: { catalogId: "bench" },
      chart: { sourceType: "helm", url: "https://charts.example.com", name: "bench", version: "1.0.0" },
      release: { name: `app-${i}`, namespace },
      values: { source: "inline", inline: { replicas: 1 } },
    },
  };
}

/**
 * What the operator writes for one instance, applied directly (no ownerReference: there is no owner), into
 * a namespace the operator does not watch, so its label cannot wake the operator during the ceiling loop.
 */
function ceilingHelmRelease(i: number): KubeObject {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: `ceiling-${i}`, namespace: ceilingNamespaceOf(i), labels: { "app.vworkspace.io/managed-by": "vworkspace-operator", "app.vworkspace.io/application-instance": `ceiling-${i}` } },
    spec: {
      interval: "5m0s",
      timeout: "10m0s",
      suspend: false,
      install: { remediation: { retries: 3 } },
      upgrade: { remediation: { retries: 3, strategy: "rollback" } },
      chart: { spec: { chart: "bench", version: "1.0.0", sourceRef: { kind: "HelmRepository", name: `ceiling-${i}-source` } } },
      values: { replicas: 1 },
    },
  };
}

/** Every write api.md requires for one new instance, made directly, in the operator's order. */
async function pipelineWrites(i: number, events: EventRecorder): Promise<void> {
  const created = (await client.create(APPLICATION_INSTANCE, instance(i, ceilingNamespaceOf(i)))) as ApplicationInstance;
  const current = await addFinalizer(client, APPLICATION_INSTANCE, created, APPLICATION_INSTANCE.finalizer);
  const managed = current as ManagedInstance;
  const source = desiredSource(managed, CHILD_SETTINGS);
  await applyObject(client, source.type, source.body, { fieldManager: FIELD_MANAGER, force: true });
  const release = desiredHelmRelease(managed, CHILD_SETTINGS);
  const helmRelease = await applyObject<HelmRelease>(client, release.type, release.body, { fieldManager: FIELD_MANAGER, force: true });
  const now = Date.now();
  const conditions = mapConditions({ situation: { row: "HelmRelease", helmRelease }, previous: undefined, generation: current.metadata.generation, suspend: false, now });
  const { chart, release: releaseRef } = managed.spec;
  const refs: AppliedRefs = { kind: "applied", helmReleaseRef: { name: releaseRef.name, namespace: releaseRef.namespace }, lastAppliedChart: chart };
  await applyStatus(client, APPLICATION_INSTANCE, current, desiredStatus(current, conditions, refs, now), { fieldManager: FIELD_MANAGER, force: true });
  for (const event of transitionEvents(undefined, conditions)) events.record(current, event);
}

async function countDone(): Promise<{ releases: number; statuses: number }> {
  let releases = 0;
  let statuses = 0;
  for (const namespace of namespaces) {
    const hrs = await client.listAll<HelmRelease>(HELM_RELEASE, { namespace });
    releases += hrs.items.filter((hr) => hr.metadata.name.startsWith("app-") && hr.spec?.interval === "5m0s" && hr.spec?.chart?.spec.version === "1.0.0").length;
    const ais = await client.listAll(APPLICATION_INSTANCE, { namespace });
    statuses += ais.items.filter((ai) => (ai.status as { observedGeneration?: number } | undefined)?.observedGeneration !== undefined).length;
  }
  return { releases, statuses };
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((entry) => entry.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? Number.NaN) / 1024;
}

// The bench may be the first user of a fresh local cluster: our CRDs and Flux's must be served.
await installTestCrds(client, ROOT);
for (const name of [...namespaces, ...ceilingNamespaces]) {
  await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "managed-by": "vworkspace", "vworkspace.io/bench": "reconcile" } } });
}
let operator: BinaryOperator | undefined;
try {
  operator = await startOperatorBinary({
    args: [`--kubeconfig=${KUBECONFIG}`, `--watch-namespaces=${namespaces.join(",")}`, `--workers=${workers}`],
    logFile: resolve(ROOT, ".local/test-logs/bench/reconcile-operator.log"),
  });
  const started = performance.now();
  await inParallel(n, (i) => client.create(APPLICATION_INSTANCE, instance(i)));
  for (let done = await countDone(); done.releases < n || done.statuses < n; done = await countDone()) await Bun.sleep(250);
  const operatorSeconds = (performance.now() - started) / 1000;
  const rss = rssMiB(operator.process.pid);

  const ceilingStarted = performance.now();
  await inParallel(n, (i) => applyObject(client, HELM_RELEASE, ceilingHelmRelease(i), { fieldManager: "vws-bench", force: true }));
  const ceilingSeconds = (performance.now() - ceilingStarted) / 1000;

  const events = new EventRecorder({ client, reportingInstance: "vws-bench", maxPending: n * 2 });
  const pipelineStarted = performance.now();
  await inParallel(n, (i) => pipelineWrites(i, events));
  await events.stop();
  const pipelineSeconds = (performance.now() - pipelineStarted) / 1000;

  console.log(`instances: ${n} in ${namespaceCount} namespaces, client concurrency ${concurrency}, operator workers ${workers}`);
  console.log(`operator: all HelmReleases and first statuses after ${operatorSeconds.toFixed(1)} s (${(n / operatorSeconds).toFixed(0)}/s)`);
  console.log(`ceiling: ${n} HelmRelease applies in ${ceilingSeconds.toFixed(1)} s (${(n / ceilingSeconds).toFixed(0)}/s)`);
  console.log(`pipeline ceiling: ${n} instances' required writes made directly in ${pipelineSeconds.toFixed(1)} s (${(n / pipelineSeconds).toFixed(0)}/s)`);
  console.log(`ratio (operator throughput / HelmRelease-apply ceiling): ${(ceilingSeconds / operatorSeconds).toFixed(2)} (target ≥ 0.8)`);
  console.log(`ratio (operator throughput / pipeline ceiling): ${(pipelineSeconds / operatorSeconds).toFixed(2)}`);
  console.log(`operator RSS at ${n} instances: ${rss.toFixed(0)} MiB (target ≤ 120 MiB)`);
} finally {
  // The operator must outlive the instances (it removes their finalizers); deleting them before their
  // namespaces keeps it from re-applying children the namespace controller is busy removing.
  await inParallel(n, (i) => client.delete(APPLICATION_INSTANCE, `app-${i}`, { namespace: namespaceOf(i) }).catch(() => undefined));
  const deadline = performance.now() + 300_000;
  for (const namespace of namespaces) {
    while (performance.now() < deadline && (await client.list(APPLICATION_INSTANCE, { namespace, limit: 1 })).items.length > 0) await Bun.sleep(250);
  }
  // Nothing reconciles the ceilings' objects: they go by hand, faster than the namespace controller would.
  const remove = (type: ResourceType, name: string, namespace: string) => client.delete(type, name, { namespace }).catch(() => undefined);
  await inParallel(n, async (i) => {
    const namespace = ceilingNamespaceOf(i);
    await client.patch(APPLICATION_INSTANCE, `app-${i}`, { type: "merge", body: { metadata: { finalizers: null } } }, { namespace }).catch(() => undefined);
    await Promise.all([
      remove(APPLICATION_INSTANCE, `app-${i}`, namespace),
      remove(HELM_RELEASE, `app-${i}`, namespace),
      remove(HELM_REPOSITORY, `app-${i}-source`, namespace),
      remove(HELM_RELEASE, `ceiling-${i}`, namespace),
    ]);
  });
  await Promise.all([...namespaces, ...ceilingNamespaces].map((name) => deleteNamespace(client, name)));
  await operator?.stop();
}
