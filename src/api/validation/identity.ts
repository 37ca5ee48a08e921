/** Messages and the cluster-identity predicate shared by the AI and Operation rule sets (rules AI-1/2, OP-1/2). */

import { LABEL_CLUSTER_ID } from "../labels";

export function namespaceNotGatedMessage(namespace: string): string {
  return `namespace "${namespace}" is not managed by vworkspace (label managed-by=vworkspace missing)`;
}

export function clusterMismatchMessage(label: string, clusterId: string): string {
  return `label ${LABEL_CLUSTER_ID}="${label}" does not match this cluster "${clusterId}"`;
}

/**
 * docs/concepts.md#cluster-identity: the object's cluster-id label when it contradicts the operator's cluster id.
 * A missing label, or an operator without a cluster id, never mismatches.
 */
export function mismatchedClusterIdLabel(
  labels: Readonly<Record<string, string>> | undefined,
  clusterId: string | undefined,
): string | undefined {
  const label = labels?.[LABEL_CLUSTER_ID];
  if (label === undefined || !clusterId || label === clusterId) return undefined;
  return label;
}
