/**
 * The chart running the operator as a Pod on a real node (private cluster, `up --with-node`): the image
 * `npm run image` builds is pushed to the loopback OCI registry the node pulls from, `helm install` deploys it, kubelet's
 * probes on /healthz and /readyz make it Ready in a namespace enforcing the "restricted" Pod Security
 * Standard, it talks to kube-apiserver with its own ServiceAccount
 * (in-cluster config through Service default/kubernetes and kube-proxy), its webhook behind its Service
 * denies an ungated write, it reconciles an ApplicationInstance into a HelmRelease and exports /metrics.
 * With two replicas the standby takes over a deleted leader's Lease, and `helm upgrade` to a new image tag
 * rolls both Pods; a loop of writes through the webhook meanwhile is never refused. `helm uninstall` leaves
 * no webhook configuration behind.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { APPLICATION_INSTANCE } from "../../src/api/groups";
import { HELM_RELEASE } from "../../src/flux/types";
import { LEASE_TYPE, type Lease } from "../../src/kube/leader";
import type { KubeClient } from "../../src/kube/client";
import type { KubeApiError } from "../../src/kube/errors";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { NAMESPACE_TYPE } from "../../src/api/gate";
import { REPO_ROOT } from "../support/cluster";
import { installTestCrds } from "../support/crds";
import { eventually } from "../support/eventually";
import {
  buildAndPushImage,
  createRestrictedNamespace,
  installOperator,
  LEASE_NAME,
  nodeCluster,
  POD,
  podOfHolder,
  pushImage,
  readyPods as readyPodsIn,
  reconcileCount,
  SELECTOR,
  startRegistry,
  type PodView,
  type Registry,
} from "../support/node-chart";

const cluster = nodeCluster(join(REPO_ROOT, ".local/node-chart-cluster"));
const WORK = join(REPO_ROOT, ".local/node-chart-test");
const TAG = "e2e";
const NEXT_TAG = "e2e-next";
const RELEASE_NS = "vws-system";
const VALIDATING_WEBHOOK_CONFIGURATION: ResourceType = {
  group: "admissionregistration.k8s.io",
  version: "v1",
  kind: "ValidatingWebhookConfiguration",
  plural: "validatingwebhookconfigurations",
  namespaced: false,
};
const PDB: ResourceType = { group: "policy", version: "v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", namespaced: true };

let client: KubeClient;
let pod: PodView;
let installToReadyS = 0;
let repository = "";
let registry: Registry | undefined;

const readyPods = () => readyPodsIn(client, RELEASE_NS);

interface AdmissionRecord {
  attempts: number;
  refused: number;
  /** Longest span from a refused write to the next admitted one. */
  maxRefusalMs: number;
  firstRefusal: string;
  /** Fewest Ready operator Pods seen between writes. */
  minReadyPods: number;
}

/**
 * Dry-run creates of an ApplicationInstance in a gated namespace, back to back, each through the webhook
 * (dry runs are admitted like writes): every refusal is a write a user would have seen refused.
 */
function admissionLoop(namespace: string): { stop(): Promise<AdmissionRecord> } {
  let stopped = false;
  const record: AdmissionRecord = { attempts: 0, refused: 0, maxRefusalMs: 0, firstRefusal: "", minReadyPods: Number.POSITIVE_INFINITY };
  const loop = (async () => {
    let refusedSince: number | undefined;
    while (!stopped) {
      const at = Date.now();
      const refusal = await client.create(APPLICATION_INSTANCE, instance("probe", namespace), { dryRun: true }).then(() => "", (err: Error) => err.message);
      record.attempts += 1;
      if (refusal) {
        record.refused += 1;
        record.firstRefusal ||= refusal;
        refusedSince ??= at;
      } else if (refusedSince !== undefined) {
        record.maxRefusalMs = Math.max(record.maxRefusalMs, Date.now() - refusedSince);
        refusedSince = undefined;
      }
      record.minReadyPods = Math.min(record.minReadyPods, (await readyPods()).length);
      await Bun.sleep(50);
    }
    if (refusedSince !== undefined) record.maxRefusalMs = Math.max(record.maxRefusalMs, Date.now() - refusedSince);
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return record;
    },
  };
}

/** A gated namespace the webhook already admits writes in. */
async function gatedNamespace(prefix: string): Promise<string> {
  const ns = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await client.create(NAMESPACE_TYPE, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { "managed-by": "vworkspace" } } });
  await eventually(() => client.create(APPLICATION_INSTANCE, instance("probe", ns), { dryRun: true }), { what: `a write admitted in ${ns}`, timeoutMs: 60_000 });
  return ns;
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
  cluster.down();
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  cluster.localCluster("up", "--with-node");
  registry = await startRegistry(cluster.dir, join(REPO_ROOT, ".local/test-logs/node-chart/oci-registry.log"));
  repository = `${registry.address}/vworkspace-operator`;
  buildAndPushImage(join(WORK, "layout"), `${repository}:${TAG}`);
  client = cluster.client;
  await installTestCrds(client, REPO_ROOT);
  // Pod Security admission refuses any Pod of this namespace that is not "restricted".
  await createRestrictedNamespace(client, RELEASE_NS);
  ({ pod, installToReadyS } = await installOperator(cluster, { namespace: RELEASE_NS, repository, tag: TAG, sets: ["clusterId=c-node"] }));
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  cluster.down();
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

  test("two replicas elect one leader; the standby takes over and reconciles when the leader's Pod is deleted, no write refused", async () => {
    cluster.helm("upgrade", "vws", join(REPO_ROOT, "chart"), "--namespace", RELEASE_NS, "--reuse-values", "--set", "replicas=2");
    const pods = await eventually(async () => ((await readyPods()).length === 2 ? readyPods() : undefined), { what: "two operator Pods Ready", timeoutMs: 120_000 });
    const pdb = await client.get<KubeObject & { status?: { expectedPods?: number } }>(PDB, "vworkspace-operator", { namespace: RELEASE_NS });
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1 });
    const holderOf = async () => (await client.get<Lease>(LEASE_TYPE, LEASE_NAME, { namespace: RELEASE_NS })).spec?.holderIdentity ?? "";
    const podNamed = podOfHolder;
    const leaderName = podNamed(await eventually(async () => ((await holderOf()) !== "" ? holderOf() : undefined), { what: "a Lease holder" }));
    expect(pods.map((p) => p.metadata.name)).toContain(leaderName);
    const standby = pods.find((p) => p.metadata.name !== leaderName);
    expect(await reconcileCount(standby?.status?.podIP ?? "")).toBe(0);

    const writes = admissionLoop(await gatedNamespace("failover-writes"));
    await Bun.sleep(1_000);
    const deleted = Date.now();
    await client.delete(POD, leaderName, { namespace: RELEASE_NS });
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
    // The deleted Pod drains its webhook for webhooks.drainDelay; keep writing until it is gone.
    await eventually(async () => client.get(POD, leaderName, { namespace: RELEASE_NS }).then(() => undefined, () => true), { what: "the deleted leader's Pod gone", timeoutMs: 60_000 });
    const record = await writes.stop();
    console.log(`failover: leader Pod delete → the standby holds the Lease ${electedS.toFixed(1)}s → its first reconcile ${reconciledS.toFixed(1)}s; writes through the webhook meanwhile: ${record.attempts}, refused ${record.refused} (longest refusal ${record.maxRefusalMs} ms)`);
    expect(newLeader.metadata.name).toBe(standby?.metadata.name ?? "");
    expect(record.firstRefusal).toBe("");
    expect(record.refused).toBe(0);
    expect(record.attempts).toBeGreaterThan(10);

    const ns = await gatedNamespace("failover");
    await client.create(APPLICATION_INSTANCE, instance("after-failover", ns));
    await eventually(() => client.get(HELM_RELEASE, "after-failover", { namespace: ns }).catch(() => undefined), { what: "HelmRelease from the new leader", timeoutMs: 60_000 });
  }, 240_000);

  test("helm upgrade to a new image tag rolls both Pods one at a time without a refused write", async () => {
    await eventually(async () => ((await readyPods()).length === 2 ? true : undefined), { what: "two operator Pods Ready", timeoutMs: 120_000 });
    pushImage(join(WORK, "layout-next"), `${repository}:${NEXT_TAG}`);
    const before = new Set((await readyPods()).map((p) => p.metadata.name));
    const writes = admissionLoop(await gatedNamespace("rollout-writes"));
    await Bun.sleep(1_000);
    const started = Date.now();
    await cluster.helmAsync("upgrade", "vws", join(REPO_ROOT, "chart"), "--namespace", RELEASE_NS, "--reuse-values", "--set", `image.tag=${NEXT_TAG}`, "--wait", "--timeout", "4m");
    const rolled = await eventually(
      async () => {
        const all = await client.list<PodView>(POD, { namespace: RELEASE_NS, labelSelector: SELECTOR });
        const ready = await readyPods();
        const done = all.items.length === 2 && ready.length === 2 && ready.every((p) => p.spec.containers[0]?.image === `${repository}:${NEXT_TAG}` && !before.has(p.metadata.name));
        return done ? ready : undefined;
      },
      { what: "both Pods replaced by the new tag and Ready, the old ones gone", timeoutMs: 120_000 },
    );
    const rolledS = (Date.now() - started) / 1000;
    await Bun.sleep(2_000);
    const record = await writes.stop();
    console.log(`rolling update to ${NEXT_TAG}: ${rolledS.toFixed(1)}s; writes through the webhook meanwhile: ${record.attempts}, refused ${record.refused} (longest refusal ${record.maxRefusalMs} ms); fewest Ready Pods ${record.minReadyPods}`);
    expect(rolled.map((p) => p.metadata.name).filter((name) => before.has(name))).toEqual([]);
    expect(record.firstRefusal).toBe("");
    expect(record.refused).toBe(0);
    expect(record.attempts).toBeGreaterThan(10);
    // maxUnavailable 0: a new Pod is Ready before an old one goes, and the PDB's budget is never spent.
    expect(record.minReadyPods).toBeGreaterThanOrEqual(2);
    const pdb = await client.get<KubeObject & { status?: { currentHealthy?: number; desiredHealthy?: number } }>(PDB, "vworkspace-operator", { namespace: RELEASE_NS });
    expect(pdb.status?.currentHealthy).toBe(2);
    expect(pdb.status?.desiredHealthy).toBe(1);
  }, 420_000);

  test("helm uninstall leaves no webhook configuration behind: an ungated write is no longer refused", async () => {
    const name = "vworkspace-operator-validating-webhook";
    expect((await client.get(VALIDATING_WEBHOOK_CONFIGURATION, name)).metadata.name).toBe(name);
    await cluster.helmAsync("uninstall", "vws", "--namespace", RELEASE_NS, "--wait", "--timeout", "3m");
    await eventually(
      async () => ((await client.list<PodView>(POD, { namespace: RELEASE_NS, labelSelector: SELECTOR })).items.length === 0 ? true : undefined),
      { what: "every operator Pod gone", timeoutMs: 120_000 },
    );
    // A leader shutting down must not have put the configuration back: look once every Pod is gone.
    const left = await client.get(VALIDATING_WEBHOOK_CONFIGURATION, name).then(() => "still there", (err: KubeApiError) => `${err.status} ${err.reason}`);
    expect(left).toBe("404 NotFound");
    const ns = `after-uninstall-${Math.random().toString(36).slice(2, 8)}`;
    await client.create(NAMESPACE_TYPE, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const created = await client.create<KubeObject>(APPLICATION_INSTANCE, instance("unguarded", ns), { dryRun: true });
    expect(created.metadata.name).toBe("unguarded");
  }, 240_000);
});
