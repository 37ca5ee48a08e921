/**
 * Gate state from a Namespace informer: `isGated(name)` for reconcilers, `onChange` so a label change
 * re-enqueues everything in that namespace, and the managed-namespaces gauge. Reads only; the operator
 * never creates or labels a Namespace. Namespaces are cached as metadata only.
 */
import { isGatedNamespace, NAMESPACE_TYPE } from "../api/gate";
import type { KubeObject } from "../kube/types";
import type { OperatorMetrics } from "../observability/metrics";
import type { InformerFactory, SharedView } from "./informers";

export class NamespaceGate {
  readonly view: SharedView<KubeObject>;
  readonly #gated = new Set<string>();
  readonly #listeners = new Set<(namespace: string) => void>();

  constructor(informers: InformerFactory, private readonly metrics: OperatorMetrics) {
    // Every reader needs labels, annotations or deletionTimestamp only.
    this.view = informers.for<KubeObject>({ type: NAMESPACE_TYPE, metadataOnly: true });
    this.view.addHandlers({
      add: (namespace) => this.#observe(namespace),
      update: (_previous, current) => this.#observe(current),
      delete: (namespace) => this.#forget(namespace.metadata.name),
    });
  }

  isGated(namespace: string): boolean {
    return this.#gated.has(namespace);
  }

  /** The namespace's labels as last observed; undefined when it is unknown. */
  labels(namespace: string): Readonly<Record<string, string>> | undefined {
    return this.view.get(namespace)?.metadata.labels;
  }

  /** Called with a namespace name whenever its gate state flips. */
  onChange(listener: (namespace: string) => void): void {
    this.#listeners.add(listener);
  }

  #observe(namespace: KubeObject): void {
    const name = namespace.metadata.name;
    const gated = isGatedNamespace(namespace.metadata.labels);
    if (gated === this.#gated.has(name)) return;
    if (gated) this.#gated.add(name);
    else this.#gated.delete(name);
    this.#changed(name);
  }

  #forget(name: string): void {
    if (this.#gated.delete(name)) this.#changed(name);
  }

  #changed(name: string): void {
    this.metrics.managedNamespaces.set(this.#gated.size);
    for (const listener of this.#listeners) listener(name);
  }
}
