/**
 * What this process last server-side-applied to each object, so a reconcile pass can skip an apply that
 * would change nothing. An apply is skipped only when the desired body is byte-for-byte the one applied
 * last and the cached object still shows that apply: the same uid and generation (any spec edit, by
 * anyone, bumps the generation) and our labels, annotations and owner references intact (metadata edits
 * do not). After a restart the memo is empty, so the first pass applies everything once.
 */
import { containsFields } from "./equality";
import { objectKey, type KubeObject, type ResourceType } from "./types";

interface AppliedEntry {
  digest: bigint;
  uid: string;
  generation: number;
}

export class AppliedObjects {
  readonly #entries = new Map<string, AppliedEntry>();

  /** Remembers `applied`, the server's answer to applying `desired`. */
  record(type: ResourceType, desired: KubeObject, applied: KubeObject): void {
    const { uid, generation } = applied.metadata;
    if (uid === undefined || generation === undefined) return;
    this.#entries.set(keyOf(type, desired), { digest: digestOf(desired), uid, generation });
  }

  /** True when applying `desired` again would not change `cached`, the informer's copy of the object. */
  isCurrent(type: ResourceType, desired: KubeObject, cached: KubeObject | undefined): boolean {
    const entry = this.#entries.get(keyOf(type, desired));
    if (!entry || !cached) return false;
    const { uid, generation } = cached.metadata;
    if (uid !== entry.uid || generation !== entry.generation) return false;
    if (entry.digest !== digestOf(desired)) return false;
    const { labels, annotations, ownerReferences } = desired.metadata;
    return containsFields(cached.metadata, { labels, annotations, ownerReferences });
  }

  /**
   * When `desired` is exactly what was applied last and the cache does not hold the object yet (our own
   * apply has not come back through the watch), the object as that apply left it as far as this memo
   * knows: the desired body at the uid and generation the server gave it, with no status. A delete seen
   * since then would have been forgotten.
   */
  appliedNotCached(type: ResourceType, desired: KubeObject, cached: KubeObject | undefined): KubeObject | undefined {
    if (cached) return undefined;
    const entry = this.#entries.get(keyOf(type, desired));
    if (entry?.digest !== digestOf(desired)) return undefined;
    return { ...desired, metadata: { ...desired.metadata, uid: entry.uid, generation: entry.generation } };
  }

  /** A deleted object's entry goes; a late delete of an older incarnation leaves the newer one's entry. */
  forget(type: ResourceType, object: Pick<KubeObject, "metadata">): void {
    const key = keyOf(type, object);
    const uid = object.metadata.uid;
    if (uid !== undefined && this.#entries.get(key)?.uid !== uid) return;
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}

function keyOf(type: ResourceType, object: Pick<KubeObject, "metadata">): string {
  return `${type.group}/${type.plural}/${objectKey(object.metadata)}`;
}

/** Bodies are built by our own code with a fixed key order, so their JSON is a stable fingerprint. */
function digestOf(desired: KubeObject): bigint {
  return BigInt(Bun.hash(JSON.stringify(desired)));
}
