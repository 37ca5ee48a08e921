/**
 * The GitOps repository layout (docs/connectivity.md#gitops-mode): one directory per cluster, one per namespace,
 * one file per ApplicationInstance or Operation. The control plane writes it, Flux's Kustomization reads it.
 */
import { LABEL_CLUSTER_ID, LABEL_MANAGED_BY, MANAGED_BY_CONTROL_PLANE } from "../api/labels";

export const CLUSTERS_DIR = "clusters";
export const NAMESPACES_DIR = "namespaces";

/** Kinds that may live under a cluster's path; nothing else is ever rendered there. */
export const DESIRED_STATE_KINDS = ["ApplicationInstance", "Operation"] as const;
export type DesiredStateKind = (typeof DESIRED_STATE_KINDS)[number];

/** `clusters/<cluster-id>`: the Kustomization's path (without the leading `./`). */
export function clusterDir(clusterId: string): string {
  return `${CLUSTERS_DIR}/${clusterId}`;
}

/** `clusters/<cluster-id>/namespaces`: the only directory render prunes in. */
export function namespacesDir(clusterId: string): string {
  return `${clusterDir(clusterId)}/${NAMESPACES_DIR}`;
}

/** Repository-relative path of one manifest, always with `/` separators. */
export function manifestPath(clusterId: string, kind: DesiredStateKind, namespace: string, name: string): string {
  return `${namespacesDir(clusterId)}/${namespace}/${kind.toLowerCase()}-${name}.yaml`;
}

/** The labels every manifest under a cluster's path carries; they win over labels of the same key. */
export function desiredStateLabels(clusterId: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY_CONTROL_PLANE, [LABEL_CLUSTER_ID]: clusterId };
}
