/**
 * bench/operations (issue 6): N Backup Operations (velero engine) across M gated namespaces, the compiled
 * operator running, and a simulated Velero in this process that completes each Backup 100 ms after it
 * appears. Prints the time until every Operation is Succeeded against the time the simulated engine itself
 * needs alone (N Backups created directly, no operator, same concurrency, completed the same way), their
 * ratio (target ≥ 0.8), and the operator's RSS. The engine's span inside the operator run is printed for
 * context only: the operator paces it, so it cannot serve as the baseline.
 * Usage: bun bench/operations.ts [--n=500] [--namespaces=50] [--concurrency=32] [--workers=4] [--engine-ms=100]
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { APPLICATION_INSTANCE, OPERATION } from "../src/api/groups";
import type { Operation } from "../src/api/operation";
import { VELERO_BACKUP } from "../src/engines/common/resources";
import { KubeClient } from "../src/kube/client";
import { connectionFrom, resolveKubeConfig } from "../src/kube/config";
import { Informer } from "../src/kube/informer";
import type { KubeObject, ResourceType } from "../src/kube/types";
import { deleteNamespace } from "../test/support/namespace";
import { startOperatorBinary, type BinaryOperator } from "../test/support/operator";

const ROOT = resolve(import.meta.dir, "..");
const KUBECONFIG = process.env.KUBECONFIG ?? resolve(ROOT, ".local/cluster/kubeconfig");
const flag = (name: string, fallback: string) => Number(process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const n = flag("n", "500");
const namespaceCount = flag("namespaces", "50");
const concurrency = flag("concurrency", "32");
const workers = flag("workers", "4");
const engineMs = flag("engine-ms", "100");

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const BENCH_LABEL = "vworkspace.io/bench";
const MAX_HTTP_REQUESTS = 2048;
const client = new KubeClient({ connection: connectionFrom(resolveKubeConfig({ kubeconfigPath: KUBECONFIG })) });
const run = Math.random().toString(36).slice(2, 7);
const runLabel = `operations-${run}`;
const namespaces = Array.from({ length: namespaceCount }, (_, i) => `vws-bench-ops-${run}-${i}`);
const veleroNamespace = `vws-bench-ops-${run}-velero`;
const namespaceOf = (i: number) => namespaces[i % namespaceCount]!;

async function inParallel(count: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await work(next++);
  }));
}

/**
 * Plays Velero: every Backup without a phase is completed `engineMs` after this process first sees it.
 * `onCompleted` fires with the name once the completion was written.
 */
function simulatedVelero(signal: AbortSignal, onCompleted: (name: string) => void, onSeen: () => void = () => undefined): Informer {
  const informer = new Informer({ api: client, type: VELERO_BACKUP, watcher: { namespace: veleroNamespace, resyncMs: 0 } });
  const scheduled = new Set<string>();
  const schedule = (backup: KubeObject) => {
    const name = backup.metadata.name;
    if (scheduled.has(name) || (backup.status as { phase?: string } | undefined)?.phase) return;
    scheduled.add(name);
    onSeen();
    setTimeout(() => {
      const now = new Date().toISOString();
      const status = { phase: "Completed", startTimestamp: now, completionTimestamp: now };
      client
        .patch(VELERO_BACKUP, name, { type: "merge", body: { status } }, { namespace: veleroNamespace, signal })
        .then(() => onCompleted(name))
        .catch((err: unknown) => {
          if (!signal.aborted) console.error(`simulated Velero: completing ${name} failed: ${(err as Error).message}`);
        });
    }, engineMs);
  };
  informer.addHandlers({ add: schedule, update: (_previous, current) => schedule(current) });
  informer.start(signal);
  return informer;
}

/** Resolves once `count` distinct names were reported; rejects on the first failure. */
function counter(count: number): { report(name: string): void; fail(reason: string): void; done: Promise<void> } {
  const seen = new Set<string>();
  let settle: { resolve(): void; reject(err: Error): void } = { resolve: () => undefined, reject: () => undefined };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  return {
    report(name) {
      seen.add(name);
      if (seen.size >= count) settle.resolve();
    },
    fail: (reason) => settle.reject(new Error(reason)),
    done,
  };
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((entry) => entry.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? Number.NaN) / 1024;
}

function target(namespace: string): KubeObject {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name: "app", namespace, annotations: { "ops.vworkspace.io/backup": "velero" } },
    spec: { appRef: { catalogId: "bench" }, mode: "placeholder" },
  };
}

function backupOperation(i: number): KubeObject {
  return {
    apiVersion: "ops.vworkspace.io/v1alpha1",
    kind: "Operation",
    metadata: { name: `backup-${i}`, namespace: namespaceOf(i), labels: { [BENCH_LABEL]: runLabel } },
    spec: {
      targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app" },
      type: "Backup",
      engine: "velero",
      parameters: { ttl: "720h" },
    },
  };
}

/** The Backup a client would create without the operator: same namespace, labels and spec shape. */
function directBackup(i: number): KubeObject {
  return {
    apiVersion: "velero.io/v1",
    kind: "Backup",
    metadata: { name: `direct-${i}`, namespace: veleroNamespace, labels: { [BENCH_LABEL]: runLabel } },
    spec: { includedNamespaces: [namespaceOf(i)], storageLocation: "default", ttl: "720h" },
  };
}

const stop = new AbortController();
for (const name of [...namespaces, veleroNamespace]) {
  const gate: Record<string, string> = name === veleroNamespace ? {} : { "managed-by": "vworkspace" };
  await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { ...gate, [BENCH_LABEL]: "operations" } } });
}
let operator: BinaryOperator | undefined;
try {
  await inParallel(namespaceCount, (i) => client.create(APPLICATION_INSTANCE, target(namespaces[i]!)));
  operator = await startOperatorBinary({
    args: [`--kubeconfig=${KUBECONFIG}`, `--watch-namespaces=${[...namespaces, veleroNamespace].join(",")}`, `--workers=${workers}`, `--velero-namespace=${veleroNamespace}`],
    // One watch per (kind, namespace): ~12 kinds × 51 namespaces exceed Bun's default of 256 concurrent fetches,
    // and then no ordinary request gets a connection. Production watches all namespaces (one watch per kind).
    env: { BUN_CONFIG_MAX_HTTP_REQUESTS: String(MAX_HTTP_REQUESTS) },
    logFile: resolve(ROOT, ".local/test-logs/bench/operations-operator.log"),
  });

  // With the operator: Operations in, Succeeded out.
  const succeeded = counter(n);
  const operations = new Informer<Operation>({ api: client, type: OPERATION, watcher: { labelSelector: `${BENCH_LABEL}=${runLabel}`, resyncMs: 0 } });
  const observe = (op: Operation) => {
    if (op.status?.phase === "Succeeded") succeeded.report(`${op.metadata.namespace}/${op.metadata.name}`);
    else if (op.status?.phase === "Failed" || op.status?.phase === "Cancelled") succeeded.fail(`operation ${op.metadata.namespace}/${op.metadata.name} ended ${op.status.phase}`);
  };
  operations.addHandlers({ add: observe, update: (_previous, current) => observe(current) });
  operations.start(stop.signal);
  const engine = { firstSeen: Number.NaN, lastCompleted: Number.NaN };
  const velero = simulatedVelero(
    stop.signal,
    () => (engine.lastCompleted = performance.now()),
    () => (engine.firstSeen = Number.isNaN(engine.firstSeen) ? performance.now() : engine.firstSeen),
  );
  await Promise.all([operations.waitForSync(), velero.waitForSync()]);
  const operatorStarted = performance.now();
  await inParallel(n, (i) => client.create(OPERATION, backupOperation(i)));
  await succeeded.done;
  const operatorSeconds = (performance.now() - operatorStarted) / 1000;
  const engineSpanSeconds = (engine.lastCompleted - engine.firstSeen) / 1000;
  const rss = rssMiB(operator.process.pid);
  await velero.stop();

  // The simulated engine alone: the same number of Backups created directly, completed the same way.
  const completed = counter(n);
  const direct = simulatedVelero(stop.signal, (name) => name.startsWith("direct-") && completed.report(name));
  await direct.waitForSync();
  const engineStarted = performance.now();
  await inParallel(n, (i) => client.create(VELERO_BACKUP, directBackup(i)));
  await completed.done;
  const engineSeconds = (performance.now() - engineStarted) / 1000;

  console.log(`operations: ${n} Backups in ${namespaceCount} namespaces, client concurrency ${concurrency}, operator workers ${workers}, simulated Velero ${engineMs} ms per Backup, operator BUN_CONFIG_MAX_HTTP_REQUESTS=${MAX_HTTP_REQUESTS}`);
  console.log(`operator: all Operations Succeeded after ${operatorSeconds.toFixed(1)} s (${(n / operatorSeconds).toFixed(0)}/s)`);
  console.log(`simulated engine alone: ${n} Backups created directly, no operator, all Completed after ${engineSeconds.toFixed(1)} s (${(n / engineSeconds).toFixed(0)}/s)`);
  console.log(`ratio (engine alone / time until all Succeeded): ${(engineSeconds / operatorSeconds).toFixed(2)} (target ≥ 0.8)`);
  console.log(`context: inside the operator run the engine's span (first Backup seen → last completed) was ${engineSpanSeconds.toFixed(1)} s; the operator paces it, so it is no baseline`);
  console.log(`operator RSS with ${n} Operations: ${rss.toFixed(0)} MiB`);
} finally {
  stop.abort();
  // Operations and instances carry the operator's finalizers: delete them while it still runs.
  await inParallel(n, (i) => client.delete(OPERATION, `backup-${i}`, { namespace: namespaceOf(i) }).catch(() => undefined));
  await inParallel(namespaceCount, (i) => client.delete(APPLICATION_INSTANCE, "app", { namespace: namespaces[i]! }).catch(() => undefined));
  const deadline = performance.now() + 300_000;
  const remaining = async () =>
    (await client.list(OPERATION, { labelSelector: `${BENCH_LABEL}=${runLabel}`, limit: 1 })).items.length +
    (await Promise.all(namespaces.map(async (namespace) => (await client.list(APPLICATION_INSTANCE, { namespace, limit: 1 })).items.length))).reduce((a, b) => a + b, 0);
  while (performance.now() < deadline && (await remaining()) > 0) await Bun.sleep(500);
  await operator?.stop();
  const deletions = await Promise.allSettled([...namespaces, veleroNamespace].map((name) => deleteNamespace(client, name)));
  const stuck = deletions.filter((result) => result.status === "rejected").length;
  if (stuck > 0) console.warn(`cleanup: ${stuck} namespaces still terminating; the namespace controller will finish them`);
}
