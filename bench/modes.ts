/**
 * bench/modes: the three connectivity modes side by side on one machine (docs/connectivity.md#one-control-plane-three-modes).
 * One reference control plane and the fleet of test/support/fleet.ts (three private API servers, one
 * in-process operator each). For each mode in turn, N ApplicationInstances are enqueued one after the other
 * through the admin API, and each one's latency runs from the moment its request is sent to the moment the
 * plane stored its `Ready=True` ConditionTransition event (the event's `received_at` in the plane's database):
 *   Pull:   job queued → agent's long poll → apply → operator → agent's event batch.
 *   Push:   server-side apply during the request → operator → the plane's own status watch.
 *   GitOps: signed commit pushed during the request → source-controller (GitRepository interval at
 *           --git-interval) → kustomize-controller → operator → agent's event batch.
 * Prints p50/p99 with the ratio to Pull, and the plane's requests per instance: admin API requests, agent API
 * requests it answered (the status channels), and its own writes (SSA applies, Git commits), plus the Git
 * server's HTTP requests from Flux in GitOps mode. A second table enqueues --isolated more instances one at a
 * time, each after the previous one is Ready, so it shows each path's own latency without the queue that N
 * back-to-back requests build. Needs the k8s bins (scripts/k8s-bins.sh); no shared cluster.
 * Usage: bun bench/modes.ts [--n=100] [--isolated=10] [--git-interval=1s]
 */
import { Database } from "bun:sqlite";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { KubeObject } from "../src/kube/types";
import type { AgentEvent } from "../src/protocol";
import { REPO_ROOT } from "../test/support/cluster";
import { eventually } from "../test/support/eventually";
import { FLEET_TENANT, issuePushKubeconfig, startFleet, type Fleet, type FleetMode } from "../test/support/fleet";
import { gitOpsFluxBinaries } from "../test/support/flux-gitops";

const flag = (name: string, fallback: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const N = Number(flag("n", "100"));
const ISOLATED = Number(flag("isolated", "10"));
const GIT_INTERVAL = flag("git-interval", "1s");
const WORK_DIR = join(REPO_ROOT, ".local/bench/modes");
const MODES: FleetMode[] = ["pull", "push", "gitops"];
const READY_TIMEOUT_MS = 600_000;

interface ModeFigures {
  mode: FleetMode;
  latenciesMs: number[];
  wallMs: number;
  agentRequests: number;
  writes: number;
  fluxGitRequests: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function instance(mode: FleetMode, i: number): KubeObject {
  return { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", metadata: { name: `${mode}-${i}`, namespace: FLEET_TENANT }, spec: { appRef: { catalogId: "nextcloud" }, mode: "placeholder" } };
}

/** Per instance name, when the plane stored its first Ready=True ConditionTransition (ms since the epoch). */
function readyTimes(db: Database, clusterId: string): Map<string, number> {
  const rows = db
    .query<{ ref_name: string; body: string; received_at: number }, [string, string]>(
      "SELECT ref_name, body, received_at FROM events WHERE cluster_id = ? AND kind = 'ConditionTransition' AND ref_kind = 'ApplicationInstance' AND ref_namespace = ? ORDER BY seq",
    )
    .all(clusterId, FLEET_TENANT);
  const ready = new Map<string, number>();
  for (const row of rows) {
    const event = JSON.parse(row.body) as AgentEvent;
    if (!ready.has(row.ref_name) && (event.conditions ?? []).some((condition) => condition.type === "Ready" && condition.status === "True")) ready.set(row.ref_name, row.received_at);
  }
  return ready;
}

function commitCount(bareDir: string): number {
  const counted = Bun.spawnSync(["git", "rev-list", "--count", "refs/heads/main"], { cwd: bareDir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", GIT_CONFIG_NOSYSTEM: "1" } });
  return Number(counted.stdout.toString().trim());
}

async function setModes(fleet: Fleet): Promise<void> {
  const { plane, members, repo } = fleet;
  const kubeconfig = await issuePushKubeconfig(members.push, WORK_DIR);
  await plane.admin.setConnectivity(members.push.id, { mode: "push", kubeconfig: await Bun.file(kubeconfig.path).text() });
  await plane.admin.setConnectivity(members.gitops.id, { mode: "gitops", gitops: { remote: repo.bareDir, branch: "main" } });
}

/** Waits until every one of `names` has its Ready=True event at the plane; returns the times. */
function allReady(db: Database, clusterId: string, names: Iterable<string>, what: string): Promise<Map<string, number>> {
  const wanted = [...names];
  return eventually(
    () => {
      const times = readyTimes(db, clusterId);
      return wanted.every((name) => times.has(name)) ? times : undefined;
    },
    { what, timeoutMs: READY_TIMEOUT_MS, intervalMs: 20 },
  );
}

/** `count` instances enqueued back to back (or, `isolated`, each after the previous one is Ready), from index `first`. */
async function measure(fleet: Fleet, db: Database, mode: FleetMode, first: number, count: number, isolated: boolean): Promise<ModeFigures> {
  const { plane, members, git, repo } = fleet;
  const clusterId = members[mode].id;
  const agentBefore = (await plane.admin.requests(clusterId)).length;
  const commitsBefore = commitCount(repo.bareDir);
  const gitBefore = git.requests;
  const sentAt = new Map<string, number>();
  const started = performance.now();
  let applied = 0;
  for (let i = first; i < first + count; i++) {
    const object = instance(mode, i);
    sentAt.set(object.metadata.name, Date.now());
    const job = await plane.admin.enqueueJob(clusterId, { kind: "apply", payload: object });
    if (mode !== "pull") applied += (await plane.admin.jobResult(job.id))?.outcome === "succeeded" ? 1 : 0;
    if (isolated) await allReady(db, clusterId, [object.metadata.name], `${mode}: Ready=True of ${object.metadata.name} at the plane`);
  }
  const ready = await allReady(db, clusterId, sentAt.keys(), `${mode}: Ready=True of all ${count} instances at the plane`);
  const wallMs = performance.now() - started;
  const latenciesMs = [...sentAt].map(([name, sent]) => (ready.get(name) as number) - sent);
  const writes = mode === "push" ? applied : mode === "gitops" ? commitCount(repo.bareDir) - commitsBefore : 0;
  return { mode, latenciesMs, wallMs, agentRequests: (await plane.admin.requests(clusterId)).length - agentBefore, writes, fluxGitRequests: mode === "gitops" ? git.requests - gitBefore : 0 };
}

function table(figures: ModeFigures[]): string {
  const pull = figures.find((entry) => entry.mode === "pull");
  const pullSorted = [...(pull?.latenciesMs ?? [])].sort((a, b) => a - b);
  const header = ["mode", "n", "p50 ms", "p99 ms", "p50/pull", "p99/pull", "admin req/inst", "agent API req/inst", "writes/inst", "Flux git req/inst", "all ready after s"];
  const rows = figures.map((entry) => {
    const sorted = [...entry.latenciesMs].sort((a, b) => a - b);
    const ratio = (p: number) => (percentile(sorted, p) / percentile(pullSorted, p)).toFixed(2);
    const per = (count: number) => (count / entry.latenciesMs.length).toFixed(2);
    return [entry.mode, String(entry.latenciesMs.length), percentile(sorted, 50).toFixed(0), percentile(sorted, 99).toFixed(0), ratio(50), ratio(99), "1.00", per(entry.agentRequests), per(entry.writes), per(entry.fluxGitRequests), (entry.wallMs / 1000).toFixed(1)];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padStart(widths[column] ?? 0)).join("  ")).join("\n");
}

async function main(): Promise<void> {
  const binaries = gitOpsFluxBinaries();
  if (!binaries) throw new Error("bench/modes needs source-controller and kustomize-controller: run bash scripts/k8s-bins.sh");
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const began = performance.now();
  const fleet = await startFleet({ workDir: WORK_DIR, binaries, gitInterval: GIT_INTERVAL, stepMs: 180_000, say: (line) => console.info(`# ${line}`) });
  try {
    await setModes(fleet);
    const db = new Database(fleet.plane.dbPath, { readonly: true });
    const burst: ModeFigures[] = [];
    const isolated: ModeFigures[] = [];
    for (const mode of MODES) {
      burst.push(await measure(fleet, db, mode, 0, N, false));
      console.info(`# ${mode}: ${N} instances Ready=True at the plane`);
      isolated.push(await measure(fleet, db, mode, N, ISOLATED, true));
      console.info(`# ${mode}: ${ISOLATED} more, one at a time`);
    }
    db.close();
    console.info(`\nbench/modes: latency = admin request sent → Ready=True event stored by the plane`);
    console.info(`GitRepository and Kustomization interval ${GIT_INTERVAL}; agent poll/heartbeat interval 2 s, event flush 200 ms; GitOps commits signed and verified`);
    console.info(`\n${N} ApplicationInstances per mode, enqueued back to back (each request awaited):\n${table(burst)}`);
    console.info(`\n${ISOLATED} more per mode, each enqueued once the previous one is Ready:\n${table(isolated)}`);
  } finally {
    await fleet.stop();
  }
  console.info(`\nbench/modes took ${((performance.now() - began) / 1000).toFixed(0)} s (setup and teardown included)`);
}

await main();
