/**
 * Informer: a watcher feeding a store (the reflector) and notifying handlers of each change.
 * Handlers run synchronously after the store is updated, so a handler sees its event's state in
 * the store; they should only enqueue keys. A throwing handler is logged and never stops the loop.
 */
import type { Logger } from "../observability/logger";
import { Store, type StoreChanges } from "./cache";
import { objectKey, type KubeObject, type ResourceType } from "./types";
import { Watcher, type WatchApi, type WatcherEvent, type WatcherOptions, type WatcherStats } from "./watch";

export interface EventHandlers<T extends KubeObject> {
  add?(object: T): void;
  /** Also called for unchanged objects after a relist (resync), with equal resourceVersions. */
  update?(previous: T, current: T): void;
  delete?(object: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  api: WatchApi;
  type: ResourceType;
  watcher?: Omit<WatcherOptions, "logger">;
  store?: Store<T>;
  logger?: Logger;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly store: Store<T>;
  readonly type: ResourceType;
  readonly #watcher: Watcher<T>;
  readonly #handlers = new Set<EventHandlers<T>>();
  readonly #logger: Logger | undefined;
  #synced = false;
  #syncWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  #controller: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: InformerOptions<T>) {
    this.type = options.type;
    this.store = options.store ?? new Store<T>();
    this.#logger = options.logger?.child({ resource: options.type.plural });
    this.#watcher = new Watcher<T>(options.api, options.type, { ...options.watcher, logger: this.#logger });
  }

  get stats(): WatcherStats {
    return this.#watcher.stats;
  }

  /** Registers handlers; returns the function that removes them. */
  addHandlers(handlers: EventHandlers<T>): () => void {
    this.#handlers.add(handlers);
    return () => this.#handlers.delete(handlers);
  }

  /** Starts the loop in the background; stops when `signal` aborts or `stop()` is called. */
  start(signal?: AbortSignal): void {
    if (this.#loop) throw new Error(`informer for ${this.type.plural} already started`);
    this.#controller = new AbortController();
    const stopSignal = signal ? AbortSignal.any([signal, this.#controller.signal]) : this.#controller.signal;
    this.#loop = this.#run(stopSignal);
  }

  /** Resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.#controller?.abort();
    await this.#loop;
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves after the first full list reached the store; rejects if the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.#syncWaiters.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          this.#syncWaiters = this.#syncWaiters.filter((other) => other !== waiter);
          reject(new Error(`waiting for ${this.type.plural} informer sync aborted`));
        },
        { once: true },
      );
    });
  }

  async #run(signal: AbortSignal): Promise<void> {
    try {
      for await (const event of this.#watcher.events(signal)) this.#apply(event);
    } catch (err) {
      // The watcher does not throw for API errors: reaching this is a bug, so make it loud.
      this.#logger?.error({ err }, "informer loop crashed");
    } finally {
      for (const waiter of this.#syncWaiters) waiter.reject(new Error(`${this.type.plural} informer stopped before sync`));
      this.#syncWaiters = [];
      this.#loop = undefined;
    }
  }

  #apply(event: WatcherEvent<T>): void {
    switch (event.type) {
      case "restarted":
        this.#notifyRelist(this.store.replace(event.objects));
        this.#markSynced();
        return;
      case "applied": {
        const previous = this.store.upsert(event.object);
        const current = this.store.get(objectKey(event.object.metadata))!;
        this.#notify((handlers) => (previous ? handlers.update?.(previous, current) : handlers.add?.(current)));
        return;
      }
      case "deleted": {
        const removed = this.store.remove(event.object) ?? event.object;
        this.#notify((handlers) => handlers.delete?.(removed));
        return;
      }
    }
  }

  #notifyRelist(changes: StoreChanges<T>): void {
    for (const object of changes.deleted) this.#notify((handlers) => handlers.delete?.(object));
    for (const object of changes.added) this.#notify((handlers) => handlers.add?.(object));
    for (const { previous, current } of changes.updated) this.#notify((handlers) => handlers.update?.(previous, current));
  }

  #notify(call: (handlers: EventHandlers<T>) => void): void {
    for (const handlers of this.#handlers) {
      try {
        call(handlers);
      } catch (err) {
        this.#logger?.error({ err }, "informer event handler threw");
      }
    }
  }

  #markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    for (const waiter of this.#syncWaiters) waiter.resolve();
    this.#syncWaiters = [];
  }
}
