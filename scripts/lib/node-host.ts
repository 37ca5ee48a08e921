// Host changes a local node makes, recorded before it starts and undone by `down`: Debian packages it
// needs, sysctls kubelet and the CNI bridge set, iptables chains, the bridge and node-IP links, cgroups,
// network namespaces, mounts and the host directories kubelet/containerd/CNI create (README.md, "A real node").
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const NODE_NAMES = {
  /** Bridge the CNI plugin creates (≤ 15 chars); its existence means a node runs already. */
  bridge: "vwsnode0",
  /** Node IP, an extra address on lo: local to this machine, yet not a loopback address (kubelet refuses those). */
  nodeIp: "10.253.255.1",
  podSubnet: "10.254.0.0/24",
  /** kubelet cgroupRoot: every Pod cgroup lives below this, in each v1 hierarchy. */
  cgroupRoot: "vws-node",
};

// iptables is named although containernetworking-plugins pulls it in: kube-proxy and the host snapshot call it.
export const DEBIAN_PACKAGES = ["containerd", "runc", "containernetworking-plugins", "busybox-static", "iptables"];
const SYSCTLS = [
  "vm/overcommit_memory",
  "kernel/panic",
  "kernel/panic_on_oops",
  "net/ipv4/ip_forward",
  "net/ipv4/conf/all/route_localnet",
  "net/bridge/bridge-nf-call-iptables",
  "net/netfilter/nf_conntrack_max",
];
const HOST_DIRS = ["/var/lib/kubelet", "/var/lib/cni", "/var/log/containers", "/var/log/pods", "/run/containerd", "/var/run/netns", "/etc/cni"];
const CGROUP_FS = "/sys/fs/cgroup";

export interface HostSnapshot {
  sysctls: Record<string, string>;
  /** table → chain names, per tool (iptables, ip6tables). */
  chains: Record<string, Record<string, string[]>>;
  /** Host directories absent before the node started (removed by restore). */
  absentDirs: string[];
  netns: string[];
  /** Top-level cgroups present before, per hierarchy. */
  cgroups: Record<string, string[]>;
}

function run(cmd: string[], what: string): string {
  const res = Bun.spawnSync({ cmd, stdout: "pipe", stderr: "pipe" });
  if (res.exitCode !== 0) throw new Error(`${what} failed (${cmd.join(" ")}): ${res.stderr.toString().trim().slice(0, 400)}`);
  return res.stdout.toString();
}

function tryRun(cmd: string[]): boolean {
  return Bun.spawnSync({ cmd, stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

/** apt-get installs what is missing (saying so); throws with the reason when it cannot. */
export function ensureDebianPackages(log: (line: string) => void): void {
  const missing = DEBIAN_PACKAGES.filter((pkg) => {
    const res = Bun.spawnSync({ cmd: ["dpkg-query", "-W", "-f=${Status}", pkg], stdout: "pipe", stderr: "ignore" });
    return !res.stdout.toString().includes("install ok installed");
  });
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`node needs Debian packages ${missing.join(" ")} and root to install them`);
  log(`node: apt-get install ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq", "--no-install-recommends", ...missing];
  if (Bun.spawnSync({ cmd: install, env, stdout: "ignore", stderr: "pipe" }).exitCode === 0) return;
  run(["apt-get", "-o", "DPkg::Lock::Timeout=300", "update", "-qq"], "apt-get update");
  const res = Bun.spawnSync({ cmd: install, env, stdout: "ignore", stderr: "pipe" });
  if (res.exitCode !== 0) throw new Error(`apt-get install ${missing.join(" ")} failed: ${res.stderr.toString().trim().slice(-400)}`);
}

export function linkExists(name: string): boolean {
  return tryRun(["ip", "link", "show", name]);
}

function chainsOf(tool: string): Record<string, string[]> {
  const tables: Record<string, string[]> = {};
  let table = "";
  for (const line of run([`${tool}-save`], `${tool}-save`).split("\n")) {
    if (line.startsWith("*")) tables[(table = line.slice(1))] = [];
    else if (line.startsWith(":")) tables[table]?.push(line.slice(1).split(" ")[0] ?? "");
  }
  return tables;
}

function topCgroups(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const h of readdirSync(CGROUP_FS)) {
    const dir = join(CGROUP_FS, h);
    out[h] = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  }
  return out;
}

export function snapshotHost(): HostSnapshot {
  const sysctls: Record<string, string> = {};
  for (const key of SYSCTLS) {
    const path = `/proc/sys/${key}`;
    if (existsSync(path)) sysctls[key] = readFileSync(path, "utf8").trim();
  }
  return {
    sysctls,
    chains: { iptables: chainsOf("iptables"), ip6tables: chainsOf("ip6tables") },
    absentDirs: HOST_DIRS.filter((d) => !existsSync(d)),
    netns: existsSync("/var/run/netns") ? readdirSync("/var/run/netns") : [],
    cgroups: topCgroups(),
  };
}

export function nodeIpAssigned(): boolean {
  return run(["ip", "-o", "addr", "show", "dev", "lo"], "list addresses of lo").includes(` ${NODE_NAMES.nodeIp}/`);
}

/** The node IP on lo, and kubelet's cgroup root in every v1 hierarchy. */
export function prepareHost(): void {
  run(["ip", "addr", "add", `${NODE_NAMES.nodeIp}/32`, "dev", "lo"], "assign the node IP to lo");
  for (const h of readdirSync(CGROUP_FS)) {
    if (h === "unified") continue;
    const dir = join(CGROUP_FS, h, NODE_NAMES.cgroupRoot);
    if (!existsSync(dir)) run(["mkdir", dir], `create cgroup ${dir}`);
    // A new cpuset cgroup starts with no CPUs or memory nodes; inherit the parent's.
    for (const f of ["cpuset.cpus", "cpuset.mems"]) {
      if (existsSync(join(dir, f))) writeFileSync(join(dir, f), readFileSync(join(CGROUP_FS, h, f), "utf8"));
    }
  }
}

/** Undoes every change recorded against `before`; returns what it could not undo (best effort, no throw). */
export function restoreHost(before: HostSnapshot, nodeDir: string): string[] {
  const failures: string[] = [];
  const attempt = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      failures.push(`${what}: ${(err as Error).message}`);
    }
  };
  attempt("mounts", () => unmountUnder([nodeDir, "/var/run/netns/", "/run/netns/", "/var/lib/kubelet/", "/run/containerd/"]));
  attempt("netns", () => {
    if (!existsSync("/var/run/netns")) return;
    for (const ns of readdirSync("/var/run/netns")) if (!before.netns.includes(ns)) rmSync(join("/var/run/netns", ns), { force: true });
  });
  if (linkExists(NODE_NAMES.bridge)) attempt(`link ${NODE_NAMES.bridge}`, () => run(["ip", "link", "del", NODE_NAMES.bridge], `delete link ${NODE_NAMES.bridge}`));
  if (nodeIpAssigned()) attempt("node IP", () => run(["ip", "addr", "del", `${NODE_NAMES.nodeIp}/32`, "dev", "lo"], "remove the node IP from lo"));
  for (const [tool, tables] of Object.entries(before.chains)) attempt(tool, () => removeNewChains(tool, tables));
  for (const [key, value] of Object.entries(before.sysctls)) attempt(`sysctl ${key}`, () => writeFileSync(`/proc/sys/${key}`, value));
  attempt("cgroups", () => removeNewCgroups(before.cgroups));
  for (const dir of before.absentDirs) attempt(dir, () => rmSync(dir, { recursive: true, force: true }));
  return failures;
}

function unmountUnder(prefixes: string[]): void {
  const mounts = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => (l.split(" ")[1] ?? "").replace(/\\040/g, " "))
    .filter((m) => prefixes.some((p) => m.startsWith(p)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) tryRun(["umount", "-l", m]);
}

function removeNewChains(tool: string, before: Record<string, string[]>): void {
  for (const [table, chains] of Object.entries(chainsOf(tool))) {
    const known = new Set(before[table] ?? []);
    const added = chains.filter((c) => !known.has(c));
    if (added.length === 0) continue;
    const addedSet = new Set(added);
    // Rules in kept chains that jump into an added chain go first, then the added chains themselves.
    for (const rule of run([tool, "-t", table, "-S"], `${tool} -S`).split("\n")) {
      const m = /^-A (\S+) .*-j (\S+)/.exec(rule);
      if (m?.[1] && m[2] && !addedSet.has(m[1]) && addedSet.has(m[2])) {
        tryRun([tool, "-t", table, ...splitRule(rule.replace(/^-A /, "-D "))]);
      }
    }
    for (const c of added) tryRun([tool, "-t", table, "-F", c]);
    for (const c of added) tryRun([tool, "-t", table, "-X", c]);
  }
}

// iptables -S quotes arguments containing spaces (comments); keep them together.
function splitRule(rule: string): string[] {
  return (rule.match(/"[^"]*"|\S+/g) ?? []).map((t) => t.replace(/^"(.*)"$/, "$1"));
}

function removeNewCgroups(before: Record<string, string[]>): void {
  for (const [h, names] of Object.entries(topCgroups())) {
    for (const name of names) if (!(before[h] ?? []).includes(name)) rmdirTree(join(CGROUP_FS, h, name));
  }
}

// cgroup directories are removed with rmdir, deepest first (their files cannot be unlinked).
function rmdirTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmdirTree(join(dir, e.name));
  rmdirSync(dir);
}
