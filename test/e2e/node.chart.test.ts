/**
 * The chart running the operator as a Pod on a real node (private cluster, `up --with-node`): the image
 * `npm run image` builds is pushed to the loopback OCI registry the node pulls from, `helm install` deploys it, kubelet's
 * probes on /healthz and /readyz make it Ready in a namespace enforcing the "restricted" Pod Security
 * Standard, it talks to kube-apiserver with its own ServiceAccount
 * (in-cluster config through Service default/kubernetes and kube-proxy), its webhook behind its Service
 * denies an ungated write, it reconciles an ApplicationInstance into a HelmRelease and exports /metrics.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { APPLICATION_INSTANCE } from "../../src/api/groups";
import { HELM_RELEASE } from "../../src/flux/types";
import { LEASE_TYPE, type Lease } from "../../src/kube/leader";
import { KubeClient } from "../../src/kube/client";
import { resolveKubeConfig } from "../../src/kube/config";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { NAMESPACE_TYPE } from "../../src/api/gate";
import { REPO_ROOT } from "../support/cluster";
import { installTestCrds } from "../support/crds";
import { eventually } from "../support/eventually";
import { pipe } from "../support/flux";
import { k8sBin } from "../support/k8s-bins";
import { LogCapture } from "../support/logs";
import { trustLoopbackRegistry } from "../../scripts/lib/node";

const CLUSTER_DIR = join(REPO_ROOT, ".local/node-chart-cluster");
const WORK = join(REPO_ROOT, ".local/node-chart-test");
const TAG = "e2e";
const RELEASE_NS = "vws-system";
const POD: ResourceType = { group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true };
const PDB: ResourceType = { group: "policy", version: "v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", namespaced: true };
const LEASE_NAME = "dad03b25.vworkspace.io";
const SELECTOR = "app.kubernetes.io/name=vworkspace-operator";

interface PodView extends KubeObject {
  spec: { nodeName?: string; serviceAccountName?: string; containers: { image: string }[] };
  status?: { podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { ready: boolean; restartCount: number; state?: unknown }[] };
}

function mustRun(cmd: string[], env: Record<string, string> = {}): string {
  const res = Bun.spawnSync({ cmd, cwd: REPO_ROOT, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const out = `${res.stdout.toString()}${res.stderr.toString()}`;
  if (res.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${res.exitCode}:\n${out.slice(-3000)}`);
  return out;
}

const localCluster = (...args: string[]) => mustRun([process.execPath, "scripts/local-cluster.ts", ...args], { VWS_CLUSTER_DIR: CLUSTER_DIR });
const helm = (...args: string[]) => mustRun([k8sBin("VWS_BIN_HELM"), ...args], { KUBECONFIG: join(CLUSTER_DIR, "kubeconfig") });

let client: KubeClient;
let pod: PodView;
let installToReadyS = 0;
let repository = "";
let registry: { stop(): Promise<void>; address: string } | undefined;

/** The plain-HTTP loopback OCI registry (go-containerregistry's, built by scripts/k8s-bins.sh). */
async function startRegistry(binary: string): Promise<{ stop(): Promise<void>; address: string }> {
  const logs = new LogCapture(join(REPO_ROOT, ".local/test-logs/node-chart/oci-registry.log"));
  const proc = Bun.spawn([binary], { stdout: "pipe", stderr: "pipe" });
  void pipe(proc.stdout, logs);
  void pipe(proc.stderr, logs);
  const line = await logs.waitFor((candidate) => candidate.startsWith("listening on "), 20_000);
  return { address: line.slice("listening on ".length).trim(), stop: async () => { proc.kill("SIGTERM"); await proc.exited; } };
}

/** Sum of vworkspace_operator_reconcile_total over its labels, read from the Pod's /metrics. */
async function reconcileCount(podIP: string): Promise<number> {
  const text = await (await fetch(`http://${podIP}:8080/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("vworkspace_operator_reconcile_total"))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

function instance(name: string, namespace: string): KubeObject {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name, namespace },
    spec: {
      appRef: { catalogId: "demo" },
      chart: { sourceType: "helm", url: "https://charts.example.com", name: "demo", version: "1.0.0" },
      release: { name, namespace },
      values: { source: "inline", inline: { a: 1 } },
    },
  };
}

beforeAll(async () => {
  Bun.spawnSync({ cmd: [process.execPath, "scripts/local-cluster.ts", "down", "--purge", "--quiet"], cwd: REPO_ROOT, env: { ...process.env, VWS_CLUSTER_DIR: CLUSTER_DIR } });
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  localCluster("up", "--with-node");
  // Always rebuilt: a binary left from older sources would test stale code.
  for (const arch of ["amd64", "arm64"]) mustRun(["bash", "scripts/build.sh", `linux-${arch}`]);
  // npm run image, pushed to the loopback registry the node's containerd pulls from.
  registry = await startRegistry(k8sBin("VWS_BIN_OCI_REGISTRY"));
  repository = `${registry.address}/vworkspace-operator`;
  mustRun(["bash", "scripts/image.sh", "--out", join(WORK, "layout"), "--push", `${repository}:${TAG}`]);
  trustLoopbackRegistry(CLUSTER_DIR, registry.address);
  client = KubeClient.fromKubeConfig(resolveKubeConfig({ kubeconfigPath: join(CLUSTER_DIR, "kubeconfig"), env: {} }));
  await installTestCrds(client, REPO_ROOT);
  // Pod Security admission refuses any Pod of this namespace that is not "restricted".
  const restricted = { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" };
  await client.create(NAMESPACE_TYPE, { apiVersion: "v1", kind: "Namespace", metadata: { name: RELEASE_NS, labels: restricted } });
  const installed = Date.now();
  helm(
    "install", "vws", join(REPO_ROOT, "chart"), "--namespace", RELEASE_NS,
    "--set", `image.repository=${repository}`, "--set", `image.tag=${TAG}`, "--set", "image.pullPolicy=IfNotPresent",
    "--set", "clusterId=c-node",
  );
  pod = await eventually(
    async () => {
      const pods = await client.list<PodView>(POD, { namespace: RELEASE_NS, labelSelector: SELECTOR });
      const p = pods.items[0];
      const ready = p?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      if (!ready) throw new Error(`operator Pod not Ready: ${JSON.stringify(p?.status?.containerStatuses ?? p?.status?.conditions ?? "no Pod")}`);
      return p;
    },
    { what: "operator Pod Ready", timeoutMs: 120_000 },
  );
  installToReadyS = (Date.now() - installed) / 1000;
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  Bun.spawnSync({ cmd: [process.execPath, "scripts/local-cluster.ts", "down", "--purge", "--quiet"], cwd: REPO_ROOT, env: { ...process.env, VWS_CLUSTER_DIR: CLUSTER_DIR } });
  rmSync(WORK, { recursive: true, force: true });
}, 120_000);

describe("the chart runs the operator as a Pod on the local node", () => {
  test("the Pod is Ready through kubelet probes, on the node, restricted, with its own ServiceAccount and the built image", async () => {
    const status = pod.status?.containerStatuses?.[0];
    console.log(`helm install → operator Pod Ready: ${installToReadyS.toFixed(1)}s`);
    console.log(`NAME ${pod.metadata.name}  READY ${status?.ready ? 1 : 0}/1  RESTARTS ${status?.restartCount}  IP ${pod.status?.podIP}  NODE ${pod.spec.nodeName}  IMAGE ${pod.spec.containers[0]?.image}`);
    expect(pod.spec.nodeName).toBe("vws-node");
    expect(pod.spec.serviceAccountName).toBe("vworkspace-operator");
    expect(pod.spec.containers[0]?.image).toBe(`${repository}:${TAG}`);
    expect(pod.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    // The namespace really enforces it: a Pod without the restricted settings is refused.
    const plain = { apiVersion: "v1", kind: "Pod", metadata: { name: "plain", namespace: RELEASE_NS }, spec: { containers: [{ name: "c", image: "vws.local/busybox:1" }] } };
    const refused = await client.create(POD, plain, { dryRun: true }).then(() => "", (err: Error) => err.message);
    expect(refused).toContain("violates PodSecurity");
  });

  test("its webhook, behind its Service, denies an ApplicationInstance in an ungated namespace", async () => {
    const ns = `ungated-${Math.random().toString(36).slice(2, 8)}`;
    await client.create(NAMESPACE_TYPE, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const denied = await eventually(
      async () => {
        const message = await client.create(APPLICATION_INSTANCE, instance("probe", ns), { dryRun: true }).then(() => "", (err: Error) => err.message);
        return message.includes("vapplicationinstance.kb.io") && !message.includes("failed calling webhook") ? message : undefined;
      },
      { what: "the webhook's denial of an ungated write", timeoutMs: 60_000 },
    );
    expect(denied).toContain(`namespace "${ns}" is not managed by vworkspace`);
  }, 90_000);

  test("it reconciles an ApplicationInstance in a gated namespace into a HelmRelease", async () => {
    const ns = `gated-${Math.random().toString(36).slice(2, 8)}`;
    await client.create(NAMESPACE_TYPE, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { "managed-by": "vworkspace" } } });
    await eventually(() => client.create(APPLICATION_INSTANCE, instance("shop", ns)), { what: "ApplicationInstance admitted", timeoutMs: 60_000 });
    const release = await eventually(() => client.get(HELM_RELEASE, "shop", { namespace: ns }).catch(() => undefined), { what: "HelmRelease shop", timeoutMs: 60_000 });
    expect(release.metadata.name).toBe("shop");
  }, 90_000);

  test("it exports /metrics on its metrics port", async () => {
    const res = await fetch(`http://${pod.status?.podIP}:8080/metrics`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^# HELP /m);
    expect(text).toContain("vworkspace_operator_reconcile_total");
    expect(text).toContain("vworkspace_operator_webhook_requests_total");
  });

  test("two replicas elect one leader; another takes over and reconciles when the leader's Pod is deleted", async () => {
    helm("upgrade", "vws", join(REPO_ROOT, "chart"), "--namespace", RELEASE_NS, "--reuse-values", "--set", "replicas=2");
    const readyPods = async (): Promise<PodView[]> => {
      const pods = await client.list<PodView>(POD, { namespace: RELEASE_NS, labelSelector: SELECTOR });
      return pods.items.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    };
    const pods = await eventually(async () => ((await readyPods()).length === 2 ? readyPods() : undefined), { what: "two operator Pods Ready", timeoutMs: 120_000 });
    const pdb = await client.get<KubeObject & { status?: { expectedPods?: number } }>(PDB, "vworkspace-operator", { namespace: RELEASE_NS });
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1 });
    const holderOf = async () => (await client.get<Lease>(LEASE_TYPE, LEASE_NAME, { namespace: RELEASE_NS })).spec?.holderIdentity ?? "";
    const podNamed = (holder: string) => holder.slice(0, holder.lastIndexOf("_"));
    const leaderName = podNamed(await eventually(async () => ((await holderOf()) !== "" ? holderOf() : undefined), { what: "a Lease holder" }));
    expect(pods.map((p) => p.metadata.name)).toContain(leaderName);
    const standby = pods.find((p) => p.metadata.name !== leaderName);
    expect(await reconcileCount(standby?.status?.podIP ?? "")).toBe(0);

    const deleted = Date.now();
    await client.delete(POD, leaderName, { namespace: RELEASE_NS });
    // The standby, or the Pod replacing the deleted one if it is quicker to the released Lease.
    const newLeader = await eventually(
      async () => {
        const holder = podNamed(await holderOf());
        if (holder === "" || holder === leaderName) return undefined;
        return client.get<PodView>(POD, holder, { namespace: RELEASE_NS });
      },
      { what: "another Pod holds the Lease", timeoutMs: 60_000, intervalMs: 100 },
    );
    const electedS = (Date.now() - deleted) / 1000;
    await eventually(async () => (await reconcileCount(newLeader.status?.podIP ?? "")) > 0, { what: "the new leader's first reconcile", timeoutMs: 60_000, intervalMs: 100 });
    const reconciledS = (Date.now() - deleted) / 1000;
    const who = newLeader.metadata.name === standby?.metadata.name ? "the standby" : "the replacement Pod";
    console.log(`failover: leader Pod delete → ${who} holds the Lease ${electedS.toFixed(1)}s → its first reconcile ${reconciledS.toFixed(1)}s`);

    const ns = `failover-${Math.random().toString(36).slice(2, 8)}`;
    await client.create(NAMESPACE_TYPE, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { "managed-by": "vworkspace" } } });
    await client.create(APPLICATION_INSTANCE, instance("after-failover", ns));
    await eventually(() => client.get(HELM_RELEASE, "after-failover", { namespace: ns }).catch(() => undefined), { what: "HelmRelease from the new leader", timeoutMs: 60_000 });
  }, 240_000);
});
