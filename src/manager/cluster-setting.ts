/**
 * A setting the honoured Cluster object decides (its cluster id, whether committed HelmReleases are
 * authoritative, ...), followed live from the Clusters informer. Listeners hear each change of the value,
 * so controllers can re-check what the old value made them do.
 */
import type { KubeObject } from "../kube/types";
import type { SharedView } from "./informers";

export class ClusterSetting<T> {
  readonly #listeners = new Set<(value: T) => void>();
  #value: T;

  constructor(
    readonly view: SharedView<KubeObject>,
    private readonly derive: (clusters: readonly KubeObject[]) => T,
  ) {
    this.#value = derive(view.list());
    const refresh = () => this.#refresh();
    view.addHandlers({ add: refresh, update: refresh, delete: refresh });
  }

  current(): T {
    return this.#value;
  }

  onChange(listener: (value: T) => void): void {
    this.#listeners.add(listener);
  }

  #refresh(): void {
    const next = this.derive(this.view.list());
    if (next === this.#value) return;
    this.#value = next;
    for (const listener of this.#listeners) listener(next);
  }
}
