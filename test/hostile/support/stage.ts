/**
 * The stage of the adversarial suite: one in-process operator (Cluster controller, signing `enforce` with a
 * key the test holds, because a compromised control plane can sign whatever it likes), one reference control
 * plane behind the hostile proxy, and four namespaces: the operator's own (not gated), one gated tenant
 * namespace, the Velero namespace and a victim namespace holding a planted Secret. Every API call of the
 * operator is recorded for the audit.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importJWK } from "jose";
import { CLUSTER } from "../../../src/api/groups";
import { clusterController } from "../../../src/controllers/cluster/controller";
import { SECRET } from "../../../src/controllers/cluster/secrets";
import { ApiCallRecorder } from "../../../src/kube/api-calls";
import { KubeClient } from "../../../src/kube/client";
import { resolveKubeConfig } from "../../../src/kube/config";
import { classifyError } from "../../../src/kube/errors";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { generateSigningKey, signJob, type SigningKey } from "../../../src/security";
import { agentConfig, clusterObject, deleteClusters, waitForPhase } from "../../integration/agent/harness";
import type { TestCluster } from "../../support/cluster";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { deleteNamespace, GATE_LABEL, randomSuffix, TEST_RUN_LABEL } from "../../support/namespace";
import { startOperatorInProcess, type InProcessOperator } from "../../support/operator";
import { HostileProxy } from "./hostile-proxy";

export const NAMESPACE: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
export const CONFIG_MAP: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
/** Manager of every write the suite itself makes, so the audit never mistakes it for the operator. */
export const TEST_MANAGER = "vws-hostile-tests";

export interface Stage {
  cluster: TestCluster;
  /** Admin client writing as TEST_MANAGER. */
  client: KubeClient;
  plane: RefControlPlane;
  proxy: HostileProxy;
  operator: InProcessOperator;
  recorder: ApiCallRecorder;
  logFile: string;
  clusterId: string;
  clusterName: string;
  key: SigningKey;
  ns: { operator: string; gated: string; velero: string; victim: string };
  /** Secret values the audit must never find outside their Secrets. */
  planted: string[];
  /** Secret values a test wrote into an object's status (as Flux quotes values): they must not leave it. */
  quoted: string[];
  startedAt: Date;
}

async function createNamespace(client: KubeClient, runId: string, name: string, gated: boolean): Promise<void> {
  const labels: Record<string, string> = { [TEST_RUN_LABEL]: runId };
  if (gated) labels[GATE_LABEL.key] = GATE_LABEL.value;
  await client.create(NAMESPACE, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
}

function secret(namespace: string, name: string, data: Record<string, string>): KubeObject {
  const encoded = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString("base64")]));
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, data: encoded } as KubeObject;
}

export async function openStage(cluster: TestCluster, startedAt: Date): Promise<Stage> {
  const client = KubeClient.fromKubeConfig(resolveKubeConfig({ kubeconfigPath: cluster.kubeconfigPath }), { userAgent: TEST_MANAGER });
  await deleteClusters(cluster.client);
  const suffix = randomSuffix();
  const ns = { operator: `t-hostile-op-${suffix}`, gated: `t-hostile-tenant-${suffix}`, velero: `t-hostile-velero-${suffix}`, victim: `t-hostile-victim-${suffix}` };
  await createNamespace(client, cluster.runId, ns.operator, false);
  await createNamespace(client, cluster.runId, ns.gated, true);
  await createNamespace(client, cluster.runId, ns.velero, false);
  await createNamespace(client, cluster.runId, ns.victim, false);
  const planted = [`planted-victim-${crypto.randomUUID()}`, `planted-tenant-${crypto.randomUUID()}`];
  await client.create(SECRET, secret(ns.victim, "crown-jewels", { password: planted[0]! }));
  await client.create(SECRET, secret(ns.gated, "app-credentials", { password: planted[1]! }));

  const key = await generateSigningKey();
  await client.create(SECRET, secret(ns.operator, "trusted", { "jwks.json": JSON.stringify({ keys: [key.publicJwk] }) }));
  const plane = await startRefControlPlane();
  const proxy = new HostileProxy(plane.url);
  const { token } = await plane.admin.createRegistrationToken();
  await client.create(SECRET, secret(ns.operator, "registration", { registrationToken: token }));

  const recorder = new ApiCallRecorder();
  const logFile = join(tmpdir(), "vws-hostile-logs", `${ns.operator}.log`);
  const operator = await startOperatorInProcess({
    kubeconfigPath: cluster.kubeconfigPath,
    logFile,
    config: { watchNamespaces: [ns.operator, ns.gated, ns.velero], namespace: ns.operator, agent: agentConfig({ veleroNamespace: ns.velero }) },
    controllers: [clusterController],
    apiObserver: recorder,
  });
  const spec = { security: { payloadSigning: { mode: "enforce", trustedKeysSecretRef: { name: "trusted" } } } };
  const object = clusterObject({ url: proxy.url } as RefControlPlane, spec, `hostile-${suffix}`);
  await client.create(CLUSTER, object);
  const connected = await waitForPhase(client, "Connected", object.metadata.name);
  return {
    cluster,
    client,
    plane,
    proxy,
    operator,
    recorder,
    logFile,
    clusterId: connected.spec.clusterId!,
    clusterName: object.metadata.name,
    key,
    ns,
    planted,
    quoted: [],
    startedAt,
  };
}

export async function closeStage(stage: Stage | undefined): Promise<void> {
  if (!stage) return;
  await stage.operator.stop();
  await stage.proxy.stop();
  await stage.plane.stop();
  await deleteClusters(stage.cluster.client);
  await Promise.all(Object.values(stage.ns).map((name) => deleteNamespace(stage.client, name)));
}

/** A job envelope with a fresh id, signed with the trusted key for this cluster unless `unsigned`. */
export async function envelope(stage: Stage, kind: string, payload: unknown, options: { unsigned?: boolean; extra?: Record<string, unknown> } = {}): Promise<Record<string, unknown> & { id: string }> {
  // As it travels: members set to undefined are dropped before signing.
  const job = JSON.parse(JSON.stringify({ id: `hostile-${crypto.randomUUID()}`, kind, payload, createdAt: new Date().toISOString(), ...options.extra })) as Record<string, unknown> & { id: string };
  if (options.unsigned) return job;
  return { ...job, signature: await sign(stage, job) };
}

export async function sign(stage: Stage, job: Record<string, unknown>, iat = Math.floor(Date.now() / 1000)): Promise<string> {
  const privateKey = await importJWK(stage.key.privateJwk, "EdDSA");
  return signJob(job, { privateKey, kid: stage.key.kid, alg: "EdDSA", clusterId: stage.clusterId, iat });
}

/** Enqueues the envelopes verbatim on the reference plane and waits for every result. */
export async function runJobs(stage: Stage, jobs: Array<Record<string, unknown> & { id: string }>, timeoutMs = 90_000): Promise<Map<string, Record<string, unknown>>> {
  for (const job of jobs) await stage.plane.admin.enqueueRawJob(stage.clusterId, job);
  const results = new Map<string, Record<string, unknown>>();
  await eventually(async () => {
    for (const job of jobs) {
      if (results.has(job.id)) continue;
      const result = await stage.plane.admin.jobResult(job.id);
      if (result) results.set(job.id, result as unknown as Record<string, unknown>);
    }
    return results.size === jobs.length;
  }, { what: `results of ${jobs.length} jobs`, timeoutMs });
  return results;
}

/** The object, or undefined when it does not exist (any other error is thrown). */
export async function lookup(stage: Stage, type: ResourceType, name: string, namespace?: string): Promise<KubeObject | undefined> {
  try {
    return await stage.client.get(type, name, namespace ? { namespace } : {});
  } catch (err) {
    if (classifyError(err) === "notFound") return undefined;
    throw err;
  }
}

/**
 * Ids the agent can ack and answer: a string that is not empty and not a dot segment (`/jobs/./ack` is
 * normalised away by URL parsing, so such a job is acked nowhere and skipped).
 */
export function answerable(id: unknown): id is string {
  return typeof id === "string" && id !== "" && id !== "." && id !== "..";
}

/** Serves the envelopes in one jobs answer of the hostile proxy and waits for the result of every string id. */
export async function injectJobs(stage: Stage, jobs: Array<Record<string, unknown>>, timeoutMs = 90_000): Promise<Map<string, Record<string, unknown>>> {
  const ids = jobs.map((job) => job.id).filter((id): id is string => answerable(id));
  await stage.proxy.injectJobs(jobs);
  await eventually(() => ids.every((id) => stage.proxy.results.has(id)), { what: `results of ${ids.length} injected jobs`, timeoutMs });
  return new Map(ids.map((id) => [id, stage.proxy.results.get(id)!]));
}

/** A signed ConfigMap job in the gated namespace, run through the plane: proves the agent still works. */
export async function canaryJob(stage: Stage): Promise<boolean> {
  const name = `alive-${crypto.randomUUID().slice(0, 8)}`;
  const job = await envelope(stage, "apply", { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: stage.ns.gated }, data: { a: "1" } });
  const result = (await runJobs(stage, [job])).get(job.id);
  return result?.outcome === "succeeded" && (await lookup(stage, CONFIG_MAP, name, stage.ns.gated)) !== undefined;
}
