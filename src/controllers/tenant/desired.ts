/**
 * The Flux tenant objects of a namespace, pure: what the namespace should hold and what is there in,
 * the writes that close the gap out. The operator keeps ServiceAccount `vworkspace-tenant` and a
 * RoleBinding of that name to the chart's ClusterRole `vworkspace-tenant` in every gated namespace, so
 * helm-controller, impersonating that ServiceAccount, installs charts with namespace rights only (see
 * docs/security.md). Only objects carrying the operator's managed-by label are ever changed or deleted.
 */
import { LABEL_MANAGED_BY, MANAGED_BY_OPERATOR } from "../../api/labels";
import { TENANT_CLUSTER_ROLE, TENANT_SERVICE_ACCOUNT } from "../../api/tenant";
import { apiVersionOf, type KubeObject, type ResourceType } from "../../kube/types";

export const SERVICE_ACCOUNT: ResourceType = { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true };
export const ROLE_BINDING: ResourceType = { group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true };

/** Selects the tenant objects (and nothing the operator does not own) for the informers. */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY_OPERATOR}`;

export interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export interface RoleBinding extends KubeObject {
  roleRef: RoleRef;
  subjects?: Subject[];
}

/** What one reconcile of a namespace sees. */
export interface TenantObservation {
  namespace: string;
  /** The namespace is gated, not terminating, and inside the operator's watch scope. */
  wanted: boolean;
  /** The operator's own (labelled) objects named `vworkspace-tenant`; undefined when absent. */
  serviceAccount: KubeObject | undefined;
  roleBinding: RoleBinding | undefined;
}

export type TenantAction =
  | { verb: "create"; type: ResourceType; body: KubeObject }
  /** Drift repair: the current object with the desired subjects, guarded by its resourceVersion. */
  | { verb: "replace"; type: ResourceType; body: KubeObject }
  /** roleRef cannot be changed in place: delete the current binding (by uid), then create. */
  | { verb: "recreate"; type: ResourceType; current: KubeObject; body: KubeObject }
  | { verb: "delete"; type: ResourceType; current: KubeObject };

function tenantMetadata(namespace: string): KubeObject["metadata"] {
  return { name: TENANT_SERVICE_ACCOUNT, namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY_OPERATOR } };
}

export function desiredServiceAccount(namespace: string): KubeObject {
  return { apiVersion: apiVersionOf(SERVICE_ACCOUNT), kind: SERVICE_ACCOUNT.kind, metadata: tenantMetadata(namespace) };
}

export function desiredRoleBinding(namespace: string): RoleBinding {
  return {
    apiVersion: apiVersionOf(ROLE_BINDING),
    kind: ROLE_BINDING.kind,
    metadata: tenantMetadata(namespace),
    roleRef: { apiGroup: ROLE_BINDING.group, kind: "ClusterRole", name: TENANT_CLUSTER_ROLE },
    subjects: [{ kind: "ServiceAccount", name: TENANT_SERVICE_ACCOUNT, namespace }],
  };
}

/** The writes that bring the namespace to its desired state; empty when it is there. */
export function tenantActions(observed: TenantObservation): TenantAction[] {
  const { namespace, serviceAccount, roleBinding } = observed;
  if (!observed.wanted) {
    const present = [
      { type: ROLE_BINDING, current: roleBinding },
      { type: SERVICE_ACCOUNT, current: serviceAccount },
    ];
    return present.flatMap(({ type, current }): TenantAction[] => (current && current.metadata.deletionTimestamp === undefined ? [{ verb: "delete", type, current }] : []));
  }
  const actions: TenantAction[] = [];
  if (!serviceAccount) actions.push({ verb: "create", type: SERVICE_ACCOUNT, body: desiredServiceAccount(namespace) });
  const binding = roleBindingAction(namespace, roleBinding);
  if (binding) actions.push(binding);
  return actions;
}

function roleBindingAction(namespace: string, current: RoleBinding | undefined): TenantAction | undefined {
  const desired = desiredRoleBinding(namespace);
  if (!current) return { verb: "create", type: ROLE_BINDING, body: desired };
  // A binding being deleted is recreated once it is gone (its delete event enqueues the namespace).
  if (current.metadata.deletionTimestamp !== undefined) return undefined;
  if (!sameRoleRef(current.roleRef, desired.roleRef)) return { verb: "recreate", type: ROLE_BINDING, current, body: desired };
  if (sameSubjects(current.subjects, desired.subjects)) return undefined;
  return { verb: "replace", type: ROLE_BINDING, body: { ...current, subjects: desired.subjects } as RoleBinding };
}

function sameRoleRef(a: RoleRef | undefined, b: RoleRef): boolean {
  return a?.apiGroup === b.apiGroup && a.kind === b.kind && a.name === b.name;
}

function sameSubjects(current: readonly Subject[] | undefined, desired: readonly Subject[] | undefined): boolean {
  const key = (subject: Subject) => `${subject.kind}/${subject.apiGroup ?? ""}/${subject.namespace ?? ""}/${subject.name}`;
  const a = (current ?? []).map(key);
  const b = (desired ?? []).map(key);
  return a.length === b.length && a.every((entry, index) => entry === b[index]);
}
