/**
 * The operator's chart on a private cluster with a real node (`up --with-node`), shared by
 * test/e2e/node.chart.test.ts and bench/node-chart.ts: the cluster, the image pushed to the loopback OCI
 * registry the node pulls from, and readers of the operator's Pods, Lease and /metrics.
 */
import { join } from "node:path";
import { trustLoopbackRegistry } from "../../scripts/lib/node";
import { KubeClient } from "../../src/kube/client";
import { resolveKubeConfig } from "../../src/kube/config";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { NAMESPACE_TYPE } from "../../src/api/gate";
import { REPO_ROOT } from "./cluster";
import { eventually } from "./eventually";
import { pipe } from "./flux";
import { k8sBin } from "./k8s-bins";
import { LogCapture } from "./logs";

export const POD: ResourceType = { group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true };
export const LEASE_NAME = "dad03b25.vworkspace.io";
export const SELECTOR = "app.kubernetes.io/name=vworkspace-operator";

export interface PodView extends KubeObject {
  spec: { nodeName?: string; serviceAccountName?: string; containers: { image: string }[] };
  status?: { podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { ready: boolean; restartCount: number; containerID?: string; state?: unknown }[] };
}

export function mustRun(cmd: string[], env: Record<string, string> = {}): string {
  const res = Bun.spawnSync({ cmd, cwd: REPO_ROOT, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const out = `${res.stdout.toString()}${res.stderr.toString()}`;
  if (res.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${res.exitCode}:\n${out.slice(-3000)}`);
  return out;
}

export interface NodeCluster {
  dir: string;
  kubeconfig: string;
  client: KubeClient;
  localCluster(...args: string[]): string;
  helm(...args: string[]): string;
  /** helm without blocking the event loop, so a write loop runs meanwhile. */
  helmAsync(...args: string[]): Promise<string>;
  /** `down --purge`, quietly, whatever state the cluster is in. */
  down(): void;
}

export function nodeCluster(dir: string): NodeCluster {
  const kubeconfig = join(dir, "kubeconfig");
  const helmEnv = { ...process.env, KUBECONFIG: kubeconfig };
  const localCluster = (...args: string[]) => mustRun([process.execPath, "scripts/local-cluster.ts", ...args], { VWS_CLUSTER_DIR: dir });
  let client: KubeClient | undefined;
  return {
    dir,
    kubeconfig,
    get client() {
      client ??= KubeClient.fromKubeConfig(resolveKubeConfig({ kubeconfigPath: kubeconfig, env: {} }));
      return client;
    },
    localCluster,
    helm: (...args) => mustRun([k8sBin("VWS_BIN_HELM"), ...args], { KUBECONFIG: kubeconfig }),
    helmAsync: async (...args) => {
      const proc = Bun.spawn({ cmd: [k8sBin("VWS_BIN_HELM"), ...args], cwd: REPO_ROOT, env: helmEnv, stdout: "pipe", stderr: "pipe" });
      const [out, err, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      if (exitCode !== 0) throw new Error(`helm ${args.join(" ")} exited ${exitCode}:\n${`${out}${err}`.slice(-3000)}`);
      return out;
    },
    down: () => {
      Bun.spawnSync({ cmd: [process.execPath, "scripts/local-cluster.ts", "down", "--purge", "--quiet"], cwd: REPO_ROOT, env: { ...process.env, VWS_CLUSTER_DIR: dir } });
    },
  };
}

export interface Registry {
  address: string;
  stop(): Promise<void>;
}

/** The plain-HTTP loopback OCI registry (go-containerregistry's, built by scripts/k8s-bins.sh), trusted by the node. */
export async function startRegistry(clusterDir: string, logFile: string): Promise<Registry> {
  const logs = new LogCapture(logFile);
  const proc = Bun.spawn([k8sBin("VWS_BIN_OCI_REGISTRY")], { stdout: "pipe", stderr: "pipe" });
  void pipe(proc.stdout, logs);
  void pipe(proc.stderr, logs);
  const line = await logs.waitFor((candidate) => candidate.startsWith("listening on "), 20_000);
  const address = line.slice("listening on ".length).trim();
  trustLoopbackRegistry(clusterDir, address);
  return { address, stop: async () => { proc.kill("SIGTERM"); await proc.exited; } };
}

/** Sum of vworkspace_operator_reconcile_total over its labels, read from a Pod's /metrics. */
export async function reconcileCount(podIP: string): Promise<number> {
  const text = await (await fetch(`http://${podIP}:8080/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("vworkspace_operator_reconcile_total"))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

/** The operator's Pods that are Ready and not terminating. */
export async function readyPods(client: KubeClient, namespace: string): Promise<PodView[]> {
  const pods = await client.list<PodView>(POD, { namespace, labelSelector: SELECTOR });
  return pods.items.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
}

/** The Pod name of the Lease holder ("" while released). */
export function podOfHolder(holder: string): string {
  return holder.includes("_") ? holder.slice(0, holder.lastIndexOf("_")) : holder;
}

/** `npm run image` from freshly built binaries (a binary left from older sources would be stale), pushed to `ref`. */
export function buildAndPushImage(layoutDir: string, ref: string): void {
  for (const arch of ["amd64", "arm64"]) mustRun(["bash", "scripts/build.sh", `linux-${arch}`]);
  pushImage(layoutDir, ref);
}

/** The image of the binaries already in dist/, pushed to `ref`. */
export function pushImage(layoutDir: string, ref: string): void {
  mustRun(["bash", "scripts/image.sh", "--out", layoutDir, "--push", ref]);
}

/** A namespace whose Pods must meet the "restricted" Pod Security Standard. */
export async function createRestrictedNamespace(client: KubeClient, name: string): Promise<void> {
  const restricted = { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" };
  await client.create(NAMESPACE_TYPE, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: restricted } });
}

/** `helm install` of the chart with the image from `repository:tag`; resolves once the operator Pod is Ready. */
export async function installOperator(cluster: NodeCluster, options: { namespace: string; repository: string; tag: string; sets?: string[] }): Promise<{ pod: PodView; installToReadyS: number }> {
  const started = Date.now();
  cluster.helm(
    "install", "vws", join(REPO_ROOT, "chart"), "--namespace", options.namespace,
    "--set", `image.repository=${options.repository}`, "--set", `image.tag=${options.tag}`, "--set", "image.pullPolicy=IfNotPresent",
    ...(options.sets ?? []).flatMap((set) => ["--set", set]),
  );
  const pod = await eventually(
    async () => {
      const pods = await cluster.client.list<PodView>(POD, { namespace: options.namespace, labelSelector: SELECTOR });
      const p = pods.items[0];
      const ready = p?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      if (!ready) throw new Error(`operator Pod not Ready: ${JSON.stringify(p?.status?.containerStatuses ?? p?.status?.conditions ?? "no Pod")}`);
      return p;
    },
    { what: "operator Pod Ready", timeoutMs: 120_000 },
  );
  return { pod, installToReadyS: (Date.now() - started) / 1000 };
}
