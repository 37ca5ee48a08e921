/**
 * The operator's cluster id (docs/concepts.md#cluster-identity): `spec.clusterId` of the honoured Cluster object, followed live
 * from an informer; the `--cluster-id` flag stands in only while no honoured Cluster sets one. Listeners
 * hear every change so reconcilers can re-check what they blocked or admitted.
 */
import { clusterIdOf } from "../api/honoured-cluster";
import type { KubeObject } from "../kube/types";
import { ClusterSetting } from "./cluster-setting";
import type { SharedView } from "./informers";

export class ClusterIdentity extends ClusterSetting<string> {
  /** Controllers wait for this view's sync before their first pass, like any watched cache. */
  constructor(view: SharedView<KubeObject>, fallback: string) {
    super(view, (clusters) => clusterIdOf(clusters) || fallback);
  }

  clusterId(): string {
    return this.current();
  }
}
