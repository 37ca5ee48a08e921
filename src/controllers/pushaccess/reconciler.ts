/**
 * One pass over a namespace's Push RoleBinding: observe (informer caches), decide (desired.ts), write. A
 * RoleBinding of that name without the operator's label belongs to someone else: it is left exactly as it
 * is and reported with a log line and a Warning Event.
 */
import { isGatedNamespace } from "../../api/gate";
import { CONTROL_PLANE_ROLE_BINDING } from "../../api/push-access";
import type { KubeClient } from "../../kube/client";
import type { EventRecorder } from "../../kube/events";
import { objectKey, type KubeObject } from "../../kube/types";
import type { Logger } from "../../observability/logger";
import { createLabelled, deleteObserved, isManaged } from "../labelled-objects";
import { MANAGED_SELECTOR, ROLE_BINDING, type RoleBinding } from "../tenant/desired";
import { pushAccessActions, type PushAccessAction } from "./desired";

export interface PushAccessDeps {
  client: Pick<KubeClient, "get" | "create" | "delete">;
  namespaces: { get(name: string): KubeObject | undefined };
  /** Whether the operator's watch scope covers the namespace (`--watch-namespaces`). */
  inScope(namespace: string): boolean;
  /** Whether the honoured Cluster's mode asks for Push access now. */
  wanted(): boolean;
  /** The ClusterRole the binding grants now (pushAccessRole). */
  role(): string;
  /** The operator's labelled RoleBindings, by `namespace/name`. */
  roleBindings: { get(key: string): KubeObject | undefined };
  /** Where the control plane's ServiceAccount lives. */
  operatorNamespace: string;
  events: Pick<EventRecorder, "record">;
}

export const REASON_NOT_MANAGED = "PushAccessNotManaged";

export async function reconcilePushAccess(deps: PushAccessDeps, namespace: string, signal: AbortSignal, logger: Logger): Promise<void> {
  const object = deps.namespaces.get(namespace);
  // A deleted or terminating namespace takes its binding with it; a create there would be refused.
  if (!object || object.metadata.deletionTimestamp !== undefined || !deps.inScope(namespace)) return;
  const actions = pushAccessActions({
    namespace,
    operatorNamespace: deps.operatorNamespace,
    wanted: deps.wanted() && isGatedNamespace(object.metadata.labels),
    role: deps.role(),
    current: deps.roleBindings.get(objectKey({ name: CONTROL_PLANE_ROLE_BINDING, namespace })) as RoleBinding | undefined,
  });
  for (const action of actions) {
    try {
      await perform(deps, action, signal, logger);
    } catch (err) {
      throw new Error(`${action.verb} RoleBinding ${CONTROL_PLANE_ROLE_BINDING} in namespace ${namespace}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}

/** Deletes every Push RoleBinding the operator created (the honoured Cluster is being deleted). */
export async function removeAllPushAccess(client: Pick<KubeClient, "listAll" | "delete">, signal: AbortSignal, logger: Logger): Promise<void> {
  const bindings = await client.listAll(ROLE_BINDING, { labelSelector: MANAGED_SELECTOR, signal });
  for (const binding of bindings.items.filter((item) => item.metadata.name === CONTROL_PLANE_ROLE_BINDING && isManaged(item))) {
    await deleteObserved(client, ROLE_BINDING, binding, signal);
    logger.info({ namespace: binding.metadata.namespace }, "deleted the Push RoleBinding: the Cluster is being deleted");
  }
}

async function perform(deps: PushAccessDeps, action: PushAccessAction, signal: AbortSignal, logger: Logger): Promise<void> {
  const creates = { client: deps.client, events: deps.events, logger, signal, notManagedReason: REASON_NOT_MANAGED, createdMessage: "created the Push RoleBinding" };
  switch (action.verb) {
    case "create":
      return createLabelled(creates, ROLE_BINDING, action.body);
    case "recreate":
      await deleteObserved(deps.client, ROLE_BINDING, action.current, signal);
      logger.info({ namespace: action.current.metadata.namespace }, "recreating the Push RoleBinding: its roleRef or subjects differ from what the Cluster asks for");
      return createLabelled(creates, ROLE_BINDING, action.body);
    case "delete":
      await deleteObserved(deps.client, ROLE_BINDING, action.current, signal);
      logger.info({ namespace: action.current.metadata.namespace }, "deleted the Push RoleBinding: the namespace is no longer gated or the mode is pull");
  }
}
