/**
 * The application's life through the control plane (docs/first-application.md): register the cluster in pull
 * mode, deploy, upgrade, back up and delete, each as a signed (and, once the cluster published its key,
 * encrypted) job the operator's agent fetches; every wait follows the objects with a watch.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { ApplicationInstance } from "../../src/api/applicationinstance";
import type { Cluster } from "../../src/api/cluster";
import { APPLICATION_INSTANCE, CLUSTER, OPERATION } from "../../src/api/groups";
import { LABEL_OPERATION } from "../../src/api/labels";
import type { Operation } from "../../src/api/operation";
import { clusterObject, DEMO_CLUSTER_NAME, registrationSecret } from "../../src/controlplane/cli/demo-objects";
import { waitForResult } from "../../src/controlplane/cli/enqueue";
import { SECRET } from "../../src/controllers/cluster/secrets";
import { NAMESPACE, SERVICE_ACCOUNT } from "../../src/engines/common/resources";
import { applyObject } from "../../src/kube/apply";
import type { KubeClient } from "../../src/kube/client";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { REPO_ROOT } from "../../test/support/cluster";
import { need, type DemoContext } from "./context";
import { OPERATOR_NAMESPACE } from "./infra";
import { appConfigMapName, applicationInstance, backupOperation, FIRST_VERSION, gatedNamespace, parseBackup, runnerServiceAccount, upgradeOperation, UPGRADE_VERSION } from "./objects";
import { clusterConnected, instanceGone, instanceReady, operationFinished } from "./verdicts";
import { waitForObject, type Verdict } from "./watch";

const CONFIG_MAP: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const POD: ResourceType = { group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true };
const FIELD_MANAGER = "vws-demo";

function follow<T extends KubeObject>(context: DemoContext, type: ResourceType, key: { namespace?: string; name: string }, judge: (object: T | undefined) => Verdict, what: string): Promise<T | undefined> {
  return waitForObject<T>(need(context.state.client, "the cluster"), type, key, judge, {
    what,
    timeoutMs: context.settings.stepTimeoutMs,
    onState: (state) => context.progress(`${what}: ${state}`),
    signal: context.signal,
  });
}

/** Enqueues one job, signed and encrypted when the cluster published a key; returns its id. */
async function enqueue(context: DemoContext, payload: Record<string, unknown>, idempotencyKey?: string): Promise<string> {
  const admin = need(context.state.admin, "the control plane");
  const clusterId = need(context.state.clusterId, "the registered cluster");
  const encrypt = Boolean((await admin.clusters()).find((cluster) => cluster.clusterId === clusterId)?.publicKey);
  const job = await admin.enqueueJob(clusterId, { kind: "intent", payload, ...(idempotencyKey ? { idempotencyKey } : {}) }, { sign: true, encrypt });
  context.progress(`job ${job.id} enqueued: ${String(payload.intent)} (signed${encrypt ? ", encrypted" : ""})`);
  return job.id;
}

/** The agent's answer to a job; anything but success is an error with its reason. */
async function expectSucceeded(context: DemoContext, jobId: string): Promise<void> {
  // The agent reports over HTTP to the control plane, which offers no watch: its own bounded poll.
  const interrupted = new Promise<never>((_, reject) => context.signal.addEventListener("abort", () => reject(new Error(`job ${jobId}: interrupted`)), { once: true }));
  const result = await Promise.race([waitForResult(need(context.state.admin, "the control plane"), jobId, context.settings.stepTimeoutMs), interrupted]);
  if (!result) throw new Error(`job ${jobId}: no result from the agent within ${Math.round(context.settings.stepTimeoutMs / 1000)} s`);
  if (result.outcome !== "succeeded") throw new Error(`job ${jobId}: the agent answered ${result.outcome}${result.errorCode ? ` (${result.errorCode})` : ""}${result.error ? `: ${result.error}` : ""}`);
  context.progress(`job ${jobId}: agent answered succeeded`);
}

async function configMapData(client: KubeClient, namespace: string, name: string): Promise<Record<string, string>> {
  return ((await client.get(CONFIG_MAP, name, { namespace })).data ?? {}) as Record<string, string>;
}

export async function registerCluster(context: DemoContext): Promise<string> {
  const { state } = context;
  const client = need(state.client, "the cluster");
  const plane = need(state.plane, "the control plane");
  const { token } = await need(state.admin, "the control plane").createRegistrationToken(undefined, 600);
  // An administrator's two objects: the single-use token as a Secret, and the Cluster naming the control plane.
  await applyObject(client, SECRET, registrationSecret(OPERATOR_NAMESPACE, token), { fieldManager: FIELD_MANAGER, force: true });
  await applyObject(client, CLUSTER, clusterObject(plane.url), { fieldManager: FIELD_MANAGER, force: true });
  context.progress(`Cluster ${DEMO_CLUSTER_NAME} created: pull mode, signing enforce, endpoint ${plane.url}`);
  const cluster = need(await follow<Cluster>(context, CLUSTER, { name: DEMO_CLUSTER_NAME }, clusterConnected, `Cluster ${DEMO_CLUSTER_NAME}`), "the Cluster");
  state.clusterId = need(cluster.spec.clusterId, "spec.clusterId of the Cluster");
  return `cluster id ${state.clusterId}, phase Connected (pull)`;
}

export async function deployApplication(context: DemoContext): Promise<string> {
  const { settings, state } = context;
  const client = need(state.client, "the cluster");
  const { namespace, instance } = settings.names;
  // The administrator gates the namespace and gives it the runner ServiceAccount; the control plane cannot.
  await applyObject(client, NAMESPACE, gatedNamespace(namespace), { fieldManager: FIELD_MANAGER, force: true });
  await applyObject(client, SERVICE_ACCOUNT, runnerServiceAccount(namespace), { fieldManager: FIELD_MANAGER, force: true });
  context.progress(`namespace ${namespace} gated (managed-by=vworkspace) by the administrator`);
  const jobId = await enqueue(context, { intent: "ensure-application-instance", applicationInstance: applicationInstance(settings.names, need(state.charts, "the chart repository").url) }, `demo/${namespace}/${instance}`);
  await follow<ApplicationInstance>(context, APPLICATION_INSTANCE, { namespace, name: instance }, instanceReady, `ApplicationInstance ${instance}`);
  await expectSucceeded(context, jobId);
  const data = await configMapData(client, namespace, appConfigMapName(instance));
  if (data.chartVersion !== FIRST_VERSION) throw new Error(`ConfigMap ${appConfigMapName(instance)} has chartVersion ${data.chartVersion}, expected ${FIRST_VERSION}`);
  return `${namespace}/${instance} Ready=True, chart vws-test ${FIRST_VERSION} installed by Flux (ConfigMap ${appConfigMapName(instance)})`;
}

/** Requests an Operation and follows it to its end; a phase other than Succeeded is an error with its reason. */
async function runOperation(context: DemoContext, operation: KubeObject): Promise<Operation> {
  const { namespace } = context.settings.names;
  const name = operation.metadata.name;
  const jobId = await enqueue(context, { intent: "request-operation", operation });
  const finished = need(await follow<Operation>(context, OPERATION, { namespace, name }, operationFinished, `Operation ${name}`), `Operation ${name}`);
  await expectSucceeded(context, jobId);
  if (finished.status?.phase !== "Succeeded") {
    const failed = finished.status?.conditions?.find((condition) => condition.type === "Failed");
    throw new Error(`Operation ${name} ended ${finished.status?.phase}${failed ? `: ${failed.reason} ${failed.message ?? ""}` : ""}`);
  }
  return finished;
}

export async function upgradeApplication(context: DemoContext): Promise<string> {
  const { namespace, instance } = context.settings.names;
  const operation = await runOperation(context, upgradeOperation(context.settings.names));
  await follow<ApplicationInstance>(context, APPLICATION_INSTANCE, { namespace, name: instance }, instanceReady, `ApplicationInstance ${instance}`);
  const data = await configMapData(need(context.state.client, "the cluster"), namespace, appConfigMapName(instance));
  if (data.chartVersion !== UPGRADE_VERSION) throw new Error(`ConfigMap ${appConfigMapName(instance)} has chartVersion ${data.chartVersion} after the upgrade, expected ${UPGRADE_VERSION}`);
  const from = operation.status?.outputs?.previousVersion;
  return `Operation ${operation.metadata.name} (Upgrade, helm) Succeeded: ${from ?? FIRST_VERSION} → ${UPGRADE_VERSION}, Ready=True`;
}

export async function backUpApplication(context: DemoContext): Promise<string> {
  const { settings, state } = context;
  const client = need(state.client, "the cluster");
  const { namespace, instance } = settings.names;
  const operation = await runOperation(context, backupOperation(settings.names));
  const pods = await client.list(POD, { namespace, labelSelector: `${LABEL_OPERATION}=${operation.metadata.uid}` });
  const pod = pods.items[0];
  if (!pod) throw new Error(`Operation ${operation.metadata.name} succeeded but its Pod is gone`);
  const log = await client.requestText({ method: "GET", path: `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/log`, accept: "*/*" });
  const backup = parseBackup(log);
  const dir = join(settings.workDir, "backups");
  mkdirSync(dir, { recursive: true });
  state.backupFile = join(dir, `${instance}-${new Date().toISOString().replace(/[:.]/g, "-")}.env`);
  writeFileSync(state.backupFile, log);
  return `Operation ${operation.metadata.name} (RunCommand, job) Succeeded on node ${String((pod.spec as { nodeName?: string } | undefined)?.nodeName)}: chartVersion=${backup.chartVersion} saved to ${relative(REPO_ROOT, state.backupFile)}`;
}

export async function deleteApplication(context: DemoContext): Promise<string> {
  const { namespace, instance } = context.settings.names;
  const client = need(context.state.client, "the cluster");
  const jobId = await enqueue(context, { intent: "delete-application-instance", name: instance, namespace });
  await expectSucceeded(context, jobId);
  await follow<ApplicationInstance>(context, APPLICATION_INSTANCE, { namespace, name: instance }, instanceGone, `ApplicationInstance ${instance}`);
  const leftover = (await client.list(CONFIG_MAP, { namespace, fieldSelector: `metadata.name=${appConfigMapName(instance)}` })).items.length;
  if (leftover > 0) throw new Error(`ConfigMap ${appConfigMapName(instance)} is still there after the uninstall`);
  return `Helm release uninstalled by Flux, ApplicationInstance, HelmRelease and ConfigMap gone`;
}
