/**
 * Which Cluster object the operator honours (docs/connectivity.md#identity-and-selection): the oldest by creationTimestamp, ties
 * to the smallest name. Objects being deleted still count until they are gone, so honouring never flaps
 * to a younger object while the old one finalizes.
 */
import type { KubeObject } from "../kube/types";

export function honouredCluster<T extends KubeObject>(clusters: readonly T[]): T | undefined {
  let honoured: T | undefined;
  for (const candidate of clusters) {
    if (!honoured || olderThan(candidate, honoured)) honoured = candidate;
  }
  return honoured;
}

function olderThan(a: KubeObject, b: KubeObject): boolean {
  const created = (object: KubeObject) => Date.parse(object.metadata.creationTimestamp ?? "") || Number.MAX_SAFE_INTEGER;
  const [left, right] = [created(a), created(b)];
  if (left !== right) return left < right;
  return a.metadata.name < b.metadata.name;
}

/** `spec.clusterId` of the honoured Cluster, or "" when there is none or it sets none. */
export function clusterIdOf(clusters: readonly KubeObject[]): string {
  const spec = honouredCluster(clusters)?.spec as { clusterId?: unknown } | undefined;
  return typeof spec?.clusterId === "string" ? spec.clusterId : "";
}
