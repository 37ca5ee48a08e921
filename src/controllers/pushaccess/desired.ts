/**
 * The Push RoleBinding of a namespace, pure (docs/connectivity.md#push-mode): while the honoured Cluster's
 * mode is push or gitops, every gated namespace holds RoleBinding `vworkspace-control-plane` granting the
 * control plane's ServiceAccount the namespaced ClusterRole (with HelmReleases and chart sources while they
 * are authoritative), so RBAC alone confines the control plane (and Flux impersonating it) to gated
 * namespaces. Only a binding with the operator's label is ever changed.
 */
import { CONTROL_PLANE_HELMRELEASES_ROLE, CONTROL_PLANE_NAMESPACED_ROLE, CONTROL_PLANE_ROLE_BINDING, CONTROL_PLANE_SERVICE_ACCOUNT } from "../../api/push-access";
import { helmReleasesAuthoritative } from "../../api/helmrelease-authority";
import type { Cluster, ConnectivityMode } from "../../api/cluster";
import { LABEL_MANAGED_BY, MANAGED_BY_OPERATOR } from "../../api/labels";
import { apiVersionOf, type KubeObject } from "../../kube/types";
import { isManaged } from "../labelled-objects";
import { ROLE_BINDING, type RoleBinding } from "../tenant/desired";

export type PushAccessAction =
  | { verb: "create"; body: RoleBinding }
  /** roleRef or subjects drifted: delete the current binding (by uid), then create. */
  | { verb: "recreate"; current: RoleBinding; body: RoleBinding }
  | { verb: "delete"; current: RoleBinding };

/** Whether a mode writes through the control plane's ServiceAccount. */
export function modeNeedsPushAccess(mode: ConnectivityMode | undefined): boolean {
  return mode === "push" || mode === "gitops";
}

/**
 * The honoured Cluster asks for Push access, is not being deleted, and the mode in effect (status, before
 * the Cluster reconciler's first pass the spec) has it too: a switch to push grants access only after the
 * job in hand finished and field ownership was handed over; a switch to pull withdraws it at once.
 */
export function pushAccessWanted(honoured: Cluster | undefined): boolean {
  if (!honoured || honoured.metadata.deletionTimestamp !== undefined) return false;
  const wanted = honoured.spec?.connectivityMode ?? "pull";
  return modeNeedsPushAccess(wanted) && modeNeedsPushAccess(honoured.status?.connectivityMode ?? wanted);
}

/** The ClusterRole the binding grants: Flux objects only while committed HelmReleases are authoritative. */
export function pushAccessRole(honoured: Cluster | undefined): string {
  return helmReleasesAuthoritative(honoured) ? CONTROL_PLANE_HELMRELEASES_ROLE : CONTROL_PLANE_NAMESPACED_ROLE;
}

export function desiredPushRoleBinding(namespace: string, operatorNamespace: string, role = CONTROL_PLANE_NAMESPACED_ROLE): RoleBinding {
  return {
    apiVersion: apiVersionOf(ROLE_BINDING),
    kind: ROLE_BINDING.kind,
    metadata: { name: CONTROL_PLANE_ROLE_BINDING, namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY_OPERATOR } },
    roleRef: { apiGroup: ROLE_BINDING.group, kind: "ClusterRole", name: role },
    subjects: [{ kind: "ServiceAccount", name: CONTROL_PLANE_SERVICE_ACCOUNT, namespace: operatorNamespace }],
  };
}

export interface PushAccessObservation {
  namespace: string;
  operatorNamespace: string;
  /** Push access wanted by the Cluster and the namespace gated, live and in the watch scope. */
  wanted: boolean;
  /** The ClusterRole to bind (pushAccessRole); the namespaced one when absent. */
  role?: string;
  /** The labelled binding named `vworkspace-control-plane` there; undefined when absent. */
  current: RoleBinding | undefined;
}

/** The writes that bring the namespace's Push access to what is wanted; empty when it is there. */
export function pushAccessActions(observed: PushAccessObservation): PushAccessAction[] {
  const { current } = observed;
  if (current && (!isManaged(current) || current.metadata.deletionTimestamp !== undefined)) return [];
  if (!observed.wanted) return current ? [{ verb: "delete", current }] : [];
  const body = desiredPushRoleBinding(observed.namespace, observed.operatorNamespace, observed.role);
  if (!current) return [{ verb: "create", body }];
  return sameGrant(current, body) ? [] : [{ verb: "recreate", current, body }];
}

/** Whether the labelled binding in a namespace grants Push access (status.managedNamespaces[].pushAccess). */
export function grantsPushAccess(binding: KubeObject | undefined, operatorNamespace: string): boolean {
  if (!binding || !isManaged(binding) || binding.metadata.deletionTimestamp !== undefined) return false;
  const namespace = binding.metadata.namespace ?? "";
  return [CONTROL_PLANE_NAMESPACED_ROLE, CONTROL_PLANE_HELMRELEASES_ROLE].some((role) => sameGrant(binding as RoleBinding, desiredPushRoleBinding(namespace, operatorNamespace, role)));
}

function sameGrant(current: RoleBinding, desired: RoleBinding): boolean {
  const ref = current.roleRef;
  const sameRef = ref?.apiGroup === desired.roleRef.apiGroup && ref.kind === desired.roleRef.kind && ref.name === desired.roleRef.name;
  const key = (subject: { kind: string; name: string; namespace?: string }) => `${subject.kind}/${subject.namespace ?? ""}/${subject.name}`;
  const subjects = (current.subjects ?? []).map(key);
  const wanted = (desired.subjects ?? []).map(key);
  return sameRef && subjects.length === wanted.length && subjects.every((entry, index) => entry === wanted[index]);
}
