/** Which Cluster the operator acts on (connectivity.md §1.1): the oldest, ties to the smallest name. Pure. */
import type { KubeObject } from "../../kube/types";

export function honouredCluster<T extends KubeObject>(clusters: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const cluster of clusters) {
    if (!best || isOlder(cluster, best)) best = cluster;
  }
  return best;
}

function isOlder(a: KubeObject, b: KubeObject): boolean {
  const at = Date.parse(a.metadata.creationTimestamp ?? "") || 0;
  const bt = Date.parse(b.metadata.creationTimestamp ?? "") || 0;
  if (at !== bt) return at < bt;
  return a.metadata.name < b.metadata.name;
}
