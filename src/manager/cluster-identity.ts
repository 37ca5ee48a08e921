/**
 * The operator's cluster id (docs/concepts.md#cluster-identity): `spec.clusterId` of the honoured Cluster object, followed live
 * from an informer; the `--cluster-id` flag stands in only while no honoured Cluster sets one. Listeners
 * hear every change so reconcilers can re-check what they blocked or admitted.
 */
import { clusterIdOf } from "../api/honoured-cluster";
import type { KubeObject } from "../kube/types";
import type { SharedView } from "./informers";

export class ClusterIdentity {
  readonly #listeners = new Set<(clusterId: string) => void>();
  #clusterId: string;

  /** Controllers wait for this view's sync before their first pass, like any watched cache. */
  constructor(readonly view: SharedView<KubeObject>, private readonly fallback: string) {
    this.#clusterId = fallback;
    const refresh = () => this.#refresh();
    view.addHandlers({ add: refresh, update: refresh, delete: refresh });
  }

  clusterId(): string {
    return this.#clusterId;
  }

  onChange(listener: (clusterId: string) => void): void {
    this.#listeners.add(listener);
  }

  #refresh(): void {
    const next = clusterIdOf(this.view.list()) || this.fallback;
    if (next === this.#clusterId) return;
    this.#clusterId = next;
    for (const listener of this.#listeners) listener(next);
  }
}
