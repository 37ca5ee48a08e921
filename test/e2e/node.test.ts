/**
 * A real node (`local-cluster.ts up --with-node`) in a private cluster of its own (VWS_CLUSTER_DIR):
 * a Pod from the self-made busybox image is scheduled, becomes Running and its log is read through
 * kube-apiserver → kubelet; `down` undoes every host change; a containerd that cannot start makes
 * `up --with-node` fail with the reason. Fails (never skips) when the node cannot start.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { ensureDebianPackages } from "../../scripts/lib/node-host";
import { REPO_ROOT } from "../support/cluster";
import { eventually } from "../support/eventually";

const CLUSTER_DIR = join(REPO_ROOT, ".local/node-test-cluster");
const SYSCTLS = ["vm/overcommit_memory", "kernel/panic", "kernel/panic_on_oops", "net/ipv4/ip_forward"];
const HOST_DIRS = ["/var/lib/kubelet", "/var/lib/cni", "/var/log/containers", "/var/log/pods", "/run/containerd", "/var/run/netns"];

interface HostView {
  sysctls: string[];
  chains: string;
  dirs: boolean[];
  lo: string;
  links: string;
  cgroups: string[];
}

function sh(cmd: string[]): string {
  return Bun.spawnSync({ cmd, stdout: "pipe", stderr: "pipe" }).stdout.toString();
}

/** What a node changes on the host, in a comparable form. */
function hostView(): HostView {
  return {
    sysctls: SYSCTLS.map((k) => readFileSync(`/proc/sys/${k}`, "utf8").trim()),
    chains: ["iptables-save", "ip6tables-save"].map((t) => sh([t]).split("\n").filter((l) => l.startsWith(":")).map((l) => l.split(" ")[0]).sort().join(",")).join("|"),
    dirs: HOST_DIRS.map((d) => existsSync(d)),
    lo: sh(["ip", "-o", "addr", "show", "dev", "lo"]).replace(/valid_lft.*$/gm, ""),
    links: sh(["ip", "-o", "link", "show"]).split("\n").map((l) => l.split(":")[1]?.trim() ?? "").sort().join(","),
    cgroups: readdirSync("/sys/fs/cgroup").flatMap((h) => readdirSync(join("/sys/fs/cgroup", h)).filter((n) => n.startsWith("vws-node"))),
  };
}

function localCluster(args: string[], env: Record<string, string> = {}): { code: number; out: string } {
  const res = Bun.spawnSync({
    cmd: [process.execPath, join(REPO_ROOT, "scripts/local-cluster.ts"), ...args],
    env: { ...process.env, VWS_CLUSTER_DIR: CLUSTER_DIR, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: res.exitCode ?? 1, out: `${res.stdout.toString()}${res.stderr.toString()}` };
}

let before: HostView;
let core: CoreV1Api;
let upSeconds = 0;

beforeAll(() => {
  localCluster(["down", "--purge", "--quiet"]);
  // On a new machine the packages come first: the snapshot reads iptables, which they bring.
  ensureDebianPackages((line) => console.log(line));
  before = hostView();
  const started = Date.now();
  const up = localCluster(["up", "--with-node"]);
  upSeconds = (Date.now() - started) / 1000;
  if (up.code !== 0) throw new Error(`local-cluster up --with-node failed (exit ${up.code}):\n${up.out.slice(-3000)}`);
  const kc = new KubeConfig();
  kc.loadFromFile(join(CLUSTER_DIR, "kubeconfig"));
  core = kc.makeApiClient(CoreV1Api);
}, 300_000);

afterAll(() => {
  localCluster(["down", "--purge", "--quiet"]);
}, 120_000);

describe("local cluster with a real node", () => {
  test("a Pod from the self-made image becomes Running and its log is read", async () => {
    console.log(`cluster + node up in ${upSeconds.toFixed(1)}s`);
    const namespace = `node-${Math.random().toString(36).slice(2, 8)}`;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const pod: V1Pod = {
      metadata: { name: "hello", namespace },
      spec: {
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: "hello",
            image: "vws.local/busybox:1",
            imagePullPolicy: "Never",
            command: ["/bin/busybox", "sh", "-c", "echo hello from $(/bin/busybox hostname); exec /bin/busybox sleep 3600"],
          },
        ],
      },
    };
    const created = Date.now();
    await core.createNamespacedPod({ namespace, body: pod });
    const running = await eventually(
      async () => {
        const p = await core.readNamespacedPod({ name: "hello", namespace });
        if (p.status?.phase !== "Running") throw new Error(`phase ${p.status?.phase}: ${JSON.stringify(p.status?.containerStatuses?.[0]?.state ?? p.status?.conditions)}`);
        return p;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: "Pod hello Running" },
    );
    console.log(`Pod Running ${((Date.now() - created) / 1000).toFixed(1)}s after create`);
    expect(running.spec?.nodeName).toBe("vws-node");
    expect(running.status?.podIP).toMatch(/^10\.254\.0\.\d+$/);
    const log = await eventually(
      async () => {
        const text = await core.readNamespacedPodLog({ name: "hello", namespace });
        if (!text.includes("hello from")) throw new Error(`log so far: ${JSON.stringify(text)}`);
        return text;
      },
      { timeoutMs: 30_000, what: "Pod hello log" },
    );
    expect(log.trim()).toBe("hello from hello");
  }, 120_000);

  test("down stops every process and restores the host", () => {
    const state = JSON.parse(readFileSync(join(CLUSTER_DIR, "state.json"), "utf8")) as { node: { pids: Record<string, number> } };
    const down = localCluster(["down"]);
    expect(down.code).toBe(0);
    expect(down.out).toContain("node (host restored)");
    for (const pid of Object.values(state.node.pids)) expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(hostView()).toEqual(before);
  }, 120_000);

  test("a containerd that cannot start fails up --with-node with the reason and leaves the host as it was", () => {
    const up = localCluster(["up", "--with-node"], { VWS_BIN_CONTAINERD: "/bin/false" });
    expect(up.code).not.toBe(0);
    expect(up.out).toMatch(/containerd exited \(code 1\) during wait for containerd on /);
    expect(localCluster(["status", "--quiet"]).code).not.toBe(0);
    expect(hostView()).toEqual(before);
    rmSync(join(CLUSTER_DIR, "state.json"), { force: true });
  }, 120_000);
});
