/**
 * Shared harness of the Operation integration tests (controller, approvals, concurrency and every engine):
 * the operator in-process with only the Operation controller, scoped to the test namespace (plus the
 * Velero namespace it watches); target ApplicationInstances created directly (no instance controller
 * runs); engines are played by patching their children's status subresource.
 */
import type { ApplicationInstance } from "../../src/api/applicationinstance";
import { APPLICATION_INSTANCE, OPERATION } from "../../src/api/groups";
import type { Operation } from "../../src/api/operation";
import { operationController } from "../../src/controllers/operation/controller";
import { ApiCallRecorder } from "../../src/kube/api-calls";
import type { KubeClient } from "../../src/kube/client";
import { classifyError } from "../../src/kube/errors";
import { EVENT_TYPE } from "../../src/kube/events";
import type { Condition, KubeObject, ResourceType } from "../../src/kube/types";
import type { OperatorConfig } from "../../src/manager/config";
import { DEFAULT_OPERATIONS_CONFIG, type OperationsConfig } from "../../src/operations/config";
import type { TestCluster } from "./cluster";
import { eventually } from "./eventually";
import { startOperatorInProcess, type InProcessOperator } from "./operator";

export const SERVICE_ACCOUNT: ResourceType = { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true };
export const JOB_TYPE: ResourceType = { group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true };
export const RUNNER = "vworkspace-operation-runner";

export interface OperationHarness {
  running: InProcessOperator;
  /** Every call the controller made through its client (informer traffic included). */
  calls: ApiCallRecorder;
  /** Deletes the test's Operations through the running operator (so their finalizers go), then stops it. */
  stop(): Promise<void>;
}

export interface OperationHarnessOptions {
  operations?: Partial<OperationsConfig>;
  config?: Partial<OperatorConfig>;
}

export async function startOperationController(cluster: TestCluster, namespace: string, options: OperationHarnessOptions = {}): Promise<OperationHarness> {
  const calls = new ApiCallRecorder();
  const running = await startOperatorInProcess({
    kubeconfigPath: cluster.kubeconfigPath,
    config: { watchNamespaces: [namespace], ...options.config, operations: { ...DEFAULT_OPERATIONS_CONFIG, ...options.operations } },
    controllers: [(context) => operationController({ ...context, client: context.client.withObserver(calls) })],
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await deleteOperations(cluster.client, namespace);
    } finally {
      await running.stop();
    }
  };
  return { running, calls, stop };
}

async function deleteOperations(client: KubeClient, namespace: string): Promise<void> {
  const { items } = await client.list(OPERATION, { namespace });
  for (const item of items) await client.delete(OPERATION, item.metadata.name, { namespace }).catch(() => undefined);
  await eventually(async () => (await client.list(OPERATION, { namespace })).items.length === 0, { what: `operations in ${namespace} deleted`, timeoutMs: 30_000 });
}

export interface TargetOptions {
  /** Capability annotations, e.g. `{ runcommand: "job", backup: "velero, snapshot" }`. */
  capabilities?: Record<string, string>;
  /** A managed instance with chart and release (default: a placeholder without release). */
  managed?: boolean;
  spec?: Record<string, unknown>;
}

/** Creates the target ApplicationInstance directly; no instance controller acts on it. */
export async function createTarget(client: KubeClient, namespace: string, name: string, options: TargetOptions = {}): Promise<ApplicationInstance> {
  const annotations = Object.fromEntries(Object.entries(options.capabilities ?? {}).map(([verb, engines]) => [`ops.vworkspace.io/${verb}`, engines]));
  const spec = options.managed
    ? {
        appRef: { catalogId: "demo" },
        chart: { sourceType: "helm", url: "https://charts.example.com", name: "demo", version: "1.0.0" },
        release: { name, namespace },
        values: { source: "inline", inline: { replicas: 1 } },
      }
    : { appRef: { catalogId: "demo" }, mode: "placeholder" };
  const object: KubeObject = { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", metadata: { name, namespace, annotations }, spec: { ...spec, ...options.spec } };
  return client.create(APPLICATION_INSTANCE, object) as Promise<ApplicationInstance>;
}

/** The ServiceAccount Job, Migration and Workflow children run as (precondition 6). */
export async function createRunnerAccount(client: KubeClient, namespace: string): Promise<void> {
  await client.create(SERVICE_ACCOUNT, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: RUNNER, namespace } });
}

export function operationObject(namespace: string, name: string, spec: Record<string, unknown>, metadata: Partial<KubeObject["metadata"]> = {}): KubeObject {
  return { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Operation", metadata: { name, namespace, ...metadata }, spec };
}

/** `spec` of an Operation against `target`. */
export function operationSpec(target: string, type: string, engine: string, parameters?: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: target }, type, engine, ...(parameters ? { parameters } : {}), ...extra };
}

export function createOperation(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown>, metadata: Partial<KubeObject["metadata"]> = {}): Promise<Operation> {
  return client.create(OPERATION, operationObject(namespace, name, spec, metadata)) as Promise<Operation>;
}

export async function getOptional<T extends KubeObject>(client: KubeClient, type: ResourceType, name: string, namespace: string | undefined): Promise<T | undefined> {
  try {
    return await client.get<T>(type, name, namespace ? { namespace } : {});
  } catch (err) {
    if (classifyError(err) === "notFound") return undefined;
    throw err;
  }
}

export function getOperation(client: KubeClient, namespace: string, name: string): Promise<Operation | undefined> {
  return getOptional<Operation>(client, OPERATION, name, namespace);
}

export function condition(op: Operation | undefined, type: string): Condition | undefined {
  return op?.status?.conditions?.find((candidate) => candidate.type === type);
}

/** "Status/Reason" of a condition, e.g. "True/ConflictingOperation"; undefined when absent. */
export function summary(op: Operation | undefined, type: string): string | undefined {
  const found = condition(op, type);
  return found && `${found.status}/${found.reason}`;
}

/** All seven condition types as "Status/Reason" (absent ones omitted), for whole-row assertions. */
export function conditionTable(op: Operation | undefined): Record<string, string> {
  const table: Record<string, string> = {};
  for (const type of ["Accepted", "Running", "Blocked", "Succeeded", "Failed", "Cancelled", "Degraded"]) {
    const value = summary(op, type);
    if (value) table[type] = value;
  }
  return table;
}

/** Waits until the Operation's phase is `phase` (and `check`, when given, holds). */
export function waitForPhase(client: KubeClient, namespace: string, name: string, phase: string, check: (op: Operation) => boolean = () => true): Promise<Operation> {
  return eventually(
    async () => {
      const op = await getOperation(client, namespace, name);
      return op?.status?.phase === phase && check(op) ? op : undefined;
    },
    { what: `operation ${name} phase ${phase}` },
  );
}

/** Waits until the Operation's condition reads `expected` ("True/ConflictingOperation"). */
export function waitForCondition(client: KubeClient, namespace: string, name: string, type: string, expected: string): Promise<Operation> {
  return eventually(
    async () => {
      const op = await getOperation(client, namespace, name);
      return summary(op, type) === expected ? op : undefined;
    },
    { what: `operation ${name} ${type}=${expected}` },
  );
}

/**
 * Plays an engine's controller: JSON merge patch of the child's status subresource, or of the object
 * itself for CRDs without one (Velero's Backup and Restore have no status subresource).
 */
export async function patchChildStatus(client: KubeClient, type: ResourceType, namespace: string, name: string, status: Record<string, unknown>): Promise<KubeObject> {
  try {
    return await client.patchStatus(type, name, { type: "merge", body: { status } }, { namespace });
  } catch (err) {
    if (classifyError(err) !== "notFound") throw err;
    return client.patch(type, name, { type: "merge", body: { status } }, { namespace });
  }
}

/**
 * Plays the Job controller's verdict. The API server (1.31+) requires the terminal condition's
 * companion (`SuccessCriteriaMet` / `FailureTarget`), start and completion times, and matching counts.
 */
export async function finishJob(client: KubeClient, namespace: string, name: string, outcome: "Complete" | "Failed", reason = outcome === "Complete" ? "Completed" : "BackoffLimitExceeded", message = "simulated"): Promise<KubeObject> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const condition = (type: string) => ({ type, status: "True", reason, message, lastProbeTime: now, lastTransitionTime: now });
  const status =
    outcome === "Complete"
      ? { startTime: now, completionTime: now, active: 0, succeeded: 1, ready: 0, terminating: 0, conditions: [condition("SuccessCriteriaMet"), condition("Complete")] }
      : { startTime: now, active: 0, failed: 1, ready: 0, terminating: 0, conditions: [condition("FailureTarget"), condition("Failed")] };
  return patchChildStatus(client, JOB_TYPE, namespace, name, status);
}

export async function listEvents(client: KubeClient, namespace: string): Promise<Array<{ reason: string; type: string; note: string; regarding: { name: string; kind: string } }>> {
  const list = await client.list(EVENT_TYPE, { namespace });
  return list.items as unknown as Array<{ reason: string; type: string; note: string; regarding: { name: string; kind: string } }>;
}
