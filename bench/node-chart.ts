/**
 * bench/node-chart: the operator as a Pod on a real node (private cluster, `up --with-node`) next to the
 * bare binary against the same API server. Prints, never asserts:
 *   - helm install → operator Pod Ready;
 *   - idle RSS (the process's VmRSS and RssAnon, the container cgroup's rss and working set) and idle CPU
 *     (cgroup cpuacct.usage, /proc stat for the binary) over the same window, same flags;
 *   - leader failover with two replicas: Pod delete → the new holder of the Lease → its first reconcile;
 *   - the operator's Pods as `kubectl get pods -o wide` shows them (the API server's own Table rendering).
 * Usage: bun bench/node-chart.ts [--idle-seconds=60] [--failovers=3]
 * Needs the node (one per machine): it refuses to start while another node runs.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { LEASE_TYPE, type Lease } from "../src/kube/leader";
import { installTestCrds } from "../test/support/crds";
import { eventually } from "../test/support/eventually";
import {
  buildAndPushImage,
  createRestrictedNamespace,
  installOperator,
  LEASE_NAME,
  nodeCluster,
  POD,
  podOfHolder,
  readyPods,
  reconcileCount,
  startRegistry,
  type PodView,
  type Registry,
} from "../test/support/node-chart";

const ROOT = resolve(import.meta.dir, "..");
const flag = (name: string, fallback: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const idleSeconds = Number(flag("idle-seconds", "60"));
const failovers = Number(flag("failovers", "3"));
const NS = "vws-system";
const WORK = join(ROOT, ".local/bench-node-chart");
const cluster = nodeCluster(join(ROOT, ".local/bench-node-cluster"));
// kubelet's cgroupRoot (scripts/lib/node-host.ts) and cgroupfs layout: <root>/kubepods/<qos>/pod<uid>/<container>.
const CGROUP_ROOT = "vws-node";

interface Sample {
  vmRssMiB: number;
  rssAnonMiB: number;
  cpuSeconds: number;
}

function procStatus(pid: number, key: string): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((candidate) => candidate.startsWith(`${key}:`));
  return Number(line?.replace(/\D+/g, "")) / 1024;
}

function procCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

function sampleProcess(pid: number): Sample {
  return { vmRssMiB: procStatus(pid, "VmRSS"), rssAnonMiB: procStatus(pid, "RssAnon"), cpuSeconds: procCpuSeconds(pid) };
}

/** The operator container's cgroup directory in a v1 hierarchy. */
function containerCgroup(hierarchy: string, pod: PodView): string {
  const containerId = pod.status?.containerStatuses?.[0]?.containerID?.replace(/^\w+:\/\//, "") ?? "";
  const kubepods = join("/sys/fs/cgroup", hierarchy, CGROUP_ROOT, "kubepods");
  for (const qos of ["", "burstable", "besteffort"]) {
    const dir = join(kubepods, qos, `pod${pod.metadata.uid}`, containerId);
    if (containerId && existsSync(dir)) return dir;
  }
  throw new Error(`no ${hierarchy} cgroup for container ${containerId} of Pod ${pod.metadata.name} under ${kubepods}`);
}

function memoryStat(dir: string): Record<string, number> {
  return Object.fromEntries(readFileSync(join(dir, "memory.stat"), "utf8").trim().split("\n").map((line) => { const [key, value] = line.split(" "); return [key!, Number(value)]; }));
}

async function idleWindow(sample: () => Sample): Promise<{ start: Sample; end: Sample }> {
  const start = sample();
  await Bun.sleep(idleSeconds * 1000);
  return { start, end: sample() };
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const millicores = (window: { start: Sample; end: Sample }) => (((window.end.cpuSeconds - window.start.cpuSeconds) / idleSeconds) * 1000).toFixed(1);

async function podIdle(pod: PodView): Promise<string[]> {
  const memoryDir = containerCgroup("memory", pod);
  const cpuDir = containerCgroup("cpuacct", pod);
  const pid = Number(readFileSync(join(memoryDir, "cgroup.procs"), "utf8").trim().split("\n")[0]);
  const sample = (): Sample => ({ ...sampleProcess(pid), cpuSeconds: Number(readFileSync(join(cpuDir, "cpuacct.usage"), "utf8")) / 1e9 });
  const window = await idleWindow(sample);
  const stat = memoryStat(memoryDir);
  const usage = Number(readFileSync(join(memoryDir, "memory.usage_in_bytes"), "utf8"));
  return [
    `Pod   VmRSS ${window.end.vmRssMiB.toFixed(1)} MiB, RssAnon ${window.end.rssAnonMiB.toFixed(1)} MiB; cgroup rss ${mib(stat.total_rss ?? stat.rss ?? 0)} MiB, working set ${mib(usage - (stat.total_inactive_file ?? 0))} MiB; CPU ${millicores(window)} millicores`,
  ];
}

async function bareIdle(kubeconfig: string): Promise<string[]> {
  // The same binary as in the image, with the chart's flags; its webhook is scoped to no namespace and
  // registered under another name, so it and the chart's never meet.
  const binary = join(ROOT, "dist/vworkspace-operator-linux-amd64");
  const proc = Bun.spawn(
    [binary, "run", "--leader-elect=true", "--leader-election-id=bench-bare", "--health-probe-bind-address=127.0.0.1:39281", "--metrics-bind-address=127.0.0.1:39280", "--namespace=bench-bare",
      "--webhook-port=39443", "--webhook-url-host=127.0.0.1", "--webhook-config-name=bench-bare-webhook", "--webhook-cert-secret=bench-bare-webhook-tls", "--webhook-namespace-selector=vworkspace.io/bench=none"],
    { env: { ...process.env, KUBECONFIG: kubeconfig, BUN_CONFIG_HTTP_IDLE_TIMEOUT: "300", BUN_CONFIG_MAX_HTTP_REQUESTS: "2048" }, stdout: "ignore", stderr: "ignore" },
  );
  try {
    await eventually(async () => (await fetch("http://127.0.0.1:39281/readyz").then((r) => r.status, () => 0)) === 200 || undefined, { what: "bare binary ready", timeoutMs: 60_000 });
    const window = await idleWindow(() => sampleProcess(proc.pid));
    return [`bare  VmRSS ${window.end.vmRssMiB.toFixed(1)} MiB, RssAnon ${window.end.rssAnonMiB.toFixed(1)} MiB; CPU ${millicores(window)} millicores`];
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

/** The API server's Table rendering of the namespace's Pods, every column (what `kubectl get pods -o wide` prints). */
async function podsWide(): Promise<string[]> {
  interface Table {
    columnDefinitions: Array<{ name: string }>;
    rows: Array<{ cells: unknown[] }>;
  }
  const text = await cluster.client.requestText({ method: "GET", path: `/api/v1/namespaces/${NS}/pods`, accept: "application/json;as=Table;v=v1;g=meta.k8s.io" });
  const table = JSON.parse(text) as Table;
  const lines = [table.columnDefinitions.map((column) => column.name.toUpperCase()), ...table.rows.map((row) => row.cells.map(String))];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((cells) => cells[i]?.length ?? 0)));
  return lines.map((cells) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("   ").trimEnd());
}

async function failover(): Promise<string> {
  const { client } = cluster;
  const pods = await eventually(async () => ((await readyPods(client, NS)).length === 2 ? readyPods(client, NS) : undefined), { what: "two Pods Ready", timeoutMs: 180_000 });
  const holder = async () => podOfHolder((await client.get<Lease>(LEASE_TYPE, LEASE_NAME, { namespace: NS })).spec?.holderIdentity ?? "");
  const leader = await eventually(async () => ((await holder()) !== "" ? holder() : undefined), { what: "a Lease holder" });
  const standby = pods.find((p) => p.metadata.name !== leader);
  const deleted = Date.now();
  await client.delete(POD, leader, { namespace: NS });
  const next = await eventually(async () => { const h = await holder(); return h !== "" && h !== leader ? h : undefined; }, { what: "a new Lease holder", timeoutMs: 60_000, intervalMs: 50 });
  const electedS = (Date.now() - deleted) / 1000;
  const nextPod = await client.get<PodView>(POD, next, { namespace: NS });
  await eventually(async () => (await reconcileCount(nextPod.status?.podIP ?? "")) > 0 || undefined, { what: "the new leader's first reconcile", timeoutMs: 60_000, intervalMs: 50 });
  const reconciledS = (Date.now() - deleted) / 1000;
  await eventually(async () => client.get(POD, leader, { namespace: NS }).then(() => undefined, () => true), { what: "the old leader gone", timeoutMs: 60_000 });
  return `${electedS.toFixed(1)} s → ${reconciledS.toFixed(1)} s (${next === standby?.metadata.name ? "the standby" : "the replacement Pod"})`;
}

/** A fresh private cluster with the node, and the registry its containerd pulls from. */
async function startRegistryAfterUp(): Promise<Registry> {
  cluster.down();
  cluster.localCluster("up", "--with-node");
  return startRegistry(cluster.dir, join(ROOT, ".local/test-logs/bench-node-chart/oci-registry.log"));
}

if (existsSync("/sys/class/net/vwsnode0")) throw new Error("another local node runs on this machine (bridge vwsnode0 exists); try later");
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const registry = await startRegistryAfterUp();
try {
  const repository = `${registry.address}/vworkspace-operator`;
  buildAndPushImage(join(WORK, "layout"), `${repository}:bench`);
  await installTestCrds(cluster.client, ROOT);
  await createRestrictedNamespace(cluster.client, NS);
  await createRestrictedNamespace(cluster.client, "bench-bare");
  const { pod, installToReadyS } = await installOperator(cluster, { namespace: NS, repository, tag: "bench" });
  console.log(`helm install → operator Pod Ready: ${installToReadyS.toFixed(1)} s`);
  console.log(`idle ${idleSeconds} s (same binary, same flags; the Pod's numbers from its container cgroup and process):`);
  for (const line of await podIdle(pod)) console.log(`  ${line}`);
  for (const line of await bareIdle(cluster.kubeconfig)) console.log(`  ${line}`);
  cluster.helm("upgrade", "vws", join(ROOT, "chart"), "--namespace", NS, "--reuse-values", "--set", "replicas=2");
  await eventually(async () => (await readyPods(cluster.client, NS)).length === 2 || undefined, { what: "two Pods Ready", timeoutMs: 180_000 });
  console.log("kubectl get pods -o wide:");
  for (const line of await podsWide()) console.log(`  ${line}`);
  for (let run = 1; run <= failovers; run++) console.log(`failover ${run}: leader Pod delete → new Lease holder → its first reconcile: ${await failover()}`);
} finally {
  await registry.stop();
  cluster.down();
  rmSync(WORK, { recursive: true, force: true });
}
