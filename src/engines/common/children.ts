/** Small lookups over the observed children every engine's `observe` and `cancel` share. */
import type { KubeObject, ResourceType } from "../../kube/types";
import type { ChildAction, ObservedChildren } from "../types";

export function findChild(children: ObservedChildren, type: ResourceType, name: string): KubeObject | undefined {
  return children.owned.find((child) => child.kind === type.kind && child.metadata.name === name);
}

export function childrenOfKind(children: ObservedChildren, type: ResourceType): KubeObject[] {
  return children.owned.filter((child) => child.kind === type.kind);
}

export function deleteAction(type: ResourceType, child: KubeObject, propagationPolicy?: "Background"): ChildAction {
  return {
    action: "delete",
    type,
    namespace: child.metadata.namespace ?? "",
    name: child.metadata.name,
    ...(propagationPolicy ? { propagationPolicy } : {}),
  };
}

export function patchAction(type: ResourceType, child: KubeObject, patch: Record<string, unknown>): ChildAction {
  return { action: "patch", type, namespace: child.metadata.namespace ?? "", name: child.metadata.name, patch };
}
