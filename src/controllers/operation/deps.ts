/** What one Operation reconcile pass works with, and the pass state. */
import type { ApplicationInstance } from "../../api/applicationinstance";
import type { Operation } from "../../api/operation";
import type { ChildReader } from "../../engines/types";
import type { Clock } from "../../kube/clock";
import type { KubeClient } from "../../kube/client";
import type { EventRecorder } from "../../kube/events";
import type { StatusWriter } from "../../kube/status";
import type { KubeObject, ResourceType } from "../../kube/types";
import type { OperatorMetrics } from "../../observability/metrics";
import type { OperationsConfig } from "../../operations/config";
import type { RuleFacts } from "../../operations/rules";
import type { StartGate } from "./start-gate";

export interface ObjectCache<T extends KubeObject = KubeObject> {
  get(key: string): T | undefined;
  list(namespace?: string): T[];
  /** False until the first full list arrived: an absent object then proves nothing. */
  hasSynced(): boolean;
}

export interface OperationReconcilerDeps {
  client: KubeClient;
  operations: ObjectCache<Operation>;
  instances: ObjectCache<ApplicationInstance>;
  /** The cache of an engine child kind, selected by the operation label. */
  children(type: ResourceType): ObjectCache;
  gate: { isGated(namespace: string): boolean };
  /** The honoured Cluster's id, read at every pass: it can change while the operator runs. */
  clusterId(): string;
  ruleFacts: RuleFacts;
  reader: ChildReader;
  served(type: ResourceType, signal: AbortSignal): Promise<boolean>;
  status: Pick<StatusWriter, "mergePatch">;
  events: Pick<EventRecorder, "record">;
  metrics: OperatorMetrics;
  clock: Clock;
  settings: OperationsConfig;
  starts: StartGate;
}

export interface Pass {
  readonly deps: OperationReconcilerDeps;
  readonly signal: AbortSignal;
  /** The latest stored Operation, replaced after each write that returns it. */
  current: Operation;
}
