/** Jittered exponential backoff for retry loops (watch restarts, leader election, event writes). */

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Growth per attempt; 2 when omitted. */
  factor?: number;
  /** Fraction of the delay randomised away (0..1), so restarting clients do not move in lockstep. */
  jitter?: number;
}

export class Backoff {
  #attempt = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {
    if (policy.initialMs <= 0 || policy.maxMs < policy.initialMs) {
      throw new RangeError(`invalid backoff policy: initialMs=${policy.initialMs} maxMs=${policy.maxMs}`);
    }
  }

  get attempts(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; grows until `maxMs`. */
  next(): number {
    const { initialMs, maxMs, factor = 2, jitter = 0.2 } = this.policy;
    const base = Math.min(maxMs, initialMs * factor ** this.#attempt);
    this.#attempt += 1;
    return Math.round(base * (1 - jitter * this.random()));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
