/**
 * Builds the agent's events (docs/connectivity.md#events) from objects and conditions. Pure: the caller supplies the
 * time. A condition counts as changed when it is new or its status, reason or message differs.
 */
import { redactMessage } from "../../api/redact";
import type { Condition, KubeObject } from "../../kube/types";
import { auditKey, bufferOverflowKey, conditionTransitionKey, credentialRotatedKey, type AgentEvent, type AppliedRef, type WireCondition } from "../../protocol";

export function resourceRefOf(object: KubeObject): AppliedRef {
  const ref: AppliedRef = { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace ?? "", name: object.metadata.name };
  if (object.metadata.uid) ref.uid = object.metadata.uid;
  if (object.metadata.generation) ref.generation = object.metadata.generation;
  return ref;
}

export function wireCondition(condition: Condition): WireCondition {
  const wire: WireCondition = { type: condition.type, status: condition.status };
  if (condition.observedGeneration) wire.observedGeneration = condition.observedGeneration;
  if (condition.lastTransitionTime) wire.lastTransitionTime = condition.lastTransitionTime;
  if (condition.reason) wire.reason = condition.reason;
  // Flux and Velero messages can quote rendered values; nothing leaves the cluster unredacted.
  if (condition.message) wire.message = redactMessage(condition.message);
  return wire;
}

function conditionsOf(object: KubeObject | undefined): Condition[] {
  const status = object?.status as { conditions?: unknown } | undefined;
  return Array.isArray(status?.conditions) ? (status.conditions as Condition[]) : [];
}

function endpointsOf(object: KubeObject): { name: string; url: string }[] {
  const status = object.status as { endpoints?: unknown } | undefined;
  if (!Array.isArray(status?.endpoints)) return [];
  const ready = conditionsOf(object).some((condition) => condition.type === "Ready" && condition.status === "True");
  if (!ready) return [];
  return (status.endpoints as { name?: unknown; url?: unknown }[])
    .filter((endpoint) => typeof endpoint.name === "string" && typeof endpoint.url === "string")
    .map((endpoint) => ({ name: endpoint.name as string, url: endpoint.url as string }));
}

export function conditionTransitionEvent(object: KubeObject, condition: Condition, at: Date): AgentEvent {
  const ref = resourceRefOf(object);
  const event: AgentEvent = {
    eventKey: conditionTransitionKey(ref, condition, object.metadata.generation ?? 0),
    kind: "ConditionTransition",
    resourceRef: ref,
    conditions: [wireCondition(condition)],
    timestamp: at.toISOString(),
  };
  const endpoints = endpointsOf(object);
  if (endpoints.length > 0) event.endpoints = endpoints;
  return event;
}

/** Events for the conditions of `current` that are new or changed since `previous`. */
export function conditionTransitionEvents(previous: KubeObject | undefined, current: KubeObject, at: Date): AgentEvent[] {
  const before = conditionsOf(previous);
  return conditionsOf(current)
    .filter((condition) => {
      const old = before.find((candidate) => candidate.type === condition.type);
      return !old || old.status !== condition.status || old.reason !== condition.reason || old.message !== condition.message;
    })
    .map((condition) => conditionTransitionEvent(current, condition, at));
}

/** One event per current condition: the resync snapshot of one object (docs/connectivity.md#event-buffer-and-resync). */
export function snapshotEvents(object: KubeObject, at: Date): AgentEvent[] {
  return conditionsOf(object).map((condition) => conditionTransitionEvent(object, condition, at));
}

export function heartbeatEvent(clusterId: string, controllersHealthy: WireCondition | undefined, at: Date): AgentEvent {
  const event: AgentEvent = {
    kind: "ClusterHeartbeat",
    resourceRef: { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", namespace: "", name: clusterId },
    timestamp: at.toISOString(),
  };
  if (controllersHealthy) event.conditions = [controllersHealthy];
  return event;
}

export interface ClusterIdentity {
  name: string;
  uid: string;
}

function clusterRef(cluster: ClusterIdentity): AppliedRef {
  return { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", namespace: "", name: cluster.name, uid: cluster.uid };
}

export function credentialRotatedEvent(cluster: ClusterIdentity, newTokenFingerprint: string, at: Date): AgentEvent {
  return {
    eventKey: credentialRotatedKey(cluster.uid, newTokenFingerprint),
    kind: "CredentialRotated",
    resourceRef: clusterRef(cluster),
    conditions: [{ type: "Authenticated", status: "True", reason: "CredentialRotated", message: "agent credential rotated", lastTransitionTime: at.toISOString() }],
    timestamp: at.toISOString(),
  };
}

export function auditEvent(cluster: ClusterIdentity, jobId: string, condition: { type: "PayloadsVerified" | "PayloadsEncrypted"; reason: string; message: string }, at: Date): AgentEvent {
  return {
    eventKey: auditKey(condition.reason, jobId),
    kind: "Audit",
    resourceRef: clusterRef(cluster),
    conditions: [{ type: condition.type, status: "False", reason: condition.reason, message: condition.message, lastTransitionTime: at.toISOString() }],
    jobId,
    timestamp: at.toISOString(),
  };
}

export function bufferOverflowEvent(cluster: ClusterIdentity, startedAt: Date, dropped: number, at: Date): AgentEvent {
  return {
    eventKey: bufferOverflowKey(cluster.uid, startedAt.getTime() / 1000),
    kind: "BufferOverflow",
    resourceRef: clusterRef(cluster),
    conditions: [{ type: "BufferOverflow", status: "True", reason: "EventBufferFull", message: `${dropped} events dropped`, lastTransitionTime: startedAt.toISOString() }],
    timestamp: at.toISOString(),
  };
}
