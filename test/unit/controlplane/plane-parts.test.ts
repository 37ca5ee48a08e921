/** The plane's in-memory parts: fault table, per-token rate limit, long-poll wake-ups. */
import { describe, expect, test } from "bun:test";
import { FaultTable } from "../../../src/controlplane/faults";
import { JobSignal } from "../../../src/controlplane/job-signal";
import { RateLimiter } from "../../../src/controlplane/rate-limit";
import { endpointOf } from "../../../src/controlplane/agent-guard";

describe("FaultTable", () => {
  test("a fault matches its endpoint and cluster, and is used up after count hits", () => {
    const faults = new FaultTable();
    faults.add({ endpoint: "jobs", clusterId: "a", status: 503, count: 2, retryAfterSeconds: 4 });
    expect(faults.take("jobs", "b")).toBeUndefined();
    expect(faults.take("ack", "a")).toBeUndefined();
    expect(faults.take("jobs", "a")).toEqual({ status: 503, retryAfterSeconds: 4 });
    expect(faults.take("jobs", "a")).toEqual({ status: 503, retryAfterSeconds: 4 });
    expect(faults.take("jobs", "a")).toBeUndefined();
  });

  test("a fault without a cluster matches every cluster, including unauthenticated register", () => {
    const faults = new FaultTable();
    faults.add({ endpoint: "register", status: 500, count: 1, delayMs: 10 });
    expect(faults.take("register", undefined)).toEqual({ status: 500, delayMs: 10 });
    faults.add({ endpoint: "events", status: 429, count: 5 });
    faults.clear();
    expect(faults.take("events", "x")).toBeUndefined();
  });
});

describe("RateLimiter", () => {
  test("allows a burst of twice the rate, then refills at the rate, per key", () => {
    const limiter = new RateLimiter(2);
    const t0 = 1_000_000;
    expect([1, 2, 3, 4].map(() => limiter.allow("k", t0))).toEqual([true, true, true, true]);
    expect(limiter.allow("k", t0)).toBe(false);
    expect(limiter.allow("other", t0)).toBe(true);
    expect(limiter.allow("k", t0 + 500)).toBe(true);
    expect(limiter.allow("k", t0 + 500)).toBe(false);
  });

  test("a rate of 0 disables limiting", () => {
    const limiter = new RateLimiter(0);
    expect(Array.from({ length: 1000 }, () => limiter.allow("k", 0)).every(Boolean)).toBe(true);
  });
});

describe("JobSignal", () => {
  test("notify wakes only the waiters of that cluster", async () => {
    const signal = new JobSignal();
    const woken: string[] = [];
    const a = signal.wait("a", 60_000, new AbortController().signal).then(() => woken.push("a"));
    const abortB = new AbortController();
    const b = signal.wait("b", 60_000, abortB.signal).then(() => woken.push("b"));
    signal.notify("a");
    await a;
    expect(woken).toEqual(["a"]);
    abortB.abort();
    await b;
    expect(woken).toEqual(["a", "b"]);
  });

  test("releaseAll ends every wait (shutdown)", async () => {
    const signal = new JobSignal();
    const waits = ["x", "y", "y"].map((cluster) => signal.wait(cluster, 60_000, new AbortController().signal));
    signal.releaseAll();
    expect(await Promise.all(waits)).toEqual([undefined, undefined, undefined]);
  });
});

describe("endpointOf", () => {
  test("maps method and path to the endpoint name used by faults and metrics", () => {
    expect(endpointOf("GET", "/api/agent/jobs")).toBe("jobs");
    expect(endpointOf("POST", "/api/agent/jobs/a%2Fb/ack")).toBe("ack");
    expect(endpointOf("POST", "/api/agent/jobs/x/result")).toBe("result");
    expect(endpointOf("POST", "/api/agent/credentials/rotate")).toBe("rotate");
    expect(endpointOf("GET", "/api/agent/events")).toBeUndefined();
    expect(endpointOf("POST", "/api/agent/jobs/x/y/ack")).toBeUndefined();
  });
});
