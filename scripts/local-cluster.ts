// The shared local cluster (docs/development.md#the-local-cluster): bun scripts/local-cluster.ts up|down|env|status
//   up [--keep-data] [--quiet] [--with-node]
//                                start kine/etcd + kube-apiserver + KCM from .local/k8s-bins.env; --with-node
//                                adds containerd, kubelet and kube-scheduler (a real node, scripts/lib/node.ts)
//   down [--purge]               stop exactly the recorded pids and undo the node's host changes
//                                (--purge also deletes the cluster dir)
// VWS_CLUSTER_DIR moves the cluster dir (default .local/cluster), e.g. for a private cluster in a test.
//   env                          print `export KUBECONFIG=…`
//   status [--quiet]             exit 0 iff healthy
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { apiRequest, apiserverReady, createPlane, type ApiConnection, type ControlPlane, type PlanePorts, type StoreKind } from "./lib/controlplane";
import { ensureDebianPackages, NODE_NAMES } from "./lib/node-host";
import { NODE_KCM_ARGS, nodeApiserverArgs, nodeBinsFrom, nodeHostChangesRecorded, nodeProcs, prepareNodeHost, startNode, stopNode, type NodeState } from "./lib/node";
import { planePkiPaths } from "./lib/pki";
import { adoptProc, isRunning, pollUntil, stopProc, type Proc } from "./lib/procs";

const ROOT = resolve(import.meta.dir, "..");
const CLUSTER_DIR = resolve(process.env.VWS_CLUSTER_DIR || join(ROOT, ".local", "cluster"));
const STATE_FILE = join(CLUSTER_DIR, "state.json");
const KUBECONFIG = join(CLUSTER_DIR, "kubeconfig");
const BINS_ENV = join(ROOT, ".local", "k8s-bins.env");
const VERSIONS_ENV = join(ROOT, "scripts", "k8s-versions.env");
const LOCK_FILE = join(CLUSTER_DIR, "lock");
const LOCK_WAIT_S = 300;
const STATE_VERSION = 1;
export const MARKER = { namespace: "kube-system", name: "vworkspace-local-cluster" };

export interface ClusterState {
  version: number;
  runId: string;
  store: StoreKind;
  apiUrl: string;
  pids: Record<string, number>;
  ports: Record<string, number>;
  bins: Record<string, string>;
  startedAt: string;
  /** Present when started with --with-node. */
  node?: NodeState;
}

/** KEY=value lines (comments, blank lines and surrounding quotes allowed), as in k8s-*.env. */
export function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*(?:#.*)?$/.exec(line);
    if (m?.[1] !== undefined) env[m[1]] = (m[2] ?? "").replace(/^(['"])(.*)\1$/, "$2");
  }
  return env;
}

export function readState(): ClusterState | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  const state = JSON.parse(readFileSync(STATE_FILE, "utf8")) as ClusterState;
  return state.version === STATE_VERSION ? state : undefined;
}

/** Admin connection of the recorded cluster (PKI files from .local/cluster/pki). */
export function connectionOf(state: ClusterState): ApiConnection {
  const pki = planePkiPaths(join(CLUSTER_DIR, "pki"));
  const read = (p: string) => readFileSync(p, "utf8");
  return { apiUrl: state.apiUrl, caPem: read(pki.caCert), admin: { certPem: read(pki.adminCert), keyPem: read(pki.adminKey) } };
}

/** undefined when healthy, else why not: every recorded pid runs its binary and /readyz is 200. */
export async function unhealthyReason(state: ClusterState | undefined): Promise<string | undefined> {
  if (!state) return "no state (not started)";
  const dead = [...recordedProcs(state), ...(state.node ? nodeProcs(CLUSTER_DIR, state.node) : [])].find((p) => !isRunning(p));
  if (dead) return `${dead.name} (pid ${dead.pid}) is not running`;
  if (!(await apiserverReady(connectionOf(state)))) return `${state.apiUrl}/readyz is not 200`;
  return undefined;
}

// KCM first, store last: the reverse of start order.
function recordedProcs(state: ClusterState): Proc[] {
  const logs = join(CLUSTER_DIR, "logs");
  const roles: [key: string, name: string][] = [
    ["kcm", "kube-controller-manager"],
    ["apiserver", "kube-apiserver"],
    [state.store, state.store],
  ];
  return roles.flatMap(([key, name]) => {
    const pid = state.pids[key];
    const bin = state.bins[key];
    return pid && bin ? [adoptProc(name, pid, bin, join(logs, `${name}.log`))] : [];
  });
}

/** The node first (it needs the apiserver to go quietly), then the control plane. */
async function stopRecorded(state: ClusterState | undefined): Promise<string[]> {
  const outcomes: string[] = [];
  if (state?.node || nodeHostChangesRecorded(CLUSTER_DIR)) {
    const failures = await stopNode(CLUSTER_DIR, state?.node);
    outcomes.push(failures.length === 0 ? "node (host restored)" : `node; host NOT fully restored: ${failures.join("; ")}`);
  }
  return state ? [...outcomes, ...(await stopPlaneProcs(state))] : outcomes;
}

async function stopPlaneProcs(state: ClusterState): Promise<string[]> {
  const outcomes: string[] = [];
  for (const proc of recordedProcs(state)) outcomes.push(`${proc.name} ${await stopProc(proc, { timeoutMs: 10_000 })}`);
  return outcomes;
}

function binsFromEnv(store: StoreKind): Record<string, string> {
  if (!existsSync(BINS_ENV)) throw new Error(`${BINS_ENV} is missing: run bash scripts/k8s-bins.sh first`);
  const env = readEnvFile(BINS_ENV);
  const want: Record<string, string | undefined> = {
    apiserver: env.VWS_BIN_KUBE_APISERVER,
    kcm: env.VWS_BIN_KCM,
    [store]: store === "etcd" ? env.VWS_BIN_ETCD : env.VWS_BIN_KINE,
  };
  const bins: Record<string, string> = {};
  for (const [key, path] of Object.entries(want)) {
    if (!path || !existsSync(path)) {
      const hint = key === "etcd" ? "bash scripts/k8s-bins.sh --with-etcd" : "bash scripts/k8s-bins.sh";
      throw new Error(`no ${key} binary in ${BINS_ENV} (${path || "empty"}): run ${hint}`);
    }
    bins[key] = path;
  }
  return bins;
}

function writeState(state: ClusterState): void {
  const tmp = `${STATE_FILE}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, STATE_FILE);
}

/** A fresh start keeps the previous run's logs as *.log.prev and (without --keep-data) drops the store. */
function resetForFreshStart(keepData: boolean): void {
  const logs = join(CLUSTER_DIR, "logs");
  if (existsSync(logs)) {
    for (const f of readdirSync(logs).filter((n) => n.endsWith(".log"))) renameSync(join(logs, f), join(logs, `${f}.prev`));
  }
  if (!keepData) for (const dir of ["kine", "etcd"]) rmSync(join(CLUSTER_DIR, dir), { recursive: true, force: true });
  rmSync(STATE_FILE, { force: true });
}

async function assertKubernetesVersion(conn: ApiConnection): Promise<string> {
  const want = readEnvFile(VERSIONS_ENV).KUBERNETES;
  const res = await apiRequest(conn, "/version");
  const got = ((await res.json()) as { gitVersion?: string }).gitVersion;
  if (!got || got !== want) throw new Error(`apiserver /version gitVersion is ${got}, expected ${want} (unstamped build? rerun bash scripts/k8s-bins.sh --rebuild)`);
  return got;
}

async function writeMarker(conn: ApiConnection, state: ClusterState, kubernetesVersion: string): Promise<void> {
  const body = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: MARKER.name, namespace: MARKER.namespace, labels: { "app.kubernetes.io/managed-by": "vworkspace-local-cluster" } },
    data: { runId: state.runId, startedAt: state.startedAt, store: state.store, kubernetesVersion },
  };
  const path = `/api/v1/namespaces/${MARKER.namespace}/configmaps/${MARKER.name}?fieldManager=vws-local-cluster&force=true`;
  // kube-system is created by the apiserver shortly after start; retry briefly if it is not there yet.
  await pollUntil(
    async () => {
      const res = await apiRequest(conn, path, { method: "PATCH", headers: { "content-type": "application/apply-patch+yaml" }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
      return true;
    },
    { what: `server-side apply of ConfigMap ${MARKER.namespace}/${MARKER.name}`, timeoutMs: 30_000 },
  );
}

async function up(flags: Set<string>): Promise<number> {
  const existing = readState();
  const withNode = flags.has("--with-node");
  if (existing && (await unhealthyReason(existing)) === undefined) {
    if (withNode && !existing.node) throw new Error(`running without a node (${existing.apiUrl}): run down, then up --with-node`);
    if (!flags.has("--quiet")) console.log(`already running: ${existing.apiUrl}`);
    return 0;
  }
  if (existing || nodeHostChangesRecorded(CLUSTER_DIR)) console.log(`stale cluster state: stopping survivors (${(await stopRecorded(existing)).join(", ")})`);
  if (withNode) ensureDebianPackages((line) => console.log(line));
  resetForFreshStart(flags.has("--keep-data"));
  const store: StoreKind = process.env.VWS_STORE === "etcd" ? "etcd" : "kine";
  return startCluster(store, flags, { withNode });
}

/**
 * After a process of a running cluster died (kube-apiserver can panic in its etcd client's watch code under
 * load), starts it again in place: same ports, data, PKI and run id, so clients holding the kubeconfig carry
 * on. Does nothing while every recorded process runs, however slow its answers: that is load, not death.
 */
async function revive(flags: Set<string>): Promise<number> {
  const existing = readState();
  if (!existing) return 0;
  const dead = recordedProcs(existing).filter((proc) => !isRunning(proc));
  if (dead.length === 0) return 0;
  console.log(`local cluster: ${dead.map((proc) => `${proc.name} (pid ${proc.pid})`).join(", ")} died; restarting in place (${(await stopPlaneProcs(existing)).join(", ")})`);
  resetForFreshStart(true);
  const { store, ports } = existing;
  const fixed: PlanePorts = { store: ports[store] ?? 0, storePeer: ports.etcdPeer ?? 0, apiserver: ports.apiserver ?? 0, kcm: ports.kcm ?? 0 };
  return startCluster(existing.store, flags, { withNode: existing.node !== undefined, keep: { ports: fixed, runId: existing.runId, node: existing.node } });
}

interface StartOptions {
  withNode: boolean;
  /** Restart in place (revive): same ports and run id; a running node is kept. */
  keep?: { ports: PlanePorts; runId: string; node?: NodeState };
}

async function startCluster(store: StoreKind, flags: Set<string>, { withNode, keep }: StartOptions): Promise<number> {
  const bins = binsFromEnv(store);
  const nodeBins = withNode && !keep?.node ? nodeBinsFrom(readEnvFile(BINS_ENV)) : undefined;
  const started = Date.now();
  const pkiPaths = planePkiPaths(join(CLUSTER_DIR, "pki"));
  const plane = await createPlane({
    stateDir: CLUSTER_DIR,
    bins: { kubeApiserver: bins.apiserver ?? "", kcm: bins.kcm, kine: bins.kine, etcd: bins.etcd },
    withKcm: true,
    store,
    detached: true,
    extraArgs: withNode ? { apiserver: nodeApiserverArgs(pkiPaths), kcm: NODE_KCM_ARGS } : undefined,
    apiHost: withNode ? NODE_NAMES.nodeIp : undefined,
  });
  const stopOnSignal = () => void plane.stop().finally(() => process.exit(130));
  process.once("SIGINT", stopOnSignal).once("SIGTERM", stopOnSignal);
  try {
    // The node IP must exist before kube-apiserver binds it.
    if (nodeBins) prepareNodeHost(CLUSTER_DIR);
    await plane.start(keep?.ports);
    const state: ClusterState = { ...stateOf(plane, bins, store), ...(keep ? { runId: keep.runId, node: keep.node } : {}) };
    writeState(state);
    await writeMarker(plane, state, await assertKubernetesVersion(plane));
    const quiet = flags.has("--quiet");
    if (!quiet) console.log(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)}s: ${plane.apiUrl} (export KUBECONFIG=${KUBECONFIG})`);
    if (nodeBins) {
      const nodeStarted = Date.now();
      const caKeyPem = readFileSync(pkiPaths.caKey, "utf8");
      state.node = await startNode({ clusterDir: CLUSTER_DIR, conn: plane, caKeyPem, bins: nodeBins });
      writeState(state);
      if (!quiet) console.log(`node Ready in ${((Date.now() - nodeStarted) / 1000).toFixed(1)}s`);
    }
    return 0;
  } catch (err) {
    await plane.stop();
    if (nodeBins) await stopNode(CLUSTER_DIR, undefined);
    rmSync(STATE_FILE, { force: true });
    throw err;
  }
}

function stateOf(plane: ControlPlane, bins: Record<string, string>, store: StoreKind): ClusterState {
  const { pids, ports } = plane;
  return {
    version: STATE_VERSION,
    runId: crypto.randomUUID().slice(0, 8),
    store,
    apiUrl: plane.apiUrl,
    pids: { [store]: pids.store, apiserver: pids.apiserver, kcm: pids.kcm ?? 0 },
    ports: { [store]: ports.store, ...(store === "etcd" ? { etcdPeer: ports.storePeer } : {}), apiserver: ports.apiserver, kcm: ports.kcm },
    bins,
    startedAt: new Date().toISOString(),
  };
}

async function down(flags: Set<string>): Promise<number> {
  const state = readState();
  const outcomes = await stopRecorded(state);
  rmSync(STATE_FILE, { force: true });
  const notRestored = outcomes.some((o) => o.includes("NOT fully restored"));
  if (flags.has("--purge") && !notRestored) rmSync(CLUSTER_DIR, { recursive: true, force: true });
  if (!flags.has("--quiet") || notRestored) console.log(outcomes.length > 0 ? `stopped: ${outcomes.join(", ")}` : "not running");
  return notRestored ? 1 : 0;
}

async function status(flags: Set<string>): Promise<number> {
  const state = readState();
  const reason = await unhealthyReason(state);
  if (!flags.has("--quiet")) console.log(reason === undefined ? `running: ${state?.apiUrl} pids ${JSON.stringify(state?.pids)}` : `not running: ${reason}`);
  return reason === undefined ? 0 : 1;
}

/** up/down run under flock(1) on .local/cluster/lock; -o keeps the lock fd out of the cluster's children. */
function relaunchUnderLock(argv: string[]): number {
  const res = Bun.spawnSync({
    cmd: ["flock", "-o", "-E", "75", "-w", String(LOCK_WAIT_S), LOCK_FILE, process.execPath, import.meta.path, ...argv],
    env: { ...process.env, VWS_CLUSTER_LOCK_HELD: "1" },
    stdio: ["inherit", "inherit", "inherit"],
  });
  if (res.exitCode === 75) console.error(`local-cluster: ${LOCK_FILE} still held by another up/down after ${LOCK_WAIT_S}s`);
  return res.exitCode ?? 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flags = new Set(rest);
  const needsLock = command === "up" || command === "down" || command === "revive";
  if (needsLock && process.env.VWS_CLUSTER_LOCK_HELD !== "1") {
    mkdirSync(CLUSTER_DIR, { recursive: true });
    return relaunchUnderLock(argv);
  }
  switch (command) {
    case "up":
      return up(flags);
    case "down":
      return down(flags);
    case "revive":
      return revive(flags);
    case "status":
      return status(flags);
    case "env":
      console.log(`export KUBECONFIG=${KUBECONFIG}`);
      return 0;
    default:
      console.error("usage: bun scripts/local-cluster.ts up [--keep-data] [--quiet] [--with-node] | down [--purge] | revive [--quiet] | env | status [--quiet]");
      return 2;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`local-cluster: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
