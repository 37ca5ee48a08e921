/**
 * Rate limiters for work-queue retries, with client-go's semantics: the delay of a failed key is
 * the maximum of its own exponential backoff and a global token bucket's reservation.
 */
import type { Clock } from "./clock";

export interface RateLimiter<K> {
  /** Delay before `key` may be retried; records one more failure. */
  when(key: K): number;
  /** Clears the failure history of `key` (after a success). */
  forget(key: K): void;
  retries(key: K): number;
}

export interface ExponentialOptions {
  baseMs: number;
  maxMs: number;
}

/** base · 2^failures, capped; per key. */
export class ItemExponentialRateLimiter<K> implements RateLimiter<K> {
  readonly #failures = new Map<K, number>();

  constructor(private readonly options: ExponentialOptions) {
    if (options.baseMs <= 0 || options.maxMs < options.baseMs) {
      throw new RangeError(`invalid backoff: baseMs=${options.baseMs} maxMs=${options.maxMs}`);
    }
  }

  when(key: K): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // Cap the exponent before computing, so a key failing for days cannot overflow to Infinity.
    const exponent = Math.min(failures, 62);
    return Math.min(this.options.maxMs, this.options.baseMs * 2 ** exponent);
  }

  forget(key: K): void {
    this.#failures.delete(key);
  }

  retries(key: K): number {
    return this.#failures.get(key) ?? 0;
  }
}

export interface TokenBucketOptions {
  /** Tokens added per second. */
  qps: number;
  /** Bucket size: how many retries may happen at once. */
  burst: number;
}

/** A global bucket: every retry reserves a token; a negative balance becomes a delay. */
export class TokenBucketRateLimiter<K> implements RateLimiter<K> {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private readonly options: TokenBucketOptions,
    private readonly clock: Clock,
  ) {
    if (options.qps <= 0 || options.burst < 1) {
      throw new RangeError(`invalid token bucket: qps=${options.qps} burst=${options.burst}`);
    }
    this.#tokens = options.burst;
    this.#updatedAt = clock.now();
  }

  when(_key: K): number {
    const now = this.clock.now();
    const refill = ((now - this.#updatedAt) / 1000) * this.options.qps;
    this.#tokens = Math.min(this.options.burst, this.#tokens + refill) - 1;
    this.#updatedAt = now;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.options.qps) * 1000);
  }

  forget(_key: K): void {}

  retries(_key: K): number {
    return 0;
  }
}

export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  readonly #limiters: ReadonlyArray<RateLimiter<K>>;

  constructor(...limiters: Array<RateLimiter<K>>) {
    this.#limiters = limiters;
  }

  when(key: K): number {
    return Math.max(0, ...this.#limiters.map((limiter) => limiter.when(key)));
  }

  forget(key: K): void {
    for (const limiter of this.#limiters) limiter.forget(key);
  }

  retries(key: K): number {
    return Math.max(0, ...this.#limiters.map((limiter) => limiter.retries(key)));
  }
}

export interface ControllerRateLimitOptions {
  baseMs?: number;
  maxMs?: number;
  qps?: number;
  burst?: number;
}

/** Defaults of docs/applications.md#watches-and-writes: per-key 1 s → 5 min, globally 10 retries/s with a burst of 100. */
export function controllerRateLimiter<K>(clock: Clock, options: ControllerRateLimitOptions = {}): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ItemExponentialRateLimiter({ baseMs: options.baseMs ?? 1_000, maxMs: options.maxMs ?? 300_000 }),
    new TokenBucketRateLimiter({ qps: options.qps ?? 10, burst: options.burst ?? 100 }, clock),
  );
}
