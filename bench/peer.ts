/**
 * bench/peer (issue 14): the single-node footprint of our compiled operator and, when VWS_PEER_BINARY names
 * one, any other operator binary, one after the other on the same API server in the same run:
 * exec → /readyz 200 (quiet cluster, right after a restart), idle RSS, API requests/min at rest above a
 * no-operator baseline, N instances in gated namespaces (created one by one with kubectl's
 * last-applied-configuration annotation, as `kubectl apply` makes them) → N HelmReleases from the start of the apply, RSS
 * at N, requests/min with N instances whose HelmReleases are never Ready (no Flux controllers run), and
 * writes per new instance. Requests are read from the API server's own `apiserver_request_total`
 * (bench/lib/request-counts.ts), so both binaries are measured by the same meter.
 *
 * By default it starts a private local cluster (kube-apiserver + KCM + kine, scripts/local-cluster.ts with
 * VWS_CLUSTER_DIR in a temporary directory) so no other client pollutes the counters, installs our CRDs and
 * Flux's (the optional APIs, Argo Workflows, Velero, CSI snapshots and VolSync, stay absent as on a typical
 * k3s VM), and tears it down at the end. `--shared` uses $KUBECONFIG instead (request figures then include
 * whatever else runs there).
 *
 * Admission webhooks are off for both. Our binary runs as
 *   dist/vworkspace-operator run --health-probe-bind-address=127.0.0.1:PORT --metrics-bind-address=0 --webhooks-enabled=false
 * and the peer as `$VWS_PEER_BINARY $VWS_PEER_ARGS`, where `{port}` in VWS_PEER_ARGS is replaced by the health
 * port (default: `--health-probe-bind-address=127.0.0.1:{port} --metrics-bind-address=0`; a kubebuilder
 * operator also wants ENABLE_WEBHOOKS=false in its environment, which the bench sets).
 *
 * The Go implementation (github.com/vworkspace-io/vworkspace-operator) as peer, where its source can be had:
 *   git clone https://github.com/vworkspace-io/vworkspace-operator /tmp/peer-src
 *   (cd /tmp/peer-src && CGO_ENABLED=0 go build -o /tmp/peer-operator ./cmd)
 *   VWS_PEER_BINARY=/tmp/peer-operator bun bench/peer.ts
 *
 * Usage: bun bench/peer.ts [--n=300] [--namespaces=10] [--idle-seconds=60] [--steady-seconds=60]
 *                          [--new-instances=20] [--restarts=3] [--shared]
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { customResourceDefinitions } from "../src/api/crd/generate";
import { APPLICATION_INSTANCE } from "../src/api/groups";
import { GATE_VALUE, LABEL_GATE } from "../src/api/labels";
import { HELM_RELEASE } from "../src/flux/types";
import { applyObject } from "../src/kube/apply";
import { KubeClient } from "../src/kube/client";
import { connectionFrom, resolveKubeConfig } from "../src/kube/config";
import type { KubeObject, ResourceType } from "../src/kube/types";
import { CRD_TYPE, crdEstablished } from "../src/manager/crds";
import { thirdPartyCrds } from "../test/support/crds";
import { controlPlanePids, cpuSeconds } from "./lib/cpu-time";
import { countDuring, describe, total, type RequestCounts } from "./lib/request-counts";

const ROOT = resolve(import.meta.dir, "..");
const BUN = process.execPath;
const flag = (name: string, fallback: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const n = Number(flag("n", "300"));
const namespaceCount = Number(flag("namespaces", "10"));
const idleSeconds = Number(flag("idle-seconds", "60"));
const steadySeconds = Number(flag("steady-seconds", "60"));
const newInstances = Number(flag("new-instances", "20"));
const restarts = Number(flag("restarts", "3"));
const shared = process.argv.includes("--shared");

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };

interface Subject {
  name: string;
  binary: string;
  args: (port: number) => string[];
  env: Record<string, string>;
}

interface Figures {
  readyQuietMs: number;
  readyRestartMs: number;
  idleRssMiB: number;
  idleAnonMiB: number;
  idlePerMin: number;
  idleDetail: string;
  toReleasesSeconds: number;
  applySeconds: number;
  applyDetail: string;
  operatorCpuSeconds: number;
  apiServerCpuSeconds: number;
  loadedRssMiB: number;
  loadedAnonMiB: number;
  steadyPerMin: number;
  steadyDetail: string;
  writesPerInstance: number;
  writesDetail: string;
}

function subjects(): Subject[] {
  const ours: Subject = {
    name: "ours",
    binary: resolve(ROOT, "dist/vworkspace-operator"),
    args: (port) => ["run", `--health-probe-bind-address=127.0.0.1:${port}`, "--metrics-bind-address=0", "--webhooks-enabled=false"],
    env: {},
  };
  const peer = process.env.VWS_PEER_BINARY;
  if (!peer) return [ours];
  const peerArgs = process.env.VWS_PEER_ARGS ?? "--health-probe-bind-address=127.0.0.1:{port} --metrics-bind-address=0";
  return [ours, { name: "peer", binary: peer, args: (port) => peerArgs.split(/\s+/).filter(Boolean).map((arg) => arg.replaceAll("{port}", String(port))), env: { ENABLE_WEBHOOKS: "false" } }];
}

/** VmRSS counts the executable's mapped pages too; RssAnon is the process's own memory (heap, stacks). */
function rssMiB(pid: number, field: "VmRSS" | "RssAnon" = "VmRSS"): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((candidate) => candidate.startsWith(`${field}:`));
  return Number(line?.replace(/\D+/g, "")) / 1024;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const perMinute = (counts: RequestCounts, seconds: number, baselinePerMin: number) => Math.max(0, (total(counts) * 60) / seconds - baselinePerMin);

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 200): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`${what}: not reached after ${timeoutMs / 1000} s`);
    await Bun.sleep(intervalMs);
  }
}

class Running {
  private constructor(readonly proc: ReturnType<typeof Bun.spawn>, readonly readyMs: number) {}

  static async start(subject: Subject, kubeconfig: string, port: number): Promise<Running> {
    const started = performance.now();
    const proc = Bun.spawn([subject.binary, ...subject.args(port)], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", KUBECONFIG: kubeconfig, ...subject.env },
      stdout: "ignore",
      stderr: "ignore",
    });
    const ready = () => fetch(`http://127.0.0.1:${port}/readyz`).then((response) => response.status === 200, () => false);
    await until(`${subject.name} /readyz 200`, ready, 30_000, 5).catch((err: unknown) => {
      proc.kill("SIGKILL");
      throw err;
    });
    return new Running(proc, performance.now() - started);
  }

  async stop(): Promise<void> {
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 20_000);
    await this.proc.exited;
    clearTimeout(timer);
  }
}

/** As `kubectl apply` creates it: with the last-applied-configuration annotation. */
function instance(name: string, namespace: string): KubeObject {
  const applied = {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name, namespace },
    spec: {
      appRef: { catalogId: "bench" },
      chart: { sourceType: "helm", url: "https://charts.example.com", name: "bench", version: "1.0.0" },
      release: { name, namespace },
      values: { source: "inline", inline: { replicas: 1 } },
    },
  };
  return { ...applied, metadata: { ...applied.metadata, annotations: { "kubectl.kubernetes.io/last-applied-configuration": `${JSON.stringify(applied)}\n` } } };
}

async function releaseCount(client: KubeClient, namespaces: string[]): Promise<number> {
  const lists = await Promise.all(namespaces.map((namespace) => client.listAll(HELM_RELEASE, { namespace })));
  return lists.reduce((sum, list) => sum + list.items.length, 0);
}

async function statusCount(client: KubeClient, namespaces: string[]): Promise<number> {
  const lists = await Promise.all(namespaces.map((namespace) => client.listAll(APPLICATION_INSTANCE, { namespace })));
  return lists.reduce((sum, list) => sum + list.items.filter((item) => item.status !== undefined).length, 0);
}

async function measure(subject: Subject, client: KubeClient, cluster: BenchCluster, baselinePerMin: number, port: number): Promise<Figures> {
  const { kubeconfig } = cluster;
  const quiet = await Running.start(subject, kubeconfig, port);
  await quiet.stop();
  const restartMs: number[] = [];
  let operator: Running | undefined;
  for (let i = 0; i < restarts; i++) {
    await operator?.stop();
    operator = await Running.start(subject, kubeconfig, port);
    restartMs.push(operator.readyMs);
  }
  if (!operator) throw new Error("--restarts must be at least 1");
  const running = operator;
  const idle = await countDuring(client, () => Bun.sleep(idleSeconds * 1000));
  const idleRssMiB = rssMiB(running.proc.pid);
  const idleAnonMiB = rssMiB(running.proc.pid, "RssAnon");

  const run = Math.random().toString(36).slice(2, 7);
  const namespaces = Array.from({ length: namespaceCount }, (_, i) => `vws-bench-peer-${subject.name}-${run}-${i}`);
  const apiServer = controlPlanePids(cluster.dir);
  let applySeconds = 0;
  let toReleasesSeconds = 0;
  let operatorCpuSeconds = 0;
  let apiServerCpuSeconds = 0;
  // Timed inside the count, so the API server's metrics scrapes around it are not in the figures.
  const applyRequests = await countDuring(client, async () => {
    const cpuBefore = { operator: cpuSeconds([running.proc.pid]), apiServer: cpuSeconds(apiServer) };
    const applyStarted = performance.now();
    await applyInstances(client, namespaces, GATE_VALUE);
    applySeconds = (performance.now() - applyStarted) / 1000;
    await until(`${n} HelmReleases`, async () => (await releaseCount(client, namespaces)) >= n, 600_000);
    toReleasesSeconds = (performance.now() - applyStarted) / 1000;
    operatorCpuSeconds = cpuSeconds([running.proc.pid]) - cpuBefore.operator;
    apiServerCpuSeconds = cpuSeconds(apiServer) - cpuBefore.apiServer;
  });
  await until(`${n} first statuses`, async () => (await statusCount(client, namespaces)) >= n, 300_000, 1_000);
  await Bun.sleep(10_000);
  const steady = await countDuring(client, () => Bun.sleep(steadySeconds * 1000));
  const loadedRssMiB = rssMiB(running.proc.pid);
  const loadedAnonMiB = rssMiB(running.proc.pid, "RssAnon");

  const fresh = namespaces.slice(0, 1);
  const writes = await countDuring(client, async () => {
    for (let i = 0; i < newInstances; i++) await client.create(APPLICATION_INSTANCE, instance(`new-${i}`, fresh[0]!));
    await until("new instances' HelmReleases", async () => (await releaseCount(client, fresh)) >= Math.ceil(n / namespaceCount) + newInstances, 120_000);
    await until("new instances' statuses", async () => (await statusCount(client, fresh)) >= Math.ceil(n / namespaceCount) + newInstances, 120_000);
    await Bun.sleep(5_000);
  });
  // The bench's own creates are not the operator's writes, nor are Lease renewals (the API server's own,
  // and leader election is no per-instance cost).
  writes.set(`POST applicationinstances`, (writes.get(`POST applicationinstances`) ?? 0) - newInstances);
  for (const key of writes.keys()) if (key.endsWith(" leases")) writes.delete(key);

  // Namespaces go while the operator runs, so it can release its finalizers.
  for (const name of namespaces) await client.delete(NAMESPACES, name);
  await until("bench namespaces gone", async () => (await client.listAll(NAMESPACES)).items.every((item) => !namespaces.includes(item.metadata.name)), 300_000, 1_000).catch((err: unknown) =>
    console.error(`warning: ${err instanceof Error ? err.message : String(err)}`),
  );
  await running.stop();
  return {
    readyQuietMs: quiet.readyMs,
    readyRestartMs: median(restartMs),
    idleRssMiB,
    idleAnonMiB,
    idlePerMin: perMinute(idle, idleSeconds, baselinePerMin),
    idleDetail: describe(idle),
    toReleasesSeconds,
    applySeconds,
    applyDetail: describe(applyRequests),
    operatorCpuSeconds,
    apiServerCpuSeconds,
    loadedRssMiB,
    loadedAnonMiB,
    steadyPerMin: perMinute(steady, steadySeconds, baselinePerMin),
    steadyDetail: describe(steady),
    writesPerInstance: total(writes, "writes") / newInstances,
    writesDetail: describe(writes, "writes"),
  };
}

/** The bench's namespaces and its N instances, created one by one as `kubectl apply` does. */
async function applyInstances(client: KubeClient, namespaces: string[], gate: string | undefined): Promise<void> {
  const labels: Record<string, string> = gate ? { [LABEL_GATE]: gate } : {};
  for (const name of namespaces) await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
  for (let i = 0; i < n; i++) await client.create(APPLICATION_INSTANCE, instance(`app-${i}`, namespaces[i % namespaceCount]!));
}

/** The same apply with no operator running: how long the API server alone takes for it, the floor under every subject's figure. */
async function applyAlone(client: KubeClient): Promise<number> {
  const namespaces = Array.from({ length: namespaceCount }, (_, i) => `vws-bench-peer-alone-${i}`);
  const started = performance.now();
  await applyInstances(client, namespaces, undefined);
  const seconds = (performance.now() - started) / 1000;
  for (const name of namespaces) await client.delete(NAMESPACES, name);
  await until("floor namespaces gone", async () => (await client.listAll(NAMESPACES)).items.every((item) => !namespaces.includes(item.metadata.name)), 300_000, 1_000);
  return seconds;
}

interface BenchCluster {
  kubeconfig: string;
  /** Where scripts/local-cluster.ts keeps the cluster's state (its pids). */
  dir: string;
  down: () => Promise<void>;
}

async function privateCluster(): Promise<BenchCluster> {
  const dir = mkdtempSync(join(tmpdir(), "vws-bench-peer-"));
  const env = { ...process.env, VWS_CLUSTER_DIR: dir };
  const script = join(ROOT, "scripts/local-cluster.ts");
  const up = Bun.spawnSync([BUN, script, "up", "--quiet"], { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
  if (up.exitCode !== 0) throw new Error(`private cluster did not start (exit ${up.exitCode})`);
  return {
    kubeconfig: join(dir, "kubeconfig"),
    dir,
    down: async () => void Bun.spawnSync([BUN, script, "down", "--purge", "--quiet"], { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] }),
  };
}

async function installCrds(client: KubeClient): Promise<void> {
  const flux = thirdPartyCrds(ROOT).filter((crd) => /toolkit\.fluxcd\.io$/.test(crd.metadata.name));
  const crds = [...(customResourceDefinitions() as unknown as KubeObject[]), ...flux];
  for (const crd of crds) await applyObject(client, CRD_TYPE, crd, { fieldManager: "vws-bench", force: true });
  for (const crd of crds) await until(`CRD ${crd.metadata.name} Established`, async () => crdEstablished(await client.get(CRD_TYPE, crd.metadata.name)), 60_000);
}

function row(metric: string, values: string[], ratio?: number): string {
  return `| ${metric} | ${values.join(" | ")} |${ratio === undefined ? "" : ` ${Number.isFinite(ratio) ? ratio.toFixed(2) : "–"} |`}`;
}

function table(results: Array<{ subject: Subject; figures: Figures }>): string {
  const peer = results.length > 1;
  const header = `| metric | ${results.map((result) => result.subject.name).join(" | ")} |${peer ? " ours/peer |" : ""}`;
  const lines = [header, `|---|${results.map(() => "---|").join("")}${peer ? "---|" : ""}`];
  const add = (metric: string, pick: (figures: Figures) => number, format: (value: number) => string) => {
    const values = results.map((result) => pick(result.figures));
    lines.push(row(metric, values.map(format), peer ? (values[0] ?? NaN) / (values[1] ?? NaN) : undefined));
  };
  const mib = (value: number) => `${value.toFixed(1)} MiB`;
  add(`exec → /readyz 200, quiet cluster`, (f) => f.readyQuietMs, (v) => `${v.toFixed(0)} ms`);
  add(`exec → /readyz 200, right after a restart (median of ${restarts})`, (f) => f.readyRestartMs, (v) => `${v.toFixed(0)} ms`);
  add(`idle RSS after ${idleSeconds} s`, (f) => f.idleRssMiB, mib);
  add(`idle RssAnon after ${idleSeconds} s`, (f) => f.idleAnonMiB, mib);
  add("API requests/min at rest, above baseline", (f) => f.idlePerMin, (v) => v.toFixed(1));
  add(`${n} instances → ${n} HelmReleases, from the apply's start`, (f) => f.toReleasesSeconds, (v) => `${v.toFixed(1)} s`);
  add(`the apply alone (${n} creates), the operator running`, (f) => f.applySeconds, (v) => `${v.toFixed(1)} s`);
  add("CPU until the last HelmRelease: operator", (f) => f.operatorCpuSeconds, (v) => `${v.toFixed(1)} s`);
  add("CPU until the last HelmRelease: API server and kine", (f) => f.apiServerCpuSeconds, (v) => `${v.toFixed(1)} s`);
  add(`RSS at ${n} instances`, (f) => f.loadedRssMiB, mib);
  add(`RssAnon at ${n} instances`, (f) => f.loadedAnonMiB, mib);
  add(`API requests/min, ${n} instances not Ready, above baseline`, (f) => f.steadyPerMin, (v) => v.toFixed(1));
  add("writes per new instance", (f) => f.writesPerInstance, (v) => v.toFixed(2));
  return lines.join("\n");
}

const sharedDir = resolve(ROOT, process.env.VWS_CLUSTER_DIR ?? ".local/cluster");
const cluster: BenchCluster = shared ? { kubeconfig: process.env.KUBECONFIG ?? join(sharedDir, "kubeconfig"), dir: sharedDir, down: async () => {} } : await privateCluster();
try {
  const client = new KubeClient({ connection: connectionFrom(resolveKubeConfig({ kubeconfigPath: cluster.kubeconfig })) });
  await installCrds(client);
  await Bun.sleep(10_000);
  const baseline = await countDuring(client, () => Bun.sleep(idleSeconds * 1000));
  const baselinePerMin = (total(baseline) * 60) / idleSeconds;
  console.log(`baseline without an operator: ${baselinePerMin.toFixed(1)} requests/min (${describe(baseline)})`);
  const floorSeconds = await applyAlone(client);
  console.log(`the apply alone with no operator running (${n} creates): ${floorSeconds.toFixed(1)} s`);
  const results: Array<{ subject: Subject; figures: Figures }> = [];
  for (const [index, subject] of subjects().entries()) {
    const figures = await measure(subject, client, cluster, baselinePerMin, 39_300 + index);
    console.log(`${subject.name}: at rest ${figures.idleDetail}`);
    console.log(`${subject.name}: until the last of ${n} HelmReleases ${figures.applyDetail}`);
    console.log(`${subject.name}: ${n} not Ready ${figures.steadyDetail}`);
    console.log(`${subject.name}: writes for ${newInstances} new instances ${figures.writesDetail}`);
    results.push({ subject, figures });
  }
  console.log(`\n${table(results)}`);
  console.log(`\n${shared ? "shared cluster" : "private cluster"}, ${n} instances in ${namespaceCount} gated namespaces, webhooks off, no Flux controllers, one run`);
} finally {
  await cluster.down();
}
