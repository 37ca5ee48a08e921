/**
 * One pass over a namespace's Flux tenant objects: observe (informer caches), decide (desired.ts), write.
 * A ServiceAccount or RoleBinding of the tenant name without the operator's label belongs to someone else
 * (an admin's own binding, say): it is left exactly as it is and reported with a log line and a Warning Event.
 */
import { isGatedNamespace } from "../../api/gate";
import { TENANT_SERVICE_ACCOUNT } from "../../api/tenant";
import type { KubeClient } from "../../kube/client";
import type { EventRecorder } from "../../kube/events";
import { objectKey, type KubeObject } from "../../kube/types";
import type { Logger } from "../../observability/logger";
import { createLabelled, deleteObserved } from "../labelled-objects";
import { tenantActions, type RoleBinding, type TenantAction } from "./desired";

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
  const creates = { client: deps.client, events: deps.events, logger, signal, notManagedReason: REASON_NOT_MANAGED, createdMessage: "created a tenant object" };
  switch (action.verb) {
    case "create":
      return createLabelled(creates, action.type, action.body);
    case "replace":
      await deps.client.replace(action.type, action.body, { namespace, signal });
      logger.info({ namespace, kind: action.type.kind }, "repaired the tenant RoleBinding's subjects");
      return;
    case "recreate":
      await deleteObserved(deps.client, action.type, action.current, signal);
      logger.info({ namespace, kind: action.type.kind }, "recreating the tenant RoleBinding: its roleRef was changed");
      return createLabelled(creates, action.type, action.body);
    case "delete":
      await deleteObserved(deps.client, action.type, action.current, signal);
      logger.info({ namespace, kind: action.type.kind }, "deleted a tenant object: the namespace is no longer gated");
  }
}
