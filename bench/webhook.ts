/**
 * bench/webhook: AdmissionReview latency p50/p99 at a fixed request rate, directly against the admission
 * server and end to end through the API server (create of a valid ApplicationInstance, then its delete),
 * next to the API server's latency for the same write with the webhook configuration removed, and the
 * floor: a bare Bun TLS server (bench/lib/tls-floor.ts) answering a fixed review with the same certificate,
 * and the admission handler alone in this process (no socket), its facts answered as from warm caches.
 * Targets: p99 ≤ 1 ms directly (issue 14; issue 4 had 2 ms); through the API server ≤ 1 ms added to the
 * no-webhook p99. The server is the compiled binary in its own process, so the load generator never shares
 * its event loop; direct and floor alternate in --rounds slices so both see the same machine load.
 * Usage: bun bench/webhook.ts [--rate=200] [--seconds=30] [--rounds=3]; VWS_WEBHOOK_BINARY=<path> measures
 * another build of the operator (e.g. an older commit's) instead of dist/.
 */
import { resolve } from "node:path";
import { APPLICATION_INSTANCE } from "../src/api/groups";
import { KubeClient } from "../src/kube/client";
import { connectionFrom, resolveKubeConfig } from "../src/kube/config";
import { classifyError } from "../src/kube/errors";
import type { KubeObject, ResourceType } from "../src/kube/types";
import { freePort } from "../scripts/lib/ports";
import { eventually } from "../test/support/eventually";
import { startOperatorBinary, type BinaryOperator } from "../test/support/operator";
import { applicationInstanceWebhook } from "../src/webhook/applicationinstance";
import { certificatesFromSecret, SECRET_TYPE } from "../src/webhook/cert-secret";
import { admissionApp } from "../src/webhook/app";
import { DEFAULT_WEBHOOK_CONFIG } from "../src/webhook/config";
import { createLogger } from "../src/observability/logger";
import { OperatorMetrics } from "../src/observability/metrics";
import { VALIDATING_WEBHOOK_CONFIGURATION } from "../src/webhook/configuration";

const ROOT = resolve(import.meta.dir, "..");
const KUBECONFIG = process.env.KUBECONFIG ?? resolve(ROOT, ".local/cluster/kubeconfig");
const flag = (name: string, fallback: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const rate = Number(flag("rate", "200"));
const seconds = Number(flag("seconds", "30"));
const rounds = Math.max(1, Number(flag("rounds", "3")));

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const BENCH_LABEL = "vworkspace.io/bench";
const SYSTEM = "vws-bench-webhook-system";
const TARGET = "vws-bench-webhook";
const CONFIG_NAME = "vws-bench-webhook";

const connection = connectionFrom(resolveKubeConfig({ kubeconfigPath: KUBECONFIG }));
const client = new KubeClient({ connection });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Latencies {
  latencies: number[];
  errors: number;
}

/** Open loop: starts one operation every 1/rate s regardless of how long earlier ones take. */
async function atRate(operation: (i: number) => Promise<void>, forSeconds = seconds, into: Latencies = { latencies: [], errors: 0 }): Promise<{ p50: number; p99: number; errors: number }> {
  const { latencies } = into;
  const total = rate * forSeconds;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    const begin = performance.now();
    pending.push(operation(i).then(() => void latencies.push(performance.now() - begin), (err: unknown) => {
      if (into.errors++ === 0) console.warn(`first error: ${(err as Error).message}`);
    }));
  }
  await Promise.all(pending);
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors: into.errors };
}

/** POSTs one AdmissionReview and reads the answer. */
function reviewPoster(url: string, review: string, caPem: string | undefined): () => Promise<void> {
  return async () => {
    const response = await fetch(url, { method: "POST", body: review, headers: { "content-type": "application/json" }, tls: { ca: caPem } });
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    await response.arrayBuffer();
  };
}

/** bench/lib/tls-floor.ts in its own process with the operator's serving certificate. */
async function startFloor(certPem: string, keyPem: string): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = Bun.spawn([process.execPath, resolve(import.meta.dir, "lib/tls-floor.ts"), String(port)], {
    env: { ...process.env, VWS_FLOOR_CERT: certPem, VWS_FLOOR_KEY: keyPem },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  const first = await reader.read();
  if (!new TextDecoder().decode(first.value).includes("ready")) throw new Error("tls-floor did not start");
  return {
    port,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** Creates the namespace, first waiting out a previous run's namespace that is still terminating. */
async function ensureNamespace(name: string, labels: Record<string, string>): Promise<void> {
  for (;;) {
    try {
      await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
      return;
    } catch (err) {
      if (classifyError(err) !== "alreadyExists") throw err;
    }
    const existing = await client.get(NAMESPACES, name);
    if (!existing.metadata.deletionTimestamp) return;
    await Bun.sleep(500);
  }
}

function instance(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name, namespace: TARGET, labels },
    spec: {
      appRef: { catalogId: "bench" },
      chart: { sourceType: "helm", url: "https://charts.example.com", name: "bench", version: "1.0.0" },
      release: { name, namespace: TARGET },
      values: { source: "inline", inline: { replicas: 1, nested: { list: [1, 2, 3] } } },
    },
  };
}

async function createThenDelete(i: number, prefix: string): Promise<void> {
  const name = `${prefix}-${i}`;
  await client.create(APPLICATION_INSTANCE, instance(name));
  await client.delete(APPLICATION_INSTANCE, name, { namespace: TARGET });
}

/** Polls until a known-bad dry-run create meets (or no longer meets) the webhook. */
async function webhookInPath(expected: boolean): Promise<void> {
  for (;;) {
    const denied = await client.create(APPLICATION_INSTANCE, instance("probe", { "app.vworkspace.io/cluster-id": "other" }), { dryRun: true }).then(() => false, () => true);
    if (denied === expected) return;
    await Bun.sleep(200);
  }
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

/** The handler alone: `count` reviews through the admission app back to back, the namespace gate a cache hit. */
async function handlerAlone(review: string, count = 20_000): Promise<{ p50: number; p99: number }> {
  const app = admissionApp({
    webhooks: [applicationInstanceWebhook],
    facts: { namespaceGated: () => true, namespaceLabels: async () => ({}), clusterId: () => "bench" },
    handlerTimeoutMs: DEFAULT_WEBHOOK_CONFIG.handlerTimeoutMs,
    metrics: new OperatorMetrics(),
    logger: createLogger({ level: "silent" }),
  });
  const post = async () => {
    const response = await app.request(applicationInstanceWebhook.path, { method: "POST", body: review, headers: { "content-type": "application/json" } });
    if (response.status !== 200 || !(await response.text()).includes('"allowed":true')) throw new Error(`handler answered ${response.status}`);
  };
  for (let i = 0; i < 1_000; i++) await post();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await post();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

await ensureNamespace(SYSTEM, {});
await ensureNamespace(TARGET, { "managed-by": "vworkspace", [BENCH_LABEL]: "webhook" });
const port = await freePort();
let operator: BinaryOperator | undefined;
try {
  operator = await startOperatorBinary({
    ...(process.env.VWS_WEBHOOK_BINARY ? { binary: process.env.VWS_WEBHOOK_BINARY } : {}),
    args: [
      `--kubeconfig=${KUBECONFIG}`,
      `--namespace=${SYSTEM}`,
      "--cluster-id=bench",
      "--webhooks-enabled=true",
      "--webhook-host=127.0.0.1",
      `--webhook-port=${port}`,
      "--webhook-url-host=127.0.0.1",
      `--webhook-config-name=${CONFIG_NAME}`,
      `--webhook-namespace-selector=${BENCH_LABEL}=webhook`,
      // The controllers watch only the (empty) system namespace: the bench's instances must stay unreconciled.
      `--watch-namespaces=${SYSTEM}`,
    ],
    logFile: resolve(ROOT, ".local/test-logs/bench/webhook-operator.log"),
  });
  const certs = await eventually(async () => {
    const secret = await client.get(SECRET_TYPE, DEFAULT_WEBHOOK_CONFIG.certSecret, { namespace: SYSTEM }).catch(() => undefined);
    return secret && certificatesFromSecret(secret);
  }, { what: "webhook certificate Secret", timeoutMs: 30_000 });
  await webhookInPath(true);

  const review = JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: { uid: "bench", kind: { group: "apps.vworkspace.io", version: "v1alpha1", kind: "ApplicationInstance" }, operation: "CREATE", namespace: TARGET, object: instance("direct") },
  });
  const alone = await handlerAlone(review);
  const floorServer = await startFloor(certs.certPem, certs.keyPem);
  const directPost = reviewPoster(`https://127.0.0.1:${port}${applicationInstanceWebhook.path}`, review, certs.caPem);
  const floorPost = reviewPoster(`https://127.0.0.1:${floorServer.port}${applicationInstanceWebhook.path}`, review, certs.caPem);
  const directRuns: Latencies = { latencies: [], errors: 0 };
  const floorRuns: Latencies = { latencies: [], errors: 0 };
  let direct = { p50: 0, p99: 0, errors: 0 };
  let floor = { p50: 0, p99: 0, errors: 0 };
  // Warm both connections first, then alternate slices so a burst of machine load hits both alike.
  await atRate(directPost, 1);
  await atRate(floorPost, 1);
  for (let round = 0; round < rounds; round++) {
    direct = await atRate(directPost, seconds / rounds, directRuns);
    floor = await atRate(floorPost, seconds / rounds, floorRuns);
  }
  await floorServer.stop();
  const withWebhook = await atRate((i) => createThenDelete(i, "with"));
  await client.delete(VALIDATING_WEBHOOK_CONFIGURATION, CONFIG_NAME);
  await webhookInPath(false);
  const without = await atRate((i) => createThenDelete(i, "without"));

  console.log(`bench/webhook: ${rate} req/s for ${seconds} s`);
  console.log(`  direct AdmissionReview            p50 ${fmt(direct.p50)}  p99 ${fmt(direct.p99)}  errors ${direct.errors}   (target p99 ≤ 1 ms: ${direct.p99 <= 1 ? "met" : "NOT met"})`);
  console.log(`  floor: bare Bun TLS, fixed answer p50 ${fmt(floor.p50)}  p99 ${fmt(floor.p99)}  errors ${floor.errors}`);
  console.log(`  admission code's share            p50 ${fmt(direct.p50 - floor.p50)}  p99 ${fmt(direct.p99 - floor.p99)}`);
  console.log(`  handler alone, in process         p50 ${fmt(alone.p50)}  p99 ${fmt(alone.p99)}   (20,000 reviews back to back, no socket)`);
  console.log(`  create+delete via API, webhook    p50 ${fmt(withWebhook.p50)}  p99 ${fmt(withWebhook.p99)}  errors ${withWebhook.errors}`);
  console.log(`  create+delete via API, no webhook p50 ${fmt(without.p50)}  p99 ${fmt(without.p99)}  errors ${without.errors}`);
  console.log(`  added p99                         ${fmt(withWebhook.p99 - without.p99)}   (target ≤ 1 ms)`);
} finally {
  await client.delete(VALIDATING_WEBHOOK_CONFIGURATION, CONFIG_NAME).catch(() => undefined);
  await operator?.stop();
  await Promise.all([SYSTEM, TARGET].map((name) => client.delete(NAMESPACES, name).catch(() => undefined)));
}
