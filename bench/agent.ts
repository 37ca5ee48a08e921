/**
 * bench/agent (issue 5): the pull agent against the reference control plane and the local cluster.
 * 1. N `apply` jobs of ApplicationInstances through the plane, signatures verified (enforce) and off:
 *    applied jobs/s and p50/p99 from ack (the agent's first step after delivery) to the result it posts;
 *    then enforce again with `--agent-job-concurrency=1` (jobs one by one, as before issue 14) in the same
 *    run, so the overlap's gain is a ratio measured under the same machine load.
 * 2. Signature verification alone (the pipeline's check) per job: p50/p99; and the ceiling the API server
 *    sets: the same N server-side applies sent straight from this process, as many in flight as the agent.
 * 3. Events/s delivered by the event sender to the plane.
 * Targets: verification adds ≤ 1 ms p99; ≥ 250 applied jobs/s with signatures enforced (issue 14).
 * Usage: bun bench/agent.ts [--jobs=1000] [--events=10000] [--concurrency=8]
 */
import { resolve } from "node:path";
import { importJWK } from "jose";
import { Registry } from "prom-client";
import { agentConfig } from "../test/integration/agent/harness";
import { DEFAULT_AGENT_CONFIG } from "../src/agent/config";
import { credentialsFromSecret, CredentialsProvider, type Secret } from "../src/agent/credentials/credentials";
import { EventSender } from "../src/agent/status/event-sender";
import { AgentMetrics } from "../src/observability/agent-metrics";
import { AgentState } from "../src/agent/transport/state";
import { AgentTransport } from "../src/agent/transport/transport";
import { APPLICATION_INSTANCE, CLUSTER } from "../src/api/groups";
import { applyObject } from "../src/kube/apply";
import { clusterController } from "../src/controllers/cluster/controller";
import { SECRET } from "../src/controllers/cluster/secrets";
import { KubeClient } from "../src/kube/client";
import { connectionFrom, resolveKubeConfig } from "../src/kube/config";
import type { KubeObject, ResourceType } from "../src/kube/types";
import { createLogger } from "../src/observability/logger";
import { generateSigningKey, signJob, verifyJobSignature, parseTrustedKeys } from "../src/security";
import { startRefControlPlane } from "../test/support/controlplane";
import { deleteNamespace } from "../test/support/namespace";
import { startOperatorInProcess } from "../test/support/operator";

const ROOT = resolve(import.meta.dir, "..");
const KUBECONFIG = process.env.KUBECONFIG ?? resolve(ROOT, ".local/cluster/kubeconfig");
const flag = (name: string, fallback: string) => Number(process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const jobCount = flag("jobs", "1000");
const eventCount = flag("events", "10000");
const concurrency = flag("concurrency", String(DEFAULT_AGENT_CONFIG.jobConcurrency));
const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const client = new KubeClient({ connection: connectionFrom(resolveKubeConfig({ kubeconfigPath: KUBECONFIG })) });
const quiet = createLogger({ level: "silent" });

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function instance(namespace: string, i: number): Record<string, unknown> {
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

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 600_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached`);
    await Bun.sleep(intervalMs);
  }
}

async function removeClusters(): Promise<void> {
  for (const item of (await client.list(CLUSTER)).items) {
    await client.patch(CLUSTER, item.metadata.name, { type: "merge", body: { metadata: { finalizers: null } } }).catch(() => undefined);
    await client.delete(CLUSTER, item.metadata.name).catch(() => undefined);
  }
}

interface JobsFigures {
  jobsPerSecond: number;
  p50: number;
  p99: number;
  secret?: Secret;
  url: string;
}

/** One pass: a fresh plane, namespace and operator; N jobs enqueued, all results awaited. */
async function jobsPass(signed: boolean, keepForEvents: boolean, jobConcurrency = concurrency): Promise<JobsFigures & { cleanup(): Promise<void> }> {
  const namespace = `vws-bench-agent-${Math.random().toString(36).slice(2, 7)}`;
  await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { "managed-by": "vworkspace" } } });
  const plane = await startRefControlPlane({ settings: { maxJobsPerPoll: 1000, rateLimitPerSecond: 1_000_000, signing: "ed25519" } });
  const { token } = await plane.admin.createRegistrationToken();
  await client.create(SECRET, { apiVersion: "v1", kind: "Secret", metadata: { name: "registration", namespace }, data: { registrationToken: Buffer.from(token).toString("base64") } });
  const start = () =>
    startOperatorInProcess({
      kubeconfigPath: KUBECONFIG,
      config: { watchNamespaces: [namespace], namespace, agent: agentConfig({ pollIntervalMs: 5_000, heartbeatIntervalOverrideMs: 10_000, jobConcurrency }) },
      controllers: [clusterController],
    });
  const registering = await start();
  const mode = signed ? "enforce" : "disabled";
  await client.create(CLUSTER, {
    apiVersion: "ops.vworkspace.io/v1alpha1",
    kind: "Cluster",
    metadata: { name: "bench" },
    spec: { controlPlaneEndpoint: plane.url, registrationTokenSecretRef: { name: "registration" }, security: { payloadSigning: { mode } } },
  } as KubeObject);
  const cluster = await waitFor(async () => {
    const found = await client.get(CLUSTER, "bench");
    return (found.status as { phase?: string } | undefined)?.phase === "Connected" ? found : undefined;
  }, "Cluster Connected", 60_000);
  const clusterId = (cluster.spec as { clusterId: string }).clusterId;
  // Every job is queued before the agent polls again, so the figures are the agent's, not the enqueue rate.
  await registering.stop();
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < jobCount) {
      const i = next++;
      await plane.admin.enqueueJob(clusterId, { kind: "apply", payload: instance(namespace, i) }, { sign: signed });
    }
  }));
  const running = await start();
  // The plane shares this process: probing once a second keeps the probe's listing out of the figures, which
  // come from the plane's own ack and result timestamps.
  const closed = await waitFor(async () => {
    const jobs = await plane.admin.jobs(clusterId, "closed");
    return jobs.length >= jobCount ? jobs : undefined;
  }, `${jobCount} results`, 600_000, 1_000);
  const failures = closed.filter((job) => job.result?.outcome !== "succeeded");
  if (failures.length > 0) throw new Error(`${failures.length} jobs did not succeed, e.g. ${JSON.stringify(failures[0]?.result)}`);
  const acked = closed.map((job) => Date.parse(job.ackedAt!));
  const done = closed.map((job) => Date.parse(job.result!.timestamp));
  const latencies = closed.map((job) => Date.parse(job.result!.timestamp) - Date.parse(job.ackedAt!));
  const seconds = (Math.max(...done) - Math.min(...acked)) / 1000;
  const secret = keepForEvents ? ((await client.get(SECRET, "vworkspace-agent-credentials", { namespace })) as Secret) : undefined;
  const cleanup = async () => {
    await running.stop();
    await removeClusters();
    await plane.stop();
    await deleteNamespace(client, namespace);
  };
  if (keepForEvents) await running.stop();
  return { jobsPerSecond: jobCount / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), ...(secret ? { secret } : {}), url: plane.url, cleanup };
}

/** Verification cost alone: N distinct signed envelopes checked as the pipeline does. */
async function verificationCost(): Promise<{ p50: number; p99: number }> {
  const key = await generateSigningKey();
  const privateKey = await importJWK(key.privateJwk, "EdDSA");
  const trustedKeys = parseTrustedKeys({ keys: [key.publicJwk] });
  const envelopes: Record<string, unknown>[] = [];
  for (let i = 0; i < jobCount; i++) {
    const envelope = { id: crypto.randomUUID(), kind: "apply", payload: instance("bench", i), createdAt: new Date().toISOString() };
    envelopes.push({ ...envelope, signature: await signJob(envelope, { privateKey, kid: key.kid, alg: "EdDSA", clusterId: "bench", iat: Math.floor(Date.now() / 1000) }) });
  }
  const times: number[] = [];
  for (const envelope of envelopes) {
    const started = performance.now();
    const verdict = await verifyJobSignature(envelope, { trustedKeys, clusterId: "bench", now: new Date(), maxAgeSeconds: 86_400, clockSkewSeconds: 60 });
    times.push(performance.now() - started);
    if (!verdict.valid) throw new Error(`verification failed: ${verdict.cause}`);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** The API server alone: N applies of the bench's instances, `concurrency` in flight, applies/s. */
async function applyCeiling(): Promise<number> {
  const namespace = `vws-bench-apply-${Math.random().toString(36).slice(2, 7)}`;
  await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { "managed-by": "vworkspace" } } });
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < jobCount) {
      const object = instance(namespace, next++) as unknown as KubeObject;
      await applyObject(client, APPLICATION_INSTANCE, object, { fieldManager: "vworkspace-bench" });
    }
  }));
  const perSecond = jobCount / ((performance.now() - started) / 1000);
  await deleteNamespace(client, namespace);
  return perSecond;
}

/** The event sender against the plane with the agent's real credential: events/s accepted. */
async function eventsPerSecond(secret: Secret): Promise<number> {
  const credentials = credentialsFromSecret(secret)!;
  const provider = new CredentialsProvider();
  provider.set(credentials, undefined);
  const state = new AgentState(() => ({ secretResourceVersion: undefined, clusterGeneration: undefined }));
  const metrics = new AgentMetrics(new Registry());
  const transport = new AgentTransport({ provider, state, readSecret: async () => secret, metrics, logger: quiet });
  const sender = new EventSender({
    transport,
    state,
    metrics,
    logger: quiet,
    bufferSize: eventCount,
    batchSize: DEFAULT_AGENT_CONFIG.eventBatchSize,
    flushMs: DEFAULT_AGENT_CONFIG.eventFlushMs,
    cluster: () => undefined,
    snapshot: () => [],
    onOverflowStarted: () => undefined,
    wire: (event) => event,
  });
  const stop = new AbortController();
  const loop = sender.run(stop.signal);
  await waitFor(async () => ((await metrics.resyncs.get()).values[0]?.value ?? 0) >= 1 || undefined, "startup resync");
  const started = performance.now();
  for (let i = 0; i < eventCount; i++) {
    sender.enqueue({
      eventKey: `condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/bench/app-${i}/uid-${i}/Ready/True@1`,
      kind: "ConditionTransition",
      resourceRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", namespace: "bench", name: `app-${i}`, uid: `uid-${i}`, generation: 1 },
      conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "bench" }],
      timestamp: new Date().toISOString(),
    });
  }
  await waitFor(async () => ((await metrics.eventsSent.get()).values[0]?.value ?? 0) >= eventCount || undefined, "events delivered");
  const seconds = (performance.now() - started) / 1000;
  stop.abort();
  await loop;
  return eventCount / seconds;
}

await removeClusters();
const unsigned = await jobsPass(false, false);
await unsigned.cleanup();
const signed = await jobsPass(true, true);
const events = await eventsPerSecond(signed.secret!);
await signed.cleanup();
const oneByOne = await jobsPass(true, false, 1);
await oneByOne.cleanup();
const verification = await verificationCost();
const ceiling = await applyCeiling();

const fmt = (value: number) => value.toFixed(2);
console.log(`jobs: ${jobCount} apply jobs of ApplicationInstances through the reference control plane (in-process plane and operator), ${concurrency} in flight`);
console.log(`  signatures off:      ${fmt(unsigned.jobsPerSecond)} jobs/s; ack→result p50 ${fmt(unsigned.p50)} ms, p99 ${fmt(unsigned.p99)} ms`);
console.log(`  signatures enforce:  ${fmt(signed.jobsPerSecond)} jobs/s; ack→result p50 ${fmt(signed.p50)} ms, p99 ${fmt(signed.p99)} ms`);
console.log(`  enforce, one by one: ${fmt(oneByOne.jobsPerSecond)} jobs/s; ack→result p50 ${fmt(oneByOne.p50)} ms, p99 ${fmt(oneByOne.p99)} ms (--agent-job-concurrency=1)`);
console.log(`  overlap gain (enforce): ×${fmt(signed.jobsPerSecond / oneByOne.jobsPerSecond)}`);
console.log(`  ceiling: the same ${jobCount} applies straight to the API server, ${concurrency} in flight: ${fmt(ceiling)} applies/s`);
console.log(`  p99 difference (enforce − off): ${fmt(signed.p99 - unsigned.p99)} ms (run-to-run noise included)`);
console.log(`verification alone: p50 ${fmt(verification.p50)} ms, p99 ${fmt(verification.p99)} ms per job (target p99 ≤ 1 ms: ${verification.p99 <= 1 ? "met" : "NOT met"})`);
console.log(`applied jobs/s target ≥ 250 (signatures enforced): ${signed.jobsPerSecond >= 250 ? "met" : "NOT met"}`);
console.log(`events: ${eventCount} ConditionTransition events delivered at ${fmt(events)} events/s`);
