import { describe, expect, test } from "bun:test";
import { pollWaitSeconds } from "../../../src/agent/config";
import { fullJitterBackoff, retryAfterMs } from "../../../src/agent/transport/retry";

describe("full-jitter backoff (docs/connectivity.md#backoff)", () => {
  test("the n-th delay is uniform in (0, min(300 s, 2^(n−1) s)]", () => {
    const highest = fullJitterBackoff(() => 0);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(() => highest.next())).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000]);
    const lowest = fullJitterBackoff(() => 0.999999);
    expect(lowest.next()).toBeLessThanOrEqual(1);
    const reset = fullJitterBackoff(() => 0);
    reset.next();
    reset.next();
    reset.reset();
    expect(reset.next()).toBe(1_000);
  });
});

describe("Retry-After", () => {
  const now = Date.parse("2026-11-22T08:00:00Z");
  test("delta-seconds and HTTP-date, clamped to 1 s–15 min", () => {
    expect(retryAfterMs("7", now)).toBe(7_000);
    expect(retryAfterMs("0", now)).toBe(1_000);
    expect(retryAfterMs("100000", now)).toBe(900_000);
    expect(retryAfterMs("Sun, 22 Nov 2026 08:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("Sun, 22 Nov 2026 07:00:00 GMT", now)).toBe(1_000);
  });
  test("absent or unparseable headers leave the caller to back off", () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs("", now)).toBeUndefined();
    expect(retryAfterMs("soon", now)).toBeUndefined();
  });
});

describe("poll wait (docs/connectivity.md#endpoints)", () => {
  test("whole seconds of the poll interval, clamped to 1–240", () => {
    expect(pollWaitSeconds(30_000)).toBe(30);
    expect(pollWaitSeconds(2_500)).toBe(2);
    expect(pollWaitSeconds(100)).toBe(1);
    expect(pollWaitSeconds(600_000)).toBe(240);
  });
});
