/**
 * Writes of the objects the operator keeps under a fixed name in gated namespaces (the tenant's
 * ServiceAccount and RoleBinding, the Push RoleBinding). An object of that name without the operator's
 * label belongs to someone else: it is never changed, only reported with a log line and a Warning Event.
 */
import { LABEL_MANAGED_BY, MANAGED_BY_OPERATOR } from "../api/labels";
import type { KubeClient } from "../kube/client";
import { classifyError } from "../kube/errors";
import type { EventRecorder } from "../kube/events";
import type { KubeObject, ResourceType } from "../kube/types";
import type { Logger } from "../observability/logger";

/** Whether an object found under one of the fixed names belongs to the operator. */
export function isManaged(object: KubeObject): boolean {
  return object.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_OPERATOR;
}

export interface LabelledCreate {
  client: Pick<KubeClient, "get" | "create">;
  events: Pick<EventRecorder, "record">;
  logger: Logger;
  signal: AbortSignal;
  /** The Warning Event reason for an object of the name that is not ours. */
  notManagedReason: string;
  /** The log line of a successful create. */
  createdMessage: string;
}

export async function createLabelled(deps: LabelledCreate, type: ResourceType, body: KubeObject): Promise<void> {
  const { client, signal, logger } = deps;
  const namespace = body.metadata.namespace ?? "";
  try {
    await client.create(type, body, { namespace, signal });
    logger.info({ namespace, kind: type.kind }, deps.createdMessage);
    return;
  } catch (err) {
    if (classifyError(err) !== "alreadyExists") throw err;
  }
  const existing = await client.get(type, body.metadata.name, { namespace, signal }).catch((err: unknown) => {
    // Deleted between the two calls; nothing we watch announces that, so the pass is retried with backoff.
    if (classifyError(err) === "notFound") throw new Error("it existed at create and was gone when read; retrying", { cause: err });
    throw err;
  });
  // Ours but not yet in the cache: its informer event brings the next pass, which repairs any drift.
  if (isManaged(existing)) return;
  const note = `${type.kind} ${existing.metadata.name} exists without the label ${LABEL_MANAGED_BY}=${MANAGED_BY_OPERATOR}; the operator leaves it untouched`;
  logger.warn({ namespace, kind: type.kind, name: existing.metadata.name }, note);
  deps.events.record(existing, { type: "Warning", reason: deps.notManagedReason, action: "Reconcile", note });
}

/** Deletes the object as observed: the uid precondition spares one created again in the meantime. */
export async function deleteObserved(client: Pick<KubeClient, "delete">, type: ResourceType, current: KubeObject, signal: AbortSignal): Promise<void> {
  const { name, namespace, uid } = current.metadata;
  try {
    await client.delete(type, name, { namespace, signal, ...(uid ? { preconditions: { uid } } : {}) });
  } catch (err) {
    if (classifyError(err) !== "notFound") throw err;
  }
}
