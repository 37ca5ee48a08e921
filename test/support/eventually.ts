/**
 * Polls until a condition holds (docs/development.md#how-the-tests-are-wired). The deadline is a generous failure bound, never
 * an assertion about speed; VWS_EVENTUALLY_SCALE stretches every deadline on slow machines.
 */

export interface EventuallyOptions {
  /** Named in the failure message: "<what> not satisfied after Ns". */
  what: string;
  timeoutMs?: number;
  /** First poll interval; it grows to 1 s. */
  intervalMs?: number;
}

const MAX_INTERVAL_MS = 1_000;

export function eventuallyScale(): number {
  const scale = Number(process.env.VWS_EVENTUALLY_SCALE ?? "1");
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/**
 * Retries `probe` until it returns a truthy value (which is returned) without throwing. On
 * timeout the error names `what` and carries the last error or value seen.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  { what, timeoutMs = 60_000, intervalMs = 200 }: EventuallyOptions,
): Promise<NonNullable<T>> {
  const budgetMs = timeoutMs * eventuallyScale();
  const deadline = performance.now() + budgetMs;
  let interval = intervalMs;
  let last: { error: unknown } | { value: unknown } = { value: undefined };
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) throw timeoutError(what, budgetMs, last);
    await Bun.sleep(Math.min(interval, remaining));
    interval = Math.min(MAX_INTERVAL_MS, interval * 2);
  }
}

function timeoutError(what: string, budgetMs: number, last: { error: unknown } | { value: unknown }): Error {
  const seconds = Math.round(budgetMs / 1000);
  const detail = "error" in last ? `last error: ${describe(last.error)}` : `last value: ${describe(last.value)}`;
  return new Error(`${what} not satisfied after ${seconds}s (${detail})`, "error" in last ? { cause: last.error } : undefined);
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
