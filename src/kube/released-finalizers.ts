/**
 * Objects whose finalizer this process has just removed, so a pass that runs before the informer has seen the
 * deletion does not patch the object again: its cached copy still carries the finalizer, and a second
 * removal can only fail (404 once the object is gone, 409 before). An entry holds the resourceVersion the
 * removal was made against; a cached copy at exactly that version is the stale one. The informer's delete
 * event forgets the entry.
 */
import type { KubeObject } from "./types";

export class ReleasedFinalizers {
  readonly #versions = new Map<string, string>();

  /** Remembers that `object`, as read before the removal, has had its finalizer removed. */
  record(object: KubeObject): void {
    const { uid, resourceVersion } = object.metadata;
    if (uid && resourceVersion) this.#versions.set(uid, resourceVersion);
  }

  /** True when `cached` is the copy the finalizer was removed from, i.e. the cache has not caught up yet. */
  isStale(cached: KubeObject): boolean {
    const { uid, resourceVersion } = cached.metadata;
    return uid !== undefined && resourceVersion !== undefined && this.#versions.get(uid) === resourceVersion;
  }

  forget(object: Pick<KubeObject, "metadata">): void {
    if (object.metadata.uid) this.#versions.delete(object.metadata.uid);
  }

  get size(): number {
    return this.#versions.size;
  }
}
