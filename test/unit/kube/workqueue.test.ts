import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../src/kube/clock";
import {
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
  controllerRateLimiter,
} from "../../../src/kube/ratelimit";
import { WorkQueue } from "../../../src/kube/workqueue";
import { deferred, settle } from "./helpers";

function queue(clock = new ManualClock(), baseMs = 1_000, maxMs = 300_000) {
  return new WorkQueue<string>({
    clock,
    rateLimiter: new ItemExponentialRateLimiter<string>({ baseMs, maxMs }),
  });
}

describe("WorkQueue: dedupe and ordering", () => {
  test("a key added several times is queued once, in first-add order", async () => {
    const q = queue();
    q.add("a");
    q.add("b");
    q.add("a");
    expect(q.length).toBe(2);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
  });

  test("a key re-added while processing is held back until done, then queued once", async () => {
    const q = queue();
    q.add("a");
    const key = await q.get();
    q.add("a");
    q.add("a");
    expect(q.length).toBe(0);
    q.done(key!);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe("a");
  });

  test("a key released without re-add is not queued again", async () => {
    const q = queue();
    q.add("a");
    q.done((await q.get())!);
    expect(q.length).toBe(0);
  });
});

describe("WorkQueue: workers", () => {
  test("one key is never processed by two workers at once; distinct keys run in parallel", async () => {
    const q = queue();
    const running = new Map<string, number>();
    let maxSameKey = 0;
    let maxParallel = 0;
    const gates = [deferred(), deferred(), deferred()];
    let calls = 0;
    const run = q.run(4, async (key) => {
      running.set(key, (running.get(key) ?? 0) + 1);
      maxSameKey = Math.max(maxSameKey, running.get(key)!);
      maxParallel = Math.max(maxParallel, [...running.values()].reduce((sum, n) => sum + n, 0));
      const gate = key === "a" ? gates[calls++] : undefined;
      await gate?.promise;
      running.set(key, running.get(key)! - 1);
    });
    q.add("a");
    q.add("b");
    await settle();
    q.add("a"); // arrives while "a" is in flight
    await settle();
    expect(q.processing).toBe(1); // "b" finished, "a" held by one worker only
    gates[0]!.resolve();
    await settle();
    expect(calls).toBe(2); // the re-added "a" ran after the first finished
    gates[1]!.resolve();
    await settle();
    expect(maxSameKey).toBe(1);
    expect(maxParallel).toBe(2);
    await q.shutdown();
    await run;
  });

  test("a failing key is retried with growing backoff, and forgotten after success", async () => {
    const clock = new ManualClock();
    const q = queue(clock, 1_000, 4_000);
    let attempts = 0;
    const run = q.run(1, () => {
      attempts++;
      if (attempts <= 4) throw new Error("boom");
    });
    q.add("k");
    await settle();
    expect(attempts).toBe(1);
    const expectedDelays = [1_000, 2_000, 4_000, 4_000];
    for (const [index, delay] of expectedDelays.entries()) {
      clock.advance(delay - 1);
      await settle();
      expect(attempts).toBe(index + 1);
      clock.advance(1);
      await settle();
      expect(attempts).toBe(index + 2);
    }
    expect(q.retries("k")).toBe(0); // the fifth attempt succeeded
    await q.shutdown();
    await run;
  });

  test("a handler result requeues after the given delay", async () => {
    const clock = new ManualClock();
    const q = queue(clock);
    let attempts = 0;
    const run = q.run(1, () => {
      attempts++;
      return attempts === 1 ? { requeueAfterMs: 30_000 } : undefined;
    });
    q.add("k");
    await settle();
    clock.advance(29_999);
    await settle();
    expect(attempts).toBe(1);
    clock.advance(1);
    await settle();
    expect(attempts).toBe(2);
    await q.shutdown();
    await run;
  });

  test("onError sees each failure with the retry count", async () => {
    const clock = new ManualClock();
    const q = queue(clock);
    const seen: number[] = [];
    const run = q.run(1, () => Promise.reject(new Error("no")), { onError: (_key, _err, retries) => seen.push(retries) });
    q.add("k");
    await settle();
    clock.advance(1_000);
    await settle();
    expect(seen).toEqual([0, 1]);
    await q.shutdown();
    await run;
  });
});

describe("WorkQueue: addAfter", () => {
  test("a delayed key appears only when due", () => {
    const clock = new ManualClock();
    const q = queue(clock);
    q.addAfter("k", 500);
    expect(q.length).toBe(0);
    expect(q.scheduled).toBe(1);
    clock.advance(499);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
    expect(q.scheduled).toBe(0);
  });

  test("the earliest schedule of a key wins; a later one does not postpone it", () => {
    const clock = new ManualClock();
    const q = queue(clock);
    q.addAfter("k", 1_000);
    q.addAfter("k", 200);
    q.addAfter("k", 5_000);
    clock.advance(200);
    expect(q.length).toBe(1);
    clock.advance(10_000);
    expect(q.length).toBe(1); // no second copy from the superseded schedules
  });

  test("keys become due in time order", async () => {
    const clock = new ManualClock();
    const q = queue(clock);
    q.addAfter("late", 300);
    q.addAfter("early", 100);
    q.addAfter("middle", 200);
    clock.advance(300);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(["early", "middle", "late"]);
  });

  test("a non-positive delay adds at once", () => {
    const q = queue();
    q.addAfter("k", 0);
    expect(q.length).toBe(1);
  });
});

describe("WorkQueue: shutdown", () => {
  test("waits for in-flight work, drops queued keys, and ends the workers", async () => {
    const q = queue();
    const gate = deferred();
    const processed: string[] = [];
    const run = q.run(1, async (key) => {
      await gate.promise;
      processed.push(key);
    });
    q.add("a");
    q.add("b");
    await settle();
    const stopped = q.shutdown(60_000);
    q.add("c"); // ignored after shutdown
    gate.resolve();
    expect(await stopped).toBe(true);
    await run;
    expect(processed).toEqual(["a"]);
    expect(await q.get()).toBeUndefined();
  });

  test("past the bound, returns false and aborts the handlers' signal", async () => {
    const clock = new ManualClock();
    const q = queue(clock);
    let signal: AbortSignal | undefined;
    const gate = deferred();
    const run = q.run(1, async (_key, abort) => {
      signal = abort;
      await gate.promise;
    });
    q.add("a");
    await settle();
    const stopped = q.shutdown(5_000);
    clock.advance(5_000);
    expect(await stopped).toBe(false);
    expect(signal?.aborted).toBe(true);
    gate.resolve();
    await run;
  });

  test("idle workers return as soon as the queue shuts down", async () => {
    const q = queue();
    const run = q.run(3, () => undefined);
    expect(await q.shutdown()).toBe(true);
    await run;
  });
});

describe("WorkQueue: metrics hooks", () => {
  test("report adds, retries and depth", async () => {
    const clock = new ManualClock();
    const depths: number[] = [];
    let adds = 0;
    let retries = 0;
    const q = new WorkQueue<string>({
      clock,
      rateLimiter: new ItemExponentialRateLimiter<string>({ baseMs: 10, maxMs: 10 }),
      metrics: { add: () => adds++, retry: () => retries++, depth: (depth) => depths.push(depth) },
    });
    q.add("a");
    q.add("a");
    q.add("b");
    q.addRateLimited("c");
    clock.advance(10);
    expect(adds).toBe(3);
    expect(retries).toBe(1);
    expect(depths.at(-1)).toBe(3);
    await q.get();
    expect(depths.at(-1)).toBe(2);
  });
});

describe("rate limiters", () => {
  test("per-key exponential backoff doubles up to the cap, per key", () => {
    const limiter = new ItemExponentialRateLimiter<string>({ baseMs: 1_000, maxMs: 300_000 });
    const delays = Array.from({ length: 11 }, () => limiter.when("a"));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000]);
    expect(limiter.when("b")).toBe(1_000);
    expect(limiter.retries("a")).toBe(11);
    limiter.forget("a");
    expect(limiter.when("a")).toBe(1_000);
  });

  test("a key failing for a very long time stays at the cap", () => {
    const limiter = new ItemExponentialRateLimiter<string>({ baseMs: 1, maxMs: 50 });
    for (let index = 0; index < 2_000; index++) limiter.when("a");
    expect(limiter.when("a")).toBe(50);
  });

  test("the token bucket allows a burst, then spaces retries by 1/qps, and refills", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucketRateLimiter<string>({ qps: 2, burst: 3 }, clock);
    expect([bucket.when("a"), bucket.when("b"), bucket.when("c")]).toEqual([0, 0, 0]);
    expect(bucket.when("d")).toBe(500);
    expect(bucket.when("e")).toBe(1_000);
    clock.advance(10_000);
    expect(bucket.when("f")).toBe(0);
  });

  test("the controller limiter takes the larger of both delays", () => {
    const clock = new ManualClock();
    const limiter = new MaxOfRateLimiter<string>(
      new ItemExponentialRateLimiter({ baseMs: 10, maxMs: 1_000 }),
      new TokenBucketRateLimiter({ qps: 1, burst: 1 }, clock),
    );
    expect(limiter.when("a")).toBe(10);
    expect(limiter.when("b")).toBe(1_000);
    const defaults = controllerRateLimiter<string>(clock);
    expect(defaults.when("x")).toBe(1_000);
    expect(defaults.when("x")).toBe(2_000);
  });
});
