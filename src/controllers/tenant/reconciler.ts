/**
 * One pass over a namespace's Flux tenant objects: observe (informer caches), decide (desired.ts), write.
 * A ServiceAccount or RoleBinding of the tenant name without the operator's label belongs to someone else
 * (an admin's own binding, say): it is left exactly as it is and reported with a log line and a Warning Event.
 */
import { isGatedNamespace } from "../../api/gate";
import { LABEL_MANAGED_BY, MANAGED_BY_OPERATOR } from "../../api/labels";
import { TENANT_SERVICE_ACCOUNT } from "../../api/tenant";
import type { KubeClient } from "../../kube/client";
import { classifyError } from "../../kube/errors";
import type { EventRecorder } from "../../kube/events";
import { objectKey, type KubeObject, type ResourceType } from "../../kube/types";
import type { Logger } from "../../observability/logger";
import { isManaged, tenantActions, type RoleBinding, type TenantAction } from "./desired";

export interface TenantReconcilerDeps {
  client: Pick<KubeClient, "get" | "create" | "replace" | "delete">;
  namespaces: { get(name: string): KubeObject | undefined };
  /** Whether the operator's watch scope covers the namespace (`--watch-namespaces`). */
  inScope(namespace: string): boolean;
  /** The operator's labelled ServiceAccounts and RoleBindings, by `namespace/name`. */
  serviceAccounts: { get(key: string): KubeObject | undefined };
  roleBindings: { get(key: string): KubeObject | undefined };
  events: Pick<EventRecorder, "record">;
}

export const REASON_NOT_MANAGED = "TenantObjectNotManaged";

export async function reconcileTenant(deps: TenantReconcilerDeps, namespace: string, signal: AbortSignal, logger: Logger): Promise<void> {
  const object = deps.namespaces.get(namespace);
  // A deleted or terminating namespace takes its objects with it; a create there would be refused.
  if (!object || object.metadata.deletionTimestamp !== undefined || !deps.inScope(namespace)) return;
  const key = objectKey({ name: TENANT_SERVICE_ACCOUNT, namespace });
  const actions = tenantActions({
    namespace,
    wanted: isGatedNamespace(object.metadata.labels),
    serviceAccount: deps.serviceAccounts.get(key),
    roleBinding: deps.roleBindings.get(key) as RoleBinding | undefined,
  });
  for (const action of actions) {
    try {
      await perform(deps, action, signal, logger);
    } catch (err) {
      throw new Error(`${action.verb} ${action.type.kind} ${TENANT_SERVICE_ACCOUNT} in namespace ${namespace}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}

async function perform(deps: TenantReconcilerDeps, action: TenantAction, signal: AbortSignal, logger: Logger): Promise<void> {
  const namespace = (action.verb === "create" || action.verb === "replace" ? action.body : action.current).metadata.namespace ?? "";
  switch (action.verb) {
    case "create":
      return create(deps, action.type, action.body, signal, logger);
    case "replace":
      await deps.client.replace(action.type, action.body, { namespace, signal });
      logger.info({ namespace, kind: action.type.kind }, "repaired the tenant RoleBinding's subjects");
      return;
    case "recreate":
      await remove(deps, action.type, action.current, signal);
      logger.info({ namespace, kind: action.type.kind }, "recreating the tenant RoleBinding: its roleRef was changed");
      return create(deps, action.type, action.body, signal, logger);
    case "delete":
      await remove(deps, action.type, action.current, signal);
      logger.info({ namespace, kind: action.type.kind }, "deleted a tenant object: the namespace is no longer gated");
  }
}

async function create(deps: TenantReconcilerDeps, type: ResourceType, body: KubeObject, signal: AbortSignal, logger: Logger): Promise<void> {
  const namespace = body.metadata.namespace ?? "";
  try {
    await deps.client.create(type, body, { namespace, signal });
    logger.info({ namespace, kind: type.kind }, "created a tenant object");
    return;
  } catch (err) {
    if (classifyError(err) !== "alreadyExists") throw err;
  }
  const existing = await deps.client.get(type, body.metadata.name, { namespace, signal }).catch((err: unknown) => {
    // Deleted between the two calls; nothing we watch announces that, so the pass is retried with backoff.
    if (classifyError(err) === "notFound") throw new Error("it existed at create and was gone when read; retrying", { cause: err });
    throw err;
  });
  // Ours but not yet in the cache: its informer event brings the next pass, which repairs any drift.
  if (isManaged(existing)) return;
  reportForeign(deps, type, existing, logger);
}

function reportForeign(deps: TenantReconcilerDeps, type: ResourceType, existing: KubeObject, logger: Logger): void {
  const { name, namespace } = existing.metadata;
  const note = `${type.kind} ${name} exists without the label ${LABEL_MANAGED_BY}=${MANAGED_BY_OPERATOR}; the operator leaves it untouched`;
  logger.warn({ namespace, kind: type.kind, name }, note);
  deps.events.record(existing, { type: "Warning", reason: REASON_NOT_MANAGED, action: "Reconcile", note });
}

async function remove(deps: TenantReconcilerDeps, type: ResourceType, current: KubeObject, signal: AbortSignal): Promise<void> {
  const { name, namespace, uid } = current.metadata;
  try {
    await deps.client.delete(type, name, { namespace, signal, ...(uid ? { preconditions: { uid } } : {}) });
  } catch (err) {
    if (classifyError(err) !== "notFound") throw err;
  }
}
