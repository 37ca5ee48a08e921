// A real node for the local cluster: containerd (own root, state and socket) + runc, a CNI bridge, the
// self-made busybox image as sandbox image, kubelet (cgroupfs, serving TLS with webhook authn/authz),
// kube-proxy (iptables) and kube-scheduler. Facts that shaped it are in README.md ("A real node").
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { apiRequest, kubeconfigYaml, type ApiConnection } from "./controlplane";
import { NODE_IMAGE, buildNodeImage } from "./node-image";
import { NODE_NAMES, linkExists, nodeIpAssigned, prepareHost, restoreHost, snapshotHost, type HostSnapshot } from "./node-host";
import { issueCert, loadCa, type PemPair, type PlanePkiPaths } from "./pki";
import { freePorts, LOOPBACK } from "./ports";
import { adoptProc, isRunning, pollUntil, spawnLogged, stopProc, tailFile, type Proc } from "./procs";

export const NODE_NAME = "vws-node";
const CNI_BIN_DIR = "/usr/lib/cni";

export interface NodeBins {
  containerd: string;
  kubelet: string;
  scheduler: string;
  proxy: string;
}

export interface NodeState {
  pids: { containerd: number; kubelet: number; scheduler: number; proxy: number };
  ports: { kubelet: number; kubeletHealthz: number; scheduler: number; proxyHealthz: number; proxyMetrics: number };
  bins: NodeBins;
  containerdSocket: string;
}

/** Where the node keeps everything of its own: <clusterDir>/node. */
export function nodeDir(clusterDir: string): string {
  return join(clusterDir, "node");
}

function hostSnapshotPath(clusterDir: string): string {
  return join(nodeDir(clusterDir), "host-before.json");
}

/** True while host changes of a node are recorded and not yet undone (e.g. after a crash mid-start). */
export function nodeHostChangesRecorded(clusterDir: string): boolean {
  return existsSync(hostSnapshotPath(clusterDir));
}

/**
 * kube-apiserver flags a node needs: Node authorization for kubelets, a client certificate to reach
 * kubelets (logs, exec), and webhooks reaching Service endpoints directly (kube-apiserver is no Pod).
 * Without the node lifecycle controller nothing would lift the not-ready taint TaintNodesByCondition adds.
 */
export function nodeApiserverArgs(pki: PlanePkiPaths): string[] {
  return [
    "--authorization-mode=Node,RBAC",
    `--kubelet-client-certificate=${pki.adminCert}`,
    `--kubelet-client-key=${pki.adminKey}`,
    "--kubelet-preferred-address-types=InternalIP,Hostname",
    // Pods get ServiceAccount tokens (the plain local cluster disables that plugin).
    "--disable-admission-plugins=TaintNodesByCondition",
    "--enable-aggregator-routing=true",
    // Service default/kubernetes gets the node IP as its endpoint, which kube-proxy forwards Pods to.
    "--endpoint-reconciler-type=lease",
  ];
}

/**
 * Controllers Deployments, Services, PodDisruptionBudgets and Jobs (the Operation job engine's Pods) need,
 * added to the local cluster's (list flags accumulate).
 */
export const NODE_KCM_ARGS = ["--controllers=deployment-controller,replicaset-controller,endpoints-controller,endpointslice-controller,disruption-controller,job-controller"];

export function nodeBinsFrom(env: Record<string, string>): NodeBins {
  // VWS_BIN_CONTAINERD swaps Debian's containerd (tests use it to prove a failing containerd is reported).
  const bins = { containerd: process.env.VWS_BIN_CONTAINERD || "/usr/bin/containerd", kubelet: env.VWS_BIN_KUBELET ?? "", scheduler: env.VWS_BIN_KUBE_SCHEDULER ?? "", proxy: env.VWS_BIN_KUBE_PROXY ?? "" };
  for (const [key, path] of Object.entries(bins)) {
    if (!path || !existsSync(path)) throw new Error(`no ${key} binary (${path || "empty"}): run bash scripts/k8s-bins.sh --with-node`);
  }
  return bins;
}

export function nodeProcs(clusterDir: string, state: NodeState): Proc[] {
  const logs = join(clusterDir, "logs");
  return [
    adoptProc("kube-proxy", state.pids.proxy, state.bins.proxy, join(logs, "kube-proxy.log")),
    adoptProc("kube-scheduler", state.pids.scheduler, state.bins.scheduler, join(logs, "kube-scheduler.log")),
    adoptProc("kubelet", state.pids.kubelet, state.bins.kubelet, join(logs, "kubelet.log")),
    adoptProc("containerd", state.pids.containerd, state.bins.containerd, join(logs, "containerd.log")),
  ];
}

interface StartOptions {
  clusterDir: string;
  conn: ApiConnection;
  caKeyPem: string;
  bins: NodeBins;
}

/**
 * Records the host as it is, then assigns the node IP and kubelet's cgroup root. Runs before the control
 * plane starts (kube-apiserver binds the node IP); stopNode undoes it.
 */
export function prepareNodeHost(clusterDir: string): void {
  if (linkExists(NODE_NAMES.bridge) || nodeIpAssigned()) {
    throw new Error(`link ${NODE_NAMES.bridge} or address ${NODE_NAMES.nodeIp} exists: another local node runs (stop it with its down)`);
  }
  mkdirSync(nodeDir(clusterDir), { recursive: true, mode: 0o700 });
  writeFileSync(hostSnapshotPath(clusterDir), JSON.stringify(snapshotHost()));
  prepareHost();
}

/** Starts containerd, kubelet, kube-proxy and kube-scheduler (detached) and waits for the Node to be Ready. */
export async function startNode(opts: StartOptions): Promise<NodeState> {
  const { clusterDir, conn, bins } = opts;
  const dir = nodeDir(clusterDir);
  const [kubelet = 0, kubeletHealthz = 0, scheduler = 0, proxyHealthz = 0, proxyMetrics = 0] = await freePorts(5);
  const logs = join(clusterDir, "logs");
  const socket = join(dir, "containerd", "containerd.sock");
  const started: Proc[] = [];
  try {
    const containerd = spawnLogged({ name: "containerd", bin: bins.containerd, args: ["--config", writeContainerdConfig(dir, socket)], logPath: join(logs, "containerd.log"), detached: true });
    started.push(containerd);
    await pollUntil(async () => ctr(socket, ["version"]).ok, { what: `containerd on ${socket}`, timeoutMs: 30_000, watch: [containerd] });
    const imported = ctr(socket, ["-n", "k8s.io", "images", "import", buildNodeImage(join(dir, "image"))]);
    if (!imported.ok) throw new Error(`ctr images import of ${NODE_IMAGE} failed: ${imported.out}`);
    writeCniConfig(dir);
    const kubeletConfig = await writeKubeletFiles(opts, { socket, kubelet, kubeletHealthz });
    const kubeletProc = spawnLogged({
      name: "kubelet",
      bin: bins.kubelet,
      args: [
        `--config=${kubeletConfig}`,
        `--kubeconfig=${join(dir, "kubelet.kubeconfig")}`,
        `--root-dir=${join(dir, "kubelet")}`,
        `--hostname-override=${NODE_NAME}`,
        `--node-ip=${NODE_NAMES.nodeIp}`,
        "--v=1",
      ],
      logPath: join(logs, "kubelet.log"),
      detached: true,
    });
    started.push(kubeletProc);
    const schedulerProc = spawnLogged({
      name: "kube-scheduler",
      bin: bins.scheduler,
      args: [
        `--kubeconfig=${join(clusterDir, "kubeconfig")}`,
        `--authentication-kubeconfig=${join(clusterDir, "kubeconfig")}`,
        `--authorization-kubeconfig=${join(clusterDir, "kubeconfig")}`,
        `--bind-address=${LOOPBACK}`,
        `--secure-port=${scheduler}`,
        "--leader-elect=false",
        "--v=1",
      ],
      logPath: join(logs, "kube-scheduler.log"),
      detached: true,
    });
    started.push(schedulerProc);
    const proxyProc = spawnLogged({
      name: "kube-proxy",
      bin: bins.proxy,
      args: [
        `--kubeconfig=${join(clusterDir, "kubeconfig")}`,
        `--hostname-override=${NODE_NAME}`,
        "--proxy-mode=iptables",
        `--cluster-cidr=${NODE_NAMES.podSubnet}`,
        `--healthz-bind-address=${LOOPBACK}:${proxyHealthz}`,
        `--metrics-bind-address=${LOOPBACK}:${proxyMetrics}`,
        // Leave the host's conntrack table sizes alone.
        "--conntrack-max-per-core=0",
        "--v=1",
      ],
      logPath: join(logs, "kube-proxy.log"),
      detached: true,
    });
    started.push(proxyProc);
    await pollUntil(() => nodeReady(conn), { what: `Node ${NODE_NAME} Ready`, timeoutMs: 60_000, watch: started });
    return {
      pids: { containerd: containerd.pid, kubelet: kubeletProc.pid, scheduler: schedulerProc.pid, proxy: proxyProc.pid },
      ports: { kubelet, kubeletHealthz, scheduler, proxyHealthz, proxyMetrics },
      bins,
      containerdSocket: socket,
    };
  } catch (err) {
    const tails = started.map((p) => `--- ${p.name}:\n${tailFile(p.logPath, 15)}`).join("\n");
    await stopAndRestore(clusterDir, started, socket);
    throw new Error(`${(err as Error).message}\n${tails}`);
  }
}

/**
 * Lets the node's containerd pull from a plain-HTTP registry on this machine (e.g. the loopback OCI
 * registry the tests push images to). containerd reads certs.d on every pull: no restart needed.
 */
export function trustLoopbackRegistry(clusterDir: string, hostPort: string): void {
  if (!/^127\.0\.0\.1:\d+$/.test(hostPort)) throw new Error(`only a loopback registry may be trusted over HTTP, not ${hostPort}`);
  const dir = join(nodeDir(clusterDir), "containerd", "certs.d", hostPort);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "hosts.toml"), `server = "http://${hostPort}"\n\n[host."http://${hostPort}"]\n  capabilities = ["pull", "resolve"]\n`);
}

/** Stops the node's processes and Pod containers and restores the host; returns what it could not undo. */
export async function stopNode(clusterDir: string, state: NodeState | undefined): Promise<string[]> {
  const procs = state ? nodeProcs(clusterDir, state) : [];
  return stopAndRestore(clusterDir, procs, state?.containerdSocket ?? join(nodeDir(clusterDir), "containerd", "containerd.sock"));
}

async function stopAndRestore(clusterDir: string, procs: Proc[], socket: string): Promise<string[]> {
  const failures: string[] = [];
  const byName = (n: string) => procs.find((p) => p.name === n);
  for (const name of ["kube-proxy", "kube-scheduler", "kubelet"]) {
    const proc = byName(name);
    if (proc) await stopProc(proc, { timeoutMs: 10_000 }).catch((err: Error) => failures.push(err.message));
  }
  const containerd = byName("containerd");
  if (containerd && isRunning(containerd)) killContainers(socket);
  if (containerd) await stopProc(containerd, { timeoutMs: 10_000 }).catch((err: Error) => failures.push(err.message));
  const snapshotPath = hostSnapshotPath(clusterDir);
  if (existsSync(snapshotPath)) {
    const before = JSON.parse(readFileSync(snapshotPath, "utf8")) as HostSnapshot;
    failures.push(...restoreHost(before, nodeDir(clusterDir)));
    if (failures.length === 0) rmSync(snapshotPath);
  }
  return failures;
}

// Every container task (Pod sandboxes included) is killed and deleted, which also ends its shim.
function killContainers(socket: string): void {
  const ns = ["-n", "k8s.io"];
  const tasks = ctr(socket, [...ns, "tasks", "ls", "-q"]).out.split("\n").filter(Boolean);
  for (const id of tasks) ctr(socket, [...ns, "tasks", "kill", "-s", "SIGKILL", id]);
  for (const id of tasks) ctr(socket, [...ns, "tasks", "delete", "-f", id]);
  for (const id of ctr(socket, [...ns, "containers", "ls", "-q"]).out.split("\n").filter(Boolean)) ctr(socket, [...ns, "containers", "delete", id]);
}

function ctr(socket: string, args: string[]): { ok: boolean; out: string } {
  const res = Bun.spawnSync({ cmd: ["ctr", "--address", socket, "--timeout", "30s", ...args], stdout: "pipe", stderr: "pipe" });
  return { ok: res.exitCode === 0, out: `${res.stdout.toString()}${res.stderr.toString()}`.trim() };
}

async function nodeReady(conn: ApiConnection): Promise<boolean> {
  const res = await apiRequest(conn, `/api/v1/nodes/${NODE_NAME}`);
  if (res.status !== 200) return false;
  const node = (await res.json()) as { status?: { conditions?: { type: string; status: string }[] } };
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

function writeContainerdConfig(dir: string, socket: string): string {
  const root = join(dir, "containerd");
  mkdirSync(join(root, "certs.d"), { recursive: true });
  const path = join(root, "config.toml");
  // restrict_oom_score_adj: root here may lack CAP_SYS_RESOURCE, which negative OOM scores need.
  writeFileSync(
    path,
    `version = 2
root = "${join(root, "root")}"
state = "${join(root, "state")}"
[grpc]
  address = "${socket}"
[ttrpc]
  address = "${socket}.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${NODE_IMAGE}"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN_DIR}"
    conf_dir = "${join(dir, "cni")}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${join(root, "certs.d")}"
`,
  );
  return path;
}

function writeCniConfig(dir: string): void {
  mkdirSync(join(dir, "cni"), { recursive: true });
  const conf = {
    cniVersion: "1.0.0",
    name: "vws-node",
    plugins: [
      {
        type: "bridge",
        bridge: NODE_NAMES.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: "host-local", ranges: [[{ subnet: NODE_NAMES.podSubnet }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: join(dir, "cni-ipam") },
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
  writeFileSync(join(dir, "cni", "10-vws-node.conflist"), JSON.stringify(conf, null, 2));
}

async function writeKubeletFiles(opts: StartOptions, p: { socket: string; kubelet: number; kubeletHealthz: number }): Promise<string> {
  const dir = nodeDir(opts.clusterDir);
  const caPath = join(dir, "ca.crt");
  writeFileSync(caPath, opts.conn.caPem);
  // The Node authorizer knows a kubelet by this identity.
  const ca = await loadCa({ certPem: opts.conn.caPem, keyPem: opts.caKeyPem });
  const client: PemPair = await issueCert(ca, { cn: `system:node:${NODE_NAME}`, org: "system:nodes", usage: "client" });
  writeFileSync(join(dir, "kubelet.kubeconfig"), kubeconfigYaml({ apiUrl: opts.conn.apiUrl, caPem: opts.conn.caPem, admin: client }), { mode: 0o600 });
  const config = {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    // This host has cgroup v1 controllers; kubelet ≥ 1.35 refuses that unless told otherwise.
    failCgroupV1: false,
    cgroupDriver: "cgroupfs",
    cgroupRoot: `/${NODE_NAMES.cgroupRoot}`,
    containerRuntimeEndpoint: `unix://${p.socket}`,
    address: NODE_NAMES.nodeIp,
    port: p.kubelet,
    readOnlyPort: 0,
    healthzBindAddress: LOOPBACK,
    healthzPort: p.kubeletHealthz,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: caPath } },
    authorization: { mode: "Webhook" },
    podLogsDir: join(dir, "pod-logs"),
    failSwapOn: false,
    resolvConf: "/etc/resolv.conf",
    evictionHard: { "memory.available": "50Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%" },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    registerNode: true,
    maxPods: 30,
  };
  const path = join(dir, "kubelet-config.yaml");
  writeFileSync(path, stringify(config));
  return path;
}
