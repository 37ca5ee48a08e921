/**
 * The replay ledger cannot be flushed (real API server, real agent, reference control plane, `enforce`): after a
 * signed job is applied, a burst of unsigned jobs with 9 KB ids and unsigned junk is refused without being
 * recorded, the signed job's entry stays, and replaying it is answered noop/JobReplayed with nothing re-applied.
 * A ledger holding only live signed entries at its bound refuses new jobs with a Warning Event instead.
 */
import { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { jobBytes, LEDGER_MAX_BYTES, PROCESSED_JOBS, type JobEntry } from "../../../src/agent/jobs/ledger";
import { CONFIG_MAP } from "../../../src/agent/jobs/ledger-store";
import { classifyError } from "../../../src/kube/errors";
import { getCluster, type TestCluster } from "../../support/cluster";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { clusterEvents, configMap, deleteClusters, finishAgentTest, getClusterObject, registeredAgent, resultOf, type AgentRun } from "./harness";

const ns = useNamespace({ slug: "agent-ledger" });
let cluster: TestCluster;
let plane: RefControlPlane;
let running: AgentRun | undefined;

beforeAll(async () => {
  cluster = await getCluster();
  await deleteClusters(cluster.client);
  // Many small requests in a burst: the plane's per-token rate limit is not what this test is about.
  plane = await startRefControlPlane({ settings: { rateLimitPerSecond: 10_000 } });
});

afterEach(async () => {
  const finished = running;
  running = undefined;
  await finishAgentTest(cluster, finished);
});

afterAll(async () => {
  await plane.stop();
});

async function exists(name: string): Promise<boolean> {
  try {
    await cluster.client.get(CONFIG_MAP, name, { namespace: ns.name });
    return true;
  } catch (err) {
    if (classifyError(err) === "notFound") return false;
    throw err;
  }
}

async function processedJobs(): Promise<Record<string, { at: string; state: string; signedUntil?: string }>> {
  const stored = (await cluster.client.get(CONFIG_MAP, "vworkspace-applied-jobs", { namespace: ns.name })) as { data?: Record<string, string> };
  return JSON.parse(stored.data?.["processed-jobs.json"] ?? "{}");
}

test("enforce: a flush attempt leaves the signed job's record and its replay is answered JobReplayed", async () => {
  const agent = await registeredAgent(cluster, plane, ns.name, { security: { payloadSigning: { mode: "enforce" } } });
  running = agent.running;
  const { clusterId } = agent;
  const signed = await plane.admin.enqueueJob(clusterId, { kind: "apply", payload: configMap(ns.name, "signed", { a: "1" }) }, { sign: true });
  expect((await resultOf(plane, signed.id)).outcome).toBe("succeeded");
  const entry = await eventually(async () => (await processedJobs())[signed.id]?.state === "done" ? (await processedJobs())[signed.id] : undefined, { what: "ledger holds the signed job" });
  expect(Date.parse(entry.signedUntil ?? "")).toBeGreaterThan(Date.now() + 23 * 3_600_000);

  // 60 unsigned jobs with 9 KB ids (540 KB: more than the whole ledger may hold) and 100 unsigned junk ids.
  const longIds = Array.from({ length: 60 }, (_, i) => `flush-${i}-${"x".repeat(9 * 1024)}`);
  const junkIds = Array.from({ length: 100 }, (_, i) => `junk-${i}-${crypto.randomUUID()}`);
  for (const id of [...longIds, ...junkIds]) {
    await plane.admin.enqueueRawJob(clusterId, { id, kind: "apply", payload: configMap(ns.name, "flood", { a: "1" }), createdAt: new Date().toISOString() });
  }
  const closed = await eventually(async () => {
    const jobs = await plane.admin.jobs(clusterId, "closed");
    return jobs.length >= 1 + longIds.length + junkIds.length ? jobs : undefined;
  }, { what: "every flood job answered", timeoutMs: 120_000 });
  const results = new Map(closed.map((record) => [record.job.id as string, record.result]));
  for (const id of longIds) expect(results.get(id)).toMatchObject({ outcome: "failed", errorCode: "InvalidPayload" });
  for (const id of junkIds) expect(results.get(id)).toMatchObject({ outcome: "failed", errorCode: "JobPayloadSignatureInvalid" });
  expect(await exists("flood")).toBe(false);

  // Only the screened job is on record: neither the oversized ids nor the refused junk. Ledger writes are
  // coalesced over 200 ms, so a second after the last result everything recorded has been stored.
  await Bun.sleep(1_000);
  const ledger = await processedJobs();
  expect(ledger[signed.id]).toMatchObject({ state: "done", signedUntil: entry.signedUntil });
  expect(Object.keys(ledger).filter((id) => id.startsWith("flush-") || id.startsWith("junk-"))).toEqual([]);

  // Replay: the plane forgets the job and delivers the same signed envelope again.
  await cluster.client.delete(CONFIG_MAP, "signed", { namespace: ns.name });
  const envelope = (await plane.admin.job(signed.id)).job;
  const db = new Database(plane.dbPath);
  db.run("DELETE FROM jobs WHERE id = ?", [signed.id]);
  db.close();
  await plane.admin.enqueueRawJob(clusterId, envelope);
  const replay = await eventually(async () => {
    const result = await plane.admin.jobResult(signed.id);
    return result?.errorCode === "JobReplayed" ? result : undefined;
  }, { what: "replayed job answered", timeoutMs: 60_000 });
  expect(replay.outcome).toBe("noop");
  expect(await exists("signed")).toBe(false);
});

test("a ledger full of live signed entries refuses new jobs with ApplyFailed and one aggregated Warning Event", async () => {
  // Seeded before the agent starts: signed entries whose replay window is open, up to the 512 KiB bound.
  const signedUntil = new Date(Date.now() + 3_600_000).toISOString();
  const seeded: Record<string, JobEntry> = {};
  let bytes = 4;
  for (let i = 0; bytes < LEDGER_MAX_BYTES - 64; i++) {
    const id = `seeded-${i}-${"s".repeat(200)}`;
    seeded[id] = { at: new Date().toISOString(), state: "done", signedUntil };
    bytes += jobBytes(id, seeded[id]!);
  }
  await cluster.client.create(CONFIG_MAP, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "vworkspace-applied-jobs", namespace: ns.name }, data: { [PROCESSED_JOBS]: JSON.stringify(seeded) } });
  const agent = await registeredAgent(cluster, plane, ns.name, { security: { payloadSigning: { mode: "enforce" } } });
  running = agent.running;
  const first = await plane.admin.enqueueJob(agent.clusterId, { kind: "apply", payload: configMap(ns.name, "refused-1", { a: "1" }) }, { sign: true });
  const second = await plane.admin.enqueueJob(agent.clusterId, { kind: "apply", payload: configMap(ns.name, "refused-2", { a: "1" }) }, { sign: true });
  for (const { id } of [first, second]) {
    const result = await resultOf(plane, id);
    expect(result).toMatchObject({ outcome: "failed", errorCode: "ApplyFailed" });
    expect(result.error).toContain("ledger is full of signed jobs");
  }
  expect(await exists("refused-1")).toBe(false);
  expect(await exists("refused-2")).toBe(false);
  const uid = (await getClusterObject(cluster.client))!.metadata.uid!;
  const warnings = await eventually(async () => {
    const found = (await clusterEvents(cluster.client, uid)).filter((event) => event.reason === "JobLedgerFull");
    return found.length > 0 ? found : undefined;
  }, { what: "Warning Event JobLedgerFull" });
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ type: "Warning" });
  await Bun.sleep(1_000);
  const ledger = await processedJobs();
  expect(Object.keys(ledger).length).toBe(Object.keys(seeded).length);
  expect(ledger[first.id]).toBeUndefined();
});
