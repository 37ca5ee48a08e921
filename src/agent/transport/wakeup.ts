/** A resettable wake-up for loops that sleep until work arrives, a deadline passes or they are stopped. */
export class Wakeup {
  #resolve: (() => void) | undefined;
  #pending = false;

  notify(): void {
    this.#pending = true;
    this.#resolve?.();
  }

  /** Resolves on the next notify (or one that came since the last wait), after `timeoutMs`, or on abort. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.#pending || signal.aborted) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", finish);
        this.#resolve = undefined;
        this.#pending = false;
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, timeoutMs));
      signal.addEventListener("abort", finish, { once: true });
      this.#resolve = finish;
    });
  }
}

/** Sleeps `ms`, or less when `signal` aborts; never throws. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      resolve();
    };
    const timer = setTimeout(finish, Math.max(0, ms));
    signal.addEventListener("abort", finish, { once: true });
  });
}
