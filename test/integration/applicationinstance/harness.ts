/**
 * Shared setup of the ApplicationInstance integration tests: the operator in-process with only this
 * controller, scoped to the test namespace, its API calls recorded; HelmRelease status is simulated by
 * patching the status subresource (no helm-controller runs here).
 */
import type { ApplicationInstance } from "../../../src/api/applicationinstance";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import { applicationInstanceController } from "../../../src/controllers/applicationinstance/controller";
import { HELM_RELEASE, type HelmRelease } from "../../../src/flux/types";
import { ApiCallRecorder } from "../../../src/kube/api-calls";
import { EVENT_TYPE } from "../../../src/kube/events";
import type { KubeClient } from "../../../src/kube/client";
import type { Condition, KubeObject, ResourceType } from "../../../src/kube/types";
import type { OperatorConfig } from "../../../src/manager/config";
import { afterEach, beforeAll } from "bun:test";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import type { TestNamespace } from "../../support/namespace";
import { getIfPresent } from "../../support/objects";
import { startOperatorInProcess, type InProcessOperator } from "../../support/operator";

export interface Harness {
  running: InProcessOperator;
  /** Every call the controller made (informers and status writes excluded). */
  calls: ApiCallRecorder;
  /** Deletes the test's instances through the running operator (so their finalizers go), then stops it. */
  stop(): Promise<void>;
}

export async function startController(cluster: TestCluster, namespace: string, config: Partial<OperatorConfig> = {}): Promise<Harness> {
  const calls = new ApiCallRecorder();
  const running = await startOperatorInProcess({
    kubeconfigPath: cluster.kubeconfigPath,
    config: { watchNamespaces: [namespace], ...config },
    controllers: [(context) => applicationInstanceController({ ...context, client: context.client.withObserver(calls) })],
  });
  const stop = async () => {
    try {
      await deleteInstances(cluster.client, namespace);
    } finally {
      await running.stop();
    }
  };
  return { running, calls, stop };
}

export interface HarnessHooks {
  /** The shared cluster's client (available from beforeAll on). */
  readonly client: KubeClient;
  /** The operator the running test started; throws when it started none. */
  readonly harness: Harness;
  /** Starts the controller scoped to the test's namespace; it is stopped after the test. */
  start(config?: Partial<OperatorConfig>): Promise<Harness>;
}

/** The hooks every ApplicationInstance integration file needs: the cluster once, each test's operator stopped after it. */
export function useHarness(ns: TestNamespace): HarnessHooks {
  let cluster: TestCluster | undefined;
  let current: Harness | undefined;
  beforeAll(async () => {
    cluster = await getCluster();
  });
  afterEach(async () => {
    const stopping = current;
    current = undefined;
    await stopping?.stop();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useHarness: ${what} is not available yet`);
    return value;
  };
  return {
    get client() {
      return started(cluster, "the cluster").client;
    },
    get harness() {
      return started(current, "an operator (call start() in the test)");
    },
    async start(config = {}) {
      current = await startController(started(cluster, "the cluster"), ns.name, config);
      return current;
    },
  };
}

async function deleteInstances(client: KubeClient, namespace: string): Promise<void> {
  const { items } = await client.list(APPLICATION_INSTANCE, { namespace });
  for (const item of items) await client.delete(APPLICATION_INSTANCE, item.metadata.name, { namespace }).catch(() => undefined);
  await eventually(async () => (await client.list(APPLICATION_INSTANCE, { namespace })).items.length === 0, { what: `instances in ${namespace} deleted`, timeoutMs: 30_000 });
}

export function instance(namespace: string, name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: {
      appRef: { catalogId: "demo" },
      chart: { sourceType: "helm", url: "https://charts.example.com", name: "demo", version: "1.0.0" },
      release: { name, namespace },
      values: { source: "inline", inline: { value: "a" } },
      ...spec,
    },
  };
}


export function getInstance(client: KubeClient, namespace: string, name: string): Promise<ApplicationInstance | undefined> {
  return getIfPresent<ApplicationInstance>(client, APPLICATION_INSTANCE, name, namespace);
}

export function condition(object: ApplicationInstance | undefined, type: string): Condition | undefined {
  return object?.status?.conditions?.find((candidate) => candidate.type === type);
}

/** "Status/Reason" of a condition, e.g. "False/UpgradeFailed". */
export function summary(object: ApplicationInstance | undefined, type: string): string | undefined {
  const found = condition(object, type);
  return found && `${found.status}/${found.reason}`;
}

/** Waits until the instance's condition reads `expected` at the instance's current generation. */
export async function waitForCondition(client: KubeClient, namespace: string, name: string, type: string, expected: string): Promise<ApplicationInstance> {
  return eventually(
    async () => {
      const current = await getInstance(client, namespace, name);
      const found = condition(current, type);
      const atGeneration = current?.status?.observedGeneration === current?.metadata.generation;
      return atGeneration && found && `${found.status}/${found.reason}` === expected ? current : undefined;
    },
    { what: `${name} ${type}=${expected}` },
  );
}

/** Plays helm-controller: writes HR status conditions, each `Type=Status/Reason@generation` (default: the HR's). */
export async function setHelmReleaseStatus(
  client: KubeClient,
  namespace: string,
  name: string,
  observedGeneration: number | "current",
  ...conditions: string[]
): Promise<HelmRelease> {
  const current = await client.get<HelmRelease>(HELM_RELEASE, name, { namespace });
  const generation = current.metadata.generation ?? 1;
  const status = {
    observedGeneration: observedGeneration === "current" ? generation : observedGeneration,
    conditions: conditions.map((text) => {
      const [, type, state, reason, at] = /^(\w+)=(\w+)\/(\w+)(?:@(\d+))?$/.exec(text) ?? [];
      if (!type) throw new Error(`bad condition ${text}`);
      return { type, status: state, reason, message: `simulated ${reason}`, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"), observedGeneration: at ? Number(at) : generation };
    }),
  };
  return client.patchStatus<HelmRelease>(HELM_RELEASE, name, { type: "merge", body: { status } }, { namespace });
}

/** events.k8s.io Events as the recorder writes them; `action` is the condition type of a transition. */
export interface RecordedEvent {
  reason: string;
  type: string;
  action: string;
  note: string;
  regarding: { name: string };
}

export async function listEvents(client: KubeClient, namespace: string): Promise<RecordedEvent[]> {
  const list = await client.list(EVENT_TYPE, { namespace });
  return list.items as unknown as RecordedEvent[];
}
