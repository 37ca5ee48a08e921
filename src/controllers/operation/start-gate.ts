/**
 * In-process serialization of start decisions per target (docs/operations.md#concurrency): one decision at a time for
 * each (namespace, target), and an Operation that was just started counts as Running for its siblings
 * before its status write reaches the cache.
 */
import type { OperationType } from "../../api/operation";

export class StartGate {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #started = new Map<string, Map<string, OperationType>>();

  /** Runs `decide` after every earlier decision for `target` has finished. */
  async serialize<T>(target: string, decide: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(target) ?? Promise.resolve();
    let release!: () => void;
    const tail = new Promise<void>((resolve) => (release = resolve));
    this.#tails.set(target, tail);
    await previous;
    try {
      return await decide();
    } finally {
      release();
      if (this.#tails.get(target) === tail) this.#tails.delete(target);
    }
  }

  markStarted(target: string, name: string, type: OperationType): void {
    let started = this.#started.get(target);
    if (!started) this.#started.set(target, (started = new Map()));
    started.set(name, type);
  }

  /** Once the cache shows the Operation Running, terminal or gone, the mark is no longer needed. */
  forget(target: string, name: string): void {
    const started = this.#started.get(target);
    if (!started?.delete(name)) return;
    if (started.size === 0) this.#started.delete(target);
  }

  started(target: string): ReadonlyMap<string, OperationType> {
    return this.#started.get(target) ?? new Map();
  }
}

export function targetKey(namespace: string, targetName: string): string {
  return `${namespace}/${targetName}`;
}
