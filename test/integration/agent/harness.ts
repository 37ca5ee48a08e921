/**
 * Shared setup of the agent suite: the operator in-process with only the Cluster controller, its operator
 * namespace and watch scope set to the test namespace, a fast heartbeat and a short long poll; Cluster objects
 * (cluster-scoped) removed after each test so the next one starts with no honoured Cluster.
 */
import { afterAll, afterEach, beforeAll } from "bun:test";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from "../../../src/agent/config";
import type { Cluster } from "../../../src/api/cluster";
import { CLUSTER } from "../../../src/api/groups";
import { clusterController } from "../../../src/controllers/cluster/controller";
import { SECRET } from "../../../src/controllers/cluster/secrets";
import type { KubeClient } from "../../../src/kube/client";
import { classifyError } from "../../../src/kube/errors";
import { EVENT_TYPE } from "../../../src/kube/events";
import type { Condition, KubeObject } from "../../../src/kube/types";
import type { OperatorConfig } from "../../../src/manager/config";
import type { ControllerFactory } from "../../../src/manager/operator";
import type { TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { startOperatorInProcess, type InProcessOperator } from "../../support/operator";
import { getCluster } from "../../support/cluster";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";

export const CLUSTER_NAME = "vws-test";
const LOG_DIR = join(tmpdir(), "vws-agent-suite-logs");

export interface AgentSuite {
  readonly cluster: TestCluster;
  readonly plane: RefControlPlane;
  /** The operator of the running test; finished and cleared after each test. */
  running: AgentRun | undefined;
}

/**
 * A test file's lifecycle in the agent suite: the shared cluster without any Cluster, one reference control
 * plane for the file, and after each test the secret scan, the operator stopped and the Clusters removed.
 */
export function useAgentSuite(): AgentSuite {
  let cluster: TestCluster | undefined;
  let plane: RefControlPlane | undefined;
  const suite: AgentSuite = {
    get cluster() {
      if (!cluster) throw new Error("useAgentSuite: the cluster is there only once the file's tests run");
      return cluster;
    },
    get plane() {
      if (!plane) throw new Error("useAgentSuite: the control plane is there only once the file's tests run");
      return plane;
    },
    running: undefined,
  };
  beforeAll(async () => {
    cluster = await getCluster();
    await deleteClusters(cluster.client);
    plane = await startRefControlPlane();
  });
  afterEach(async () => {
    const finished = suite.running;
    suite.running = undefined;
    await finishAgentTest(suite.cluster, finished);
  });
  afterAll(async () => {
    await plane?.stop();
  });
  return suite;
}

export function agentConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return { ...DEFAULT_AGENT_CONFIG, pollIntervalMs: 2_000, heartbeatIntervalOverrideMs: 1_000, eventFlushMs: 200, ...overrides };
}

/** The in-process operator and the file holding its whole log (the ring buffer keeps only the tail). */
export interface AgentRun extends InProcessOperator {
  logFile: string;
  /** The operator namespace (the test's), kept for teardown after the namespace helper let go of it. */
  namespace: string;
}

export async function startAgent(
  cluster: TestCluster,
  namespace: string,
  agent: Partial<AgentConfig> = {},
  config: Partial<OperatorConfig> = {},
  controllers: readonly ControllerFactory[] = [clusterController],
): Promise<AgentRun> {
  const logFile = join(LOG_DIR, `${namespace}-${Date.now()}.log`);
  const running = await startOperatorInProcess({
    kubeconfigPath: cluster.kubeconfigPath,
    logFile,
    config: { watchNamespaces: [namespace], namespace, agent: agentConfig(agent), ...config },
    controllers: [...controllers],
  });
  return { ...running, logFile, namespace };
}

export async function createTokenSecret(client: KubeClient, namespace: string, token: string, name = "registration"): Promise<void> {
  await client.create(SECRET, { apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, data: { registrationToken: Buffer.from(token).toString("base64") } });
}

export function clusterObject(plane: RefControlPlane, spec: Record<string, unknown> = {}, name = CLUSTER_NAME): KubeObject {
  return {
    apiVersion: "ops.vworkspace.io/v1alpha1",
    kind: "Cluster",
    metadata: { name },
    spec: { controlPlaneEndpoint: plane.url, registrationTokenSecretRef: { name: "registration" }, ...spec },
  };
}

export async function getClusterObject(client: KubeClient, name = CLUSTER_NAME): Promise<Cluster | undefined> {
  try {
    return await client.get<Cluster>(CLUSTER, name);
  } catch (err) {
    if (classifyError(err) === "notFound") return undefined;
    throw err;
  }
}

export function condition(cluster: Cluster | undefined, type: string): Condition | undefined {
  return (cluster?.status?.conditions as Condition[] | undefined)?.find((candidate) => candidate.type === type);
}

export async function waitForPhase(client: KubeClient, phase: string, name = CLUSTER_NAME, timeoutMs = 60_000): Promise<Cluster> {
  return eventually(async () => {
    const found = await getClusterObject(client, name);
    return found?.status?.phase === phase ? found : undefined;
  }, { what: `Cluster ${name} phase ${phase}`, timeoutMs });
}

/** Waits until the Cluster's condition `type` has every field of `match` (status, reason). */
export async function waitForClusterCondition(client: KubeClient, type: string, match: Partial<Pick<Condition, "status" | "reason">>, name = CLUSTER_NAME): Promise<Cluster> {
  return eventually(async () => {
    const found = await getClusterObject(client, name);
    const current = condition(found, type);
    return current && Object.entries(match).every(([field, value]) => current[field as keyof typeof match] === value) ? found : undefined;
  }, { what: `Cluster ${name} condition ${type} ${JSON.stringify(match)}` });
}

/** Removes every Cluster (finalizers stripped: the operator may already be stopped). */
export async function deleteClusters(client: KubeClient): Promise<void> {
  const { items } = await client.list(CLUSTER);
  for (const item of items) {
    await client.patch(CLUSTER, item.metadata.name, { type: "merge", body: { metadata: { finalizers: null } } }).catch(() => undefined);
    await client.delete(CLUSTER, item.metadata.name).catch(() => undefined);
  }
  await eventually(async () => (await client.list(CLUSTER)).items.length === 0, { what: "Clusters deleted", timeoutMs: 30_000 });
}

/** Kubernetes Events about Clusters (recorded in `default`, as for any cluster-scoped object). */
export async function clusterEvents(client: KubeClient, uid: string): Promise<KubeObject[]> {
  const { items } = await client.list(EVENT_TYPE, { namespace: "default" });
  return items.filter((event) => (event.regarding as { uid?: string } | undefined)?.uid === uid);
}

export function applicationInstance(namespace: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name, namespace },
    spec: {
      appRef: { catalogId: "demo" },
      chart: { sourceType: "helm", url: "https://charts.example.com", name: "demo", version: "1.0.0" },
      release: { name, namespace },
      values: { source: "inline", inline: { value: "a" } },
    },
    ...extra,
  };
}

export function configMap(namespace: string, name: string, data: Record<string, string>, labels?: Record<string, string>): Record<string, unknown> {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, ...(labels ? { labels } : {}) }, data };
}

/** Waits for the job's result as the control plane recorded it. */
export async function resultOf(plane: RefControlPlane, jobId: string, timeoutMs = 60_000) {
  return eventually(() => plane.admin.jobResult(jobId), { what: `result of job ${jobId}`, timeoutMs });
}

/** A Cluster registered against `plane` with the operator running; returns the CP cluster id. */
export async function registeredAgent(cluster: TestCluster, plane: RefControlPlane, namespace: string, spec: Record<string, unknown> = {}, agent: Partial<AgentConfig> = {}): Promise<{ running: AgentRun; clusterId: string }> {
  const { token } = await plane.admin.createRegistrationToken();
  await createTokenSecret(cluster.client, namespace, token);
  const running = await startAgent(cluster, namespace, agent);
  await cluster.client.create(CLUSTER, clusterObject(plane, spec));
  const connected = await waitForPhase(cluster.client, "Connected");
  return { running, clusterId: connected.spec.clusterId! };
}

/**
 * Ends a test of the agent suite: every secret value in the operator namespace (registration and bearer
 * tokens, private keys) is looked for in the operator's whole log and in every Kubernetes Event about the
 * Clusters and the namespace; then the operator stops and the Clusters go.
 */
export async function finishAgentTest(cluster: TestCluster, running: AgentRun | undefined, extraSecrets: string[] = []): Promise<void> {
  try {
    if (!running) return;
    const namespace = running.namespace;
    const secrets = [...(await secretValues(cluster.client, namespace)), ...extraSecrets].filter((value) => value.length >= 8);
    await running.stop();
    const logText = readFileSync(running.logFile, "utf8");
    const events = await eventTexts(cluster.client, namespace);
    for (const secret of secrets) {
      const line = logText.split("\n").findIndex((text) => text.includes(secret));
      if (line >= 0) throw new Error(`secret material of namespace ${namespace} appears in the operator log (${running.logFile}:${line + 1})`);
      if (events.some((text) => text.includes(secret))) throw new Error(`secret material of namespace ${namespace} appears in a Kubernetes Event`);
    }
  } finally {
    await deleteClusters(cluster.client);
  }
}

/** Keys holding secret material; endpoints, cluster ids, certificates and public keys are not secret. */
const SENSITIVE_KEYS = /token|key|jwk/i;
const PUBLIC_KEYS = new Set(["control-plane-jwks.json", "public.jwk", "jwks.json", "token-expires-at"]);

async function secretValues(client: KubeClient, namespace: string): Promise<string[]> {
  const { items } = await client.list(SECRET, { namespace });
  const values: string[] = [];
  for (const item of items as Array<KubeObject & { data?: Record<string, string> }>) {
    for (const [key, encoded] of Object.entries(item.data ?? {})) {
      if (!SENSITIVE_KEYS.test(key) || PUBLIC_KEYS.has(key)) continue;
      const value = Buffer.from(encoded, "base64").toString("utf8");
      values.push(...secretParts(value));
    }
  }
  return values;
}

/** The parts of a Secret value worth looking for: JWK private members, PEM body lines, or the value itself. */
function secretParts(value: string): string[] {
  if (value.includes("-----BEGIN")) {
    return value.includes("PRIVATE KEY") ? value.split("\n").filter((line) => line.length >= 32 && !line.startsWith("-----")) : [];
  }
  try {
    const parsed = JSON.parse(value) as { d?: unknown; keys?: unknown };
    if (typeof parsed === "object" && parsed !== null) return typeof parsed.d === "string" ? [parsed.d] : [];
  } catch {
    // not JSON: a token
  }
  return [value.trim()];
}

async function eventTexts(client: KubeClient, namespace: string): Promise<string[]> {
  const [own, clusterScoped] = await Promise.all([client.list(EVENT_TYPE, { namespace }), client.list(EVENT_TYPE, { namespace: "default" })]);
  return [...own.items, ...clusterScoped.items.filter((event) => (event.regarding as { kind?: string } | undefined)?.kind === "Cluster")].map((event) => JSON.stringify(event));
}
