/**
 * The reflector's store: the last known state of every watched object, by key, with secondary
 * indexes. Objects are stored without managedFields and without kubectl's last-applied-configuration
 * annotation (a copy of the whole object as kubectl applied it): both are large and no decision reads
 * them. Stored objects must be treated as read-only by callers.
 */
import { matchesSelector, parseSelector, type Requirement } from "./labels";
import { objectKey, type KubeObject } from "./types";

/** Index values of one object, e.g. the UIDs of its owners. */
export type IndexFunc<T extends KubeObject> = (object: T) => readonly string[];

export interface StoreChanges<T extends KubeObject> {
  added: T[];
  /** Includes objects whose resourceVersion did not change: a relist is also a resync. */
  updated: Array<{ previous: T; current: T }>;
  deleted: T[];
}

export interface ListFilter {
  namespace?: string;
  /** String form (`a=b,c in (x)`) or pre-parsed requirements. */
  labelSelector?: string | readonly Requirement[];
}

export class Store<T extends KubeObject = KubeObject> {
  readonly #objects = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunc<T>>();
  readonly #indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    for (const [name, indexer] of Object.entries(indexers)) this.addIndex(name, indexer);
  }

  get size(): number {
    return this.#objects.size;
  }

  get(key: string): T | undefined {
    return this.#objects.get(key);
  }

  getByName(name: string, namespace?: string): T | undefined {
    return this.#objects.get(objectKey({ name, namespace }));
  }

  keys(): string[] {
    return [...this.#objects.keys()];
  }

  list(filter: ListFilter = {}): T[] {
    const requirements =
      typeof filter.labelSelector === "string" ? parseSelector(filter.labelSelector) : (filter.labelSelector ?? []);
    const result: T[] = [];
    for (const object of this.#objects.values()) {
      if (filter.namespace !== undefined && object.metadata.namespace !== filter.namespace) continue;
      if (!matchesSelector(object.metadata.labels, requirements)) continue;
      result.push(object);
    }
    return result;
  }

  /** Adds an index and fills it from the objects already stored. */
  addIndex(name: string, indexer: IndexFunc<T>): void {
    if (this.#indexers.has(name)) throw new Error(`index ${name} already exists`);
    this.#indexers.set(name, indexer);
    this.#indexes.set(name, new Map());
    for (const [key, object] of this.#objects) this.#indexOne(name, indexer, key, object);
  }

  byIndex(name: string, value: string): T[] {
    const index = this.#indexes.get(name);
    if (!index) throw new Error(`no index named ${name}`);
    const keys = index.get(value) ?? new Set<string>();
    return [...keys].map((key) => this.#objects.get(key)).filter((object): object is T => object !== undefined);
  }

  /** Inserts or replaces; returns the previous version. */
  upsert(object: T): T | undefined {
    const stored = withoutUnreadMetadata(object);
    const key = objectKey(stored.metadata);
    const previous = this.#objects.get(key);
    if (previous) this.#unindex(key, previous);
    this.#objects.set(key, stored);
    for (const [name, indexer] of this.#indexers) this.#indexOne(name, indexer, key, stored);
    return previous;
  }

  /** Removes by object or key; returns what was stored. */
  remove(objectOrKey: T | string): T | undefined {
    const key = typeof objectOrKey === "string" ? objectOrKey : objectKey(objectOrKey.metadata);
    const previous = this.#objects.get(key);
    if (!previous) return undefined;
    this.#unindex(key, previous);
    this.#objects.delete(key);
    return previous;
  }

  /** Swaps in the result of a full list: objects absent from it are reported as deleted. */
  replace(objects: readonly T[]): StoreChanges<T> {
    const changes: StoreChanges<T> = { added: [], updated: [], deleted: [] };
    const seen = new Set<string>();
    for (const object of objects) {
      const key = objectKey(object.metadata);
      seen.add(key);
      const previous = this.upsert(object);
      const current = this.#objects.get(key)!;
      if (previous) changes.updated.push({ previous, current });
      else changes.added.push(current);
    }
    for (const key of this.keys()) {
      if (seen.has(key)) continue;
      const removed = this.remove(key);
      if (removed) changes.deleted.push(removed);
    }
    return changes;
  }

  #indexOne(name: string, indexer: IndexFunc<T>, key: string, object: T): void {
    const index = this.#indexes.get(name)!;
    for (const value of indexer(object)) {
      let keys = index.get(value);
      if (!keys) index.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  #unindex(key: string, object: T): void {
    for (const [name, indexer] of this.#indexers) {
      const index = this.#indexes.get(name)!;
      for (const value of indexer(object)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

/** Index function: UIDs of every owner. */
export function byOwnerUid<T extends KubeObject>(object: T): string[] {
  return (object.metadata.ownerReferences ?? []).map((owner) => owner.uid);
}

/** Index function: UID of the controller owner only. */
export function byControllerUid<T extends KubeObject>(object: T): string[] {
  const controller = object.metadata.ownerReferences?.find((owner) => owner.controller === true);
  return controller ? [controller.uid] : [];
}

/** Index function factory: the value of one label. */
export function byLabel<T extends KubeObject>(label: string): IndexFunc<T> {
  return (object) => {
    const value = object.metadata.labels?.[label];
    return value === undefined ? [] : [value];
  };
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

export function withoutUnreadMetadata<T extends KubeObject>(object: T): T {
  const { managedFields, annotations } = object.metadata;
  const lastApplied = annotations !== undefined && LAST_APPLIED in annotations;
  if (managedFields === undefined && !lastApplied) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  if (lastApplied) {
    const { [LAST_APPLIED]: _copy, ...kept } = annotations;
    metadata.annotations = kept;
  }
  return { ...object, metadata };
}
