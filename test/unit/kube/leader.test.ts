import { describe, expect, test } from "bun:test";
import type { KubeClient } from "../../../src/kube/client";
import { ManualClock } from "../../../src/kube/clock";
import { KubeApiError } from "../../../src/kube/errors";
import { LeaderElector, type Lease } from "../../../src/kube/leader";
import { settle } from "./helpers";

/** An in-memory Lease endpoint with the API server's optimistic concurrency. */
class FakeLeases {
  lease: Lease | undefined;
  failing = false;
  #version = 0;

  readonly client = {
    get: async () => {
      this.#check("get");
      if (!this.lease) throw apiError(404, "NotFound");
      return structuredClone(this.lease);
    },
    create: async (_type: unknown, body: Lease) => {
      this.#check("create");
      if (this.lease) throw apiError(409, "AlreadyExists");
      return this.#store(body);
    },
    replace: async (_type: unknown, body: Lease) => {
      this.#check("replace");
      if (body.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) throw apiError(409, "Conflict");
      return this.#store(body);
    },
  } as unknown as Pick<KubeClient, "get" | "create" | "replace">;

  #store(body: Lease): Lease {
    this.lease = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++this.#version) } };
    return structuredClone(this.lease);
  }

  #check(verb: string): void {
    if (this.failing) throw Object.assign(new TypeError(`ECONNREFUSED: ${verb}`), { code: "ECONNREFUSED" });
  }
}

function apiError(code: number, reason: string): KubeApiError {
  return new KubeApiError(code, { code, reason }, { verb: "test", path: "/leases" });
}

function setup() {
  const clock = new ManualClock();
  const leases = new FakeLeases();
  const log: string[] = [];
  const make = (identity: string) =>
    new LeaderElector({
      client: leases.client,
      namespace: "ns",
      name: "lock",
      identity,
      leaseDurationMs: 10_000,
      renewDeadlineMs: 6_000,
      retryPeriodMs: 2_000,
      clock,
      random: () => 0,
      onStartedLeading: (signal) => {
        log.push(`${identity} started`);
        signal.addEventListener("abort", () => log.push(`${identity} signal aborted`));
      },
      onStoppedLeading: () => log.push(`${identity} stopped`),
    });
  /** Moves the clock in small steps, letting the electors react between them. */
  const elapse = async (ms: number) => {
    for (let passed = 0; passed < ms; passed += 500) {
      clock.advance(500);
      await settle();
    }
  };
  return { clock, leases, log, make, elapse };
}

describe("LeaderElector", () => {
  test("the first candidate creates the lease and leads; the second waits", async () => {
    const { leases, make, elapse, log } = setup();
    const a = make("a");
    const b = make("b");
    a.start();
    await settle();
    b.start();
    await elapse(4_000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(b.holder()).toBe("a");
    expect(leases.lease?.spec).toMatchObject({ holderIdentity: "a", leaseDurationSeconds: 10, leaseTransitions: 0 });
    expect(log).toEqual(["a started"]);
    await a.stop({ release: false });
    await b.stop();
  });

  test("a graceful stop clears the holder and the other candidate takes over on its next try", async () => {
    const { leases, make, elapse, log } = setup();
    const a = make("a");
    const b = make("b");
    a.start();
    await settle();
    b.start();
    await elapse(1_000);
    await a.stop();
    expect(leases.lease?.spec?.holderIdentity).toBe("");
    await elapse(2_500);
    expect(b.isLeader()).toBe(true);
    expect(leases.lease?.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    expect(log).toEqual(["a started", "a signal aborted", "a stopped", "b started"]);
    await b.stop();
  });

  test("a released lease goes to the waiting standby, not to a candidate that just started", async () => {
    const { leases, make, elapse, log } = setup();
    const a = make("a");
    const standby = make("standby");
    const replacement = make("replacement");
    a.start();
    await settle();
    standby.start();
    await elapse(1_000);
    await a.stop();
    replacement.start();
    await settle();
    expect(replacement.isLeader()).toBe(false);
    await elapse(2_500);
    expect(standby.isLeader()).toBe(true);
    expect(replacement.isLeader()).toBe(false);
    expect(replacement.holder()).toBe("standby");
    expect(leases.lease?.spec?.holderIdentity).toBe("standby");
    expect(log).toEqual(["a started", "a signal aborted", "a stopped", "standby started"]);
    await standby.stop({ release: false });
    await replacement.stop();
  });

  test("alone, a candidate that finds the lease released takes it one retry period later", async () => {
    const { leases, make, elapse } = setup();
    const a = make("a");
    a.start();
    await settle();
    await a.stop();
    const b = make("b");
    b.start();
    await settle();
    expect(b.isLeader()).toBe(false);
    await elapse(2_000);
    expect(b.isLeader()).toBe(true);
    expect(leases.lease?.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    await b.stop();
  });

  test("a holder that stops renewing is replaced only after the lease duration", async () => {
    const { leases, make, elapse } = setup();
    const a = make("a");
    const b = make("b");
    a.start();
    await settle();
    b.start();
    await elapse(1_000);
    await a.stop({ release: false });
    expect(leases.lease?.spec?.holderIdentity).toBe("a");
    await elapse(8_000);
    expect(b.isLeader()).toBe(false);
    await elapse(4_000);
    expect(b.isLeader()).toBe(true);
    await b.stop();
  });

  test("a leader that cannot renew within the deadline steps down, then campaigns again", async () => {
    const { leases, make, elapse, log } = setup();
    const a = make("a");
    a.start();
    await settle();
    expect(a.isLeader()).toBe(true);
    leases.failing = true;
    await elapse(4_000);
    expect(a.isLeader()).toBe(true);
    await elapse(2_500);
    expect(a.isLeader()).toBe(false);
    expect(log).toEqual(["a started", "a signal aborted", "a stopped"]);
    leases.failing = false;
    await elapse(2_500);
    expect(a.isLeader()).toBe(true);
    await a.stop();
  });

  test("rejects timings where renewal could not finish before the lease expires", () => {
    const leases = new FakeLeases();
    const base = { client: leases.client, namespace: "ns", name: "l", identity: "a" };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 5_000, renewDeadlineMs: 5_000 })).toThrow(RangeError);
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(RangeError);
  });
});
