/**
 * Retry timing of every agent loop (docs/connectivity.md#backoff): full-jitter exponential backoff per loop, and the
 * server's `Retry-After` (delta-seconds or HTTP-date) clamped to 1 s–15 min.
 */
import { Backoff } from "../../kube/backoff";

const RETRY_AFTER_MIN_MS = 1_000;
const RETRY_AFTER_MAX_MS = 15 * 60_000;

/** Delay after the n-th consecutive failure: uniform(0, min(300 s, 1 s × 2^(n−1))). */
export function fullJitterBackoff(random: () => number = Math.random): Backoff {
  return new Backoff({ initialMs: 1_000, maxMs: 300_000, factor: 2, jitter: 1 }, random);
}

/** Milliseconds to wait, or undefined when the header is absent or unparseable (the caller backs off). */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  let delay: number;
  if (/^\d+$/.test(trimmed)) delay = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    delay = at - now;
  }
  return Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, delay));
}
