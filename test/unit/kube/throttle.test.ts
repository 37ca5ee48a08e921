import { describe, expect, test } from "bun:test";
import { MAX_THROTTLE_RETRIES, throttleDelayMs } from "../../../src/kube/throttle";

describe("throttleDelayMs (client-go's Retry-After rule)", () => {
  test("429 waits the header's seconds, else the Status' retryAfterSeconds, else 1 s", () => {
    expect(throttleDelayMs(429, "3", undefined, 0)).toBe(3_000);
    expect(throttleDelayMs(429, null, 2, 0)).toBe(2_000);
    expect(throttleDelayMs(429, null, undefined, 0)).toBe(1_000);
    expect(throttleDelayMs(429, "soon", undefined, 0)).toBe(1_000);
  });

  test("a 5xx is retried only when the server says when", () => {
    expect(throttleDelayMs(503, "1", undefined, 0)).toBe(1_000);
    expect(throttleDelayMs(500, null, 4, 0)).toBe(4_000);
    expect(throttleDelayMs(503, null, undefined, 0)).toBeUndefined();
  });

  test("other answers are final", () => {
    for (const status of [400, 403, 404, 409, 410, 422]) expect(throttleDelayMs(status, "1", 1, 0)).toBeUndefined();
  });

  test("waits are capped and attempts bounded", () => {
    expect(throttleDelayMs(429, "600", undefined, 0)).toBe(10_000);
    expect(throttleDelayMs(429, "1", undefined, MAX_THROTTLE_RETRIES - 1)).toBe(1_000);
    expect(throttleDelayMs(429, "1", undefined, MAX_THROTTLE_RETRIES)).toBeUndefined();
  });
});
