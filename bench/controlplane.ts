/**
 * bench/controlplane: the cost of job security on the agent's side and the reference control plane's own
 * throughput, so the pull path's budget is known before the cluster is involved.
 *  1. verifyJobSignature / decryptJobPayload p50/p99 on realistic ApplicationInstance intents (target: verify ≤ 1 ms p99).
 *  2. 1,000 jobs through the plane over loopback HTTP by a sequential agent loop (poll → ack → result), signed
 *     and unsigned: jobs/s and per-job p50/p99 from delivery to the result's 204.
 *  3. Events ingest: batches of 100 ConditionTransition events, events/s.
 * Usage: bun bench/controlplane.ts [--jobs=1000] [--verify=2000]
 */
import { importJWK } from "jose";
import { registerCluster, startRefControlPlane } from "../test/support/controlplane";
import { AGENT_MEDIA_TYPE } from "../src/protocol/endpoints";
import { decryptJobPayload, encryptJobPayload } from "../src/security/jwe";
import { signJob, verifyJobSignature } from "../src/security/jws";
import { generateClusterKeypair, generateSigningKey } from "../src/security/keys";
import { parseTrustedKeys } from "../src/security/trusted-keys";

const flag = (name: string, fallback: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const JOBS = Number(flag("jobs", "1000"));
const VERIFY = Number(flag("verify", "2000"));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summary(latencies: number[]): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(3)} ms, p99 ${percentile(sorted, 99).toFixed(3)} ms`;
}

function instanceIntent(i: number): Record<string, unknown> {
  return {
    intent: "ensure-application-instance",
    applicationInstance: {
      apiVersion: "apps.vworkspace.io/v1alpha1",
      kind: "ApplicationInstance",
      metadata: { name: `bench-${i}`, namespace: "team-bench", labels: { tier: "web" } },
      spec: {
        appRef: { catalogId: "nextcloud", version: "29.0.1" },
        chart: { sourceType: "helm", url: "https://charts.example.com", name: "nextcloud", version: "5.2.0" },
        release: { name: `bench-${i}`, namespace: "team-bench" },
        values: { source: "inline", inline: { replicas: 1, ingress: { enabled: true, host: `bench-${i}.example.com` }, resources: { requests: { cpu: "100m", memory: "256Mi" } } } },
      },
    },
  };
}

async function securityCost(): Promise<void> {
  const signing = await generateSigningKey();
  const privateKey = await importJWK(signing.privateJwk, "EdDSA");
  const trustedKeys = parseTrustedKeys({ keys: [signing.publicJwk] });
  const cluster = await generateClusterKeypair();
  const now = new Date();
  const jobs: Record<string, unknown>[] = [];
  for (let i = 0; i < VERIFY; i++) {
    const job: Record<string, unknown> = { id: `job-${i}`, kind: "intent", createdAt: now.toISOString(), encryptedPayload: await encryptJobPayload(instanceIntent(i), cluster.publicJwk) };
    job.signature = await signJob(job, { privateKey, kid: signing.kid, alg: "EdDSA", clusterId: "bench", iat: Math.floor(now.getTime() / 1000) });
    jobs.push(job);
  }
  const options = { trustedKeys, clusterId: "bench", now, maxAgeSeconds: 86_400, clockSkewSeconds: 60 };
  const verify: number[] = [];
  const decrypt: number[] = [];
  // Warm-up: JIT and the imported-key cache, as in a running agent.
  for (const job of jobs.slice(0, 200)) await verifyJobSignature(job, options);
  for (const job of jobs) {
    const t0 = performance.now();
    const verdict = await verifyJobSignature(job, options);
    const t1 = performance.now();
    await decryptJobPayload(job.encryptedPayload as string, cluster);
    const t2 = performance.now();
    if (!verdict.valid) throw new Error(`bench job failed verification: ${verdict.cause}`);
    verify.push(t1 - t0);
    decrypt.push(t2 - t1);
  }
  const verifyP99 = percentile([...verify].sort((a, b) => a - b), 99);
  console.log(`verify  (${VERIFY} signed intents): ${summary(verify)}  → target ≤ 1 ms p99: ${verifyP99 <= 1 ? "met" : "MISSED"} (ratio ${(verifyP99 / 1).toFixed(2)})`);
  console.log(`decrypt (${VERIFY} encrypted intents): ${summary(decrypt)}`);
}

async function agentLoop(sign: boolean): Promise<void> {
  const plane = await startRefControlPlane({ settings: { rateLimitPerSecond: 0, maxJobsPerPoll: 50 } });
  try {
    const { clusterId, token } = await registerCluster(plane);
    for (let i = 0; i < JOBS; i++) await plane.admin.enqueueJob(clusterId, { kind: "intent", payload: instanceIntent(i) }, { sign });
    const headers = { Authorization: `Bearer ${token}`, Accept: AGENT_MEDIA_TYPE };
    const post = (path: string, body?: unknown) =>
      fetch(`${plane.url}${path}`, { method: "POST", headers: body === undefined ? headers : { ...headers, "Content-Type": AGENT_MEDIA_TYPE }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const perJob: number[] = [];
    let done = 0;
    const started = performance.now();
    while (done < JOBS) {
      const poll = await fetch(`${plane.url}/api/agent/jobs?cluster=${clusterId}&wait=0`, { headers });
      const delivered = performance.now();
      const { jobs } = (await poll.json()) as { jobs: { id: string }[] };
      for (const job of jobs) {
        const ack = await post(`/api/agent/jobs/${job.id}/ack`);
        const result = await post(`/api/agent/jobs/${job.id}/result`, { outcome: "succeeded", timestamp: new Date().toISOString() });
        if (ack.status !== 204 || result.status !== 204) throw new Error(`job ${job.id}: ack ${ack.status}, result ${result.status}`);
        perJob.push(performance.now() - delivered);
        done++;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`plane, ${sign ? "signed  " : "unsigned"} ${JOBS} jobs: ${(JOBS / seconds).toFixed(0)} jobs/s; delivery→result ${summary(perJob)} (includes waiting behind earlier jobs of the same poll)`);
  } finally {
    await plane.stop();
  }
}

async function eventsIngest(): Promise<void> {
  const plane = await startRefControlPlane({ settings: { rateLimitPerSecond: 0 } });
  try {
    const { token } = await registerCluster(plane);
    const batches = 100;
    const started = performance.now();
    for (let b = 0; b < batches; b++) {
      const events = Array.from({ length: 100 }, (_, i) => ({
        eventKey: `condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/team-bench/app-${b}-${i}/uid/Ready/True@1`,
        kind: "ConditionTransition",
        resourceRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", namespace: "team-bench", name: `app-${b}-${i}`, uid: "uid", generation: 1 },
        conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "", lastTransitionTime: new Date().toISOString() }],
        timestamp: new Date().toISOString(),
      }));
      const response = await fetch(`${plane.url}/api/agent/events`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, Accept: AGENT_MEDIA_TYPE, "Content-Type": AGENT_MEDIA_TYPE },
        body: JSON.stringify({ events }),
      });
      if (response.status !== 204) throw new Error(`events batch ${b}: ${response.status}`);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`plane, events ingest: ${((batches * 100) / seconds).toFixed(0)} events/s (${batches} batches of 100, deduped by key)`);
  } finally {
    await plane.stop();
  }
}

await securityCost();
await agentLoop(false);
await agentLoop(true);
await eventsIngest();
