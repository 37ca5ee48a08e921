/** The Operation as the owner of its children: labels' identity and the ownerReference. */
import { controllerReference } from "../../kube/owners";
import type { OwnerReference } from "../../kube/types";
import type { EngineContext } from "../types";
import type { ChildOwner } from "./labels";

export function childOwner(context: EngineContext): ChildOwner {
  return {
    uid: context.uid,
    namespace: context.operation.metadata.namespace ?? "",
    targetName: context.operation.spec.targetRef.name,
  };
}

/** Jobs, Workflows and VolSync objects follow the Operation on deletion (as controller-runtime sets it). */
export function operationReference(context: EngineContext): OwnerReference {
  return controllerReference(context.operation);
}

export function operationIdentity(context: EngineContext): { namespace: string; name: string; uid: string } {
  return { namespace: context.operation.metadata.namespace ?? "", name: context.operation.metadata.name, uid: context.uid };
}
