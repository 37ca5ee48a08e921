/**
 * Shared informers: one watch per (resource, namespace, label selector), however many controllers
 * read it. Scoped operators (tests, `--watch-namespaces`) get one informer per namespace behind one view.
 */
import { CrdPresence, crdName } from "../kube/crd-presence";
import { Informer } from "../kube/informer";
import type { KubeClient } from "../kube/client";
import type { Clock } from "../kube/clock";
import type { EventHandlers } from "../kube/informer";
import type { KubeObject, ResourceType } from "../kube/types";
import type { Logger } from "../observability/logger";
import type { OperatorMetrics } from "../observability/metrics";

export interface WatchRequest {
  type: ResourceType;
  labelSelector?: string;
  /** Pins a namespaced type to one namespace (e.g. the operator's own), whatever the watch scope. */
  namespace?: string;
  /** Cache only metadata (PartialObjectMetadata): for readers of labels, annotations and owners. */
  metadataOnly?: boolean;
}

/** Read access to every informer behind one watch request, plus handler registration. */
export class SharedView<T extends KubeObject = KubeObject> {
  constructor(readonly type: ResourceType, private readonly informers: Informer<T>[]) {}

  get(key: string): T | undefined {
    for (const informer of this.informers) {
      const found = informer.store.get(key);
      if (found) return found;
    }
    return undefined;
  }

  list(namespace?: string): T[] {
    return this.informers.flatMap((informer) => informer.store.list(namespace === undefined ? {} : { namespace }));
  }

  byIndex(name: string, value: string): T[] {
    return this.informers.flatMap((informer) => informer.store.byIndex(name, value));
  }

  addIndex(name: string, indexer: (object: T) => readonly string[]): void {
    for (const informer of this.informers) informer.store.addIndex(name, indexer);
  }

  addHandlers(handlers: EventHandlers<T>): void {
    for (const informer of this.informers) informer.addHandlers(handlers);
  }

  hasSynced(): boolean {
    return this.informers.every((informer) => informer.hasSynced());
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.waitForSync(signal)));
  }
}

export interface InformerFactoryOptions {
  client: KubeClient;
  /** Namespaces to watch namespaced types in; empty means all. */
  namespaces: string[];
  resyncMs: number;
  clock?: Clock;
  logger: Logger;
  metrics: OperatorMetrics;
}

export class InformerFactory {
  readonly #views = new Map<string, SharedView>();
  readonly #informers: Informer[] = [];
  #signal: AbortSignal | undefined;
  #crds: CrdPresence | undefined;

  constructor(private readonly options: InformerFactoryOptions) {}

  for<T extends KubeObject>(request: WatchRequest): SharedView<T> {
    const id = `${request.type.group}/${request.type.version}/${request.type.plural}?${request.labelSelector ?? ""}@${request.namespace ?? ""}${request.metadataOnly ? "#metadata" : ""}`;
    let view = this.#views.get(id);
    if (!view) {
      view = new SharedView(request.type, this.#create(request));
      this.#views.set(id, view);
    }
    return view as unknown as SharedView<T>;
  }

  /** Starts every informer made so far and any made later. */
  start(signal: AbortSignal): void {
    this.#signal = signal;
    const { client, logger, clock, resyncMs } = this.options;
    this.#crds = new CrdPresence({ api: client, signal, logger, resyncMs, ...(clock ? { clock } : {}) });
    for (const informer of this.#informers) informer.start(signal);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#informers.map((informer) => informer.stop()), this.#crds?.stop()]);
  }

  #create(request: WatchRequest): Informer[] {
    const { type } = request;
    const scopes: Array<string | undefined> = !type.namespaced ? [undefined] : request.namespace ? [request.namespace] : this.options.namespaces.length > 0 ? this.options.namespaces : [undefined];
    const informers = scopes.map(
      (namespace) =>
        new Informer({
          api: this.options.client,
          type,
          logger: this.options.logger,
          watcher: {
            ...(namespace ? { namespace } : {}),
            ...(request.labelSelector ? { labelSelector: request.labelSelector } : {}),
            ...(request.metadataOnly ? { metadataOnly: true } : {}),
            // Only a CRD serves a dotted group that can be absent; built-in groups never answer a list with 404.
            ...(type.group.includes(".") ? { untilServed: (signal: AbortSignal) => this.#crds?.untilPresent(crdName(type), signal) ?? Promise.resolve(false) } : {}),
            resyncMs: this.options.resyncMs,
            ...(this.options.clock ? { clock: this.options.clock } : {}),
            observer: {
              onRestart: (reason) => this.options.metrics.watchRestarts.inc({ resource: type.plural, reason }),
            },
          },
        }),
    );
    this.#informers.push(...informers);
    if (this.#signal) for (const informer of informers) informer.start(this.#signal);
    return informers;
  }
}
