/**
 * When the API server refuses a request for now (429, or a 5xx that says when to come back), the
 * request was not processed and is retried after the server's Retry-After, as client-go does. A cold
 * watch cache after a restart or a new CRD answers 429 "storage is (re)initializing" for a second or two.
 */

/** client-go retries up to 10 times; fewer here, each wait bounded, so a caller's deadline still rules. */
export const MAX_THROTTLE_RETRIES = 5;
const MAX_WAIT_MS = 10_000;

/**
 * Milliseconds to wait before retrying attempt `attempt` (0-based), or undefined when the answer is final.
 * `retryAfterHeader` is the Retry-After header (seconds); `detailSeconds` the Status' retryAfterSeconds.
 */
export function throttleDelayMs(status: number, retryAfterHeader: string | null, detailSeconds: number | undefined, attempt: number): number | undefined {
  if (attempt >= MAX_THROTTLE_RETRIES) return undefined;
  const seconds = parseSeconds(retryAfterHeader) ?? (detailSeconds !== undefined && detailSeconds > 0 ? detailSeconds : undefined);
  if (status === 429) return Math.min(MAX_WAIT_MS, (seconds ?? 1) * 1_000);
  if (status >= 500 && status <= 599 && seconds !== undefined) return Math.min(MAX_WAIT_MS, seconds * 1_000);
  return undefined;
}

function parseSeconds(header: string | null): number | undefined {
  if (header === null || !/^\s*\d+\s*$/.test(header)) return undefined;
  const seconds = Number(header);
  return seconds > 0 ? seconds : undefined;
}
