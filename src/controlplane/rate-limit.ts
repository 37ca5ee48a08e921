/** Token-bucket rate limiting per bearer token (docs/connectivity.md#the-reference-control-plane `--rate-limit`: N req/s with a burst of 2N). */

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter {
  #buckets = new Map<string, Bucket>();
  readonly #burst: number;

  constructor(private readonly perSecond: number) {
    this.#burst = perSecond * 2;
  }

  /** True when the request may proceed; `key` is the token hash, never the token. */
  allow(key: string, now: number): boolean {
    if (this.perSecond <= 0) return true;
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, updatedAt: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.perSecond);
    bucket.updatedAt = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.#buckets.set(key, bucket);
    return allowed;
  }
}
