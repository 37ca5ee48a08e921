/** Wakes long polls when a job is enqueued for their cluster: event-driven, no sleep loop. */

export class JobSignal {
  #waiters = new Map<string, Set<() => void>>();

  /** Resolves on the next `notify(clusterId)`, after `timeoutMs`, or when `abort` fires, whichever comes first. */
  wait(clusterId: string, timeoutMs: number, abort: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(clusterId) ?? new Set<() => void>();
      this.#waiters.set(clusterId, waiters);
      const done = () => {
        clearTimeout(timer);
        abort.removeEventListener("abort", done);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiters.get(clusterId) === waiters) this.#waiters.delete(clusterId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      abort.addEventListener("abort", done, { once: true });
      waiters.add(done);
    });
  }

  notify(clusterId: string): void {
    for (const wake of [...(this.#waiters.get(clusterId) ?? [])]) wake();
  }

  /** Releases every waiter (shutdown). */
  releaseAll(): void {
    for (const waiters of [...this.#waiters.values()]) for (const wake of [...waiters]) wake();
  }
}
