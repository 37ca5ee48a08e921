import { describe, expect, test } from "bun:test";
import {
  admitJob,
  APPLIED_KEYS,
  isLiveSigned,
  LEDGER_MAX_BYTES,
  ledgerBoundsProblem,
  jobBytes,
  ledgerBytes,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_JOB_ID_LENGTH,
  MAX_PROCESSED_JOBS,
  parseLedger,
  PROCESSED_JOBS,
  pruneLedger,
  serializeLedger,
  type JobEntry,
  type PruneLimits,
} from "../../../src/agent/jobs/ledger";

const now = new Date("2026-11-22T08:00:00Z");
const limits: PruneLimits = { keyTtlMs: 168 * 3_600_000, maxKeys: 5000, jobTtlMs: 86_400_000, maxJobs: 10_000, maxBytes: LEDGER_MAX_BYTES };
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

describe("idempotency and processed-job ledger (docs/connectivity.md#replay-ledger)", () => {
  test("a legacy array of keys is read and dated at load time; garbage is skipped", () => {
    const ledger = parseLedger({ [APPLIED_KEYS]: JSON.stringify(["a", "b", 3]), [PROCESSED_JOBS]: JSON.stringify({ j1: { at: ago(1), state: "done" }, j2: { state: "weird" } }) }, now);
    expect([...ledger.appliedKeys]).toEqual([["a", now.toISOString()], ["b", now.toISOString()]]);
    expect([...ledger.processedJobs.keys()]).toEqual(["j1"]);
    expect(parseLedger({ [APPLIED_KEYS]: "{not json" }, now).appliedKeys.size).toBe(0);
  });

  test("round trip through the ConfigMap form", () => {
    const ledger = parseLedger(undefined, now);
    ledger.appliedKeys.set("k", ago(0));
    ledger.processedJobs.set("j", { at: ago(0), state: "acked" });
    expect(parseLedger(serializeLedger(ledger), now)).toEqual(ledger);
  });

  test("prunes by age, then by count keeping the newest", () => {
    const ledger = parseLedger(undefined, now);
    ledger.appliedKeys.set("expired", ago(169 * 3_600_000));
    for (let i = 0; i < 10; i++) ledger.appliedKeys.set(`k${i}`, ago((10 - i) * 1000));
    ledger.processedJobs.set("old-job", { at: ago(25 * 3_600_000), state: "done" });
    ledger.processedJobs.set("new-job", { at: ago(1000), state: "done" });
    const pruned = pruneLedger(ledger, { ...limits, maxKeys: 3 }, now);
    expect([...pruned.appliedKeys.keys()].sort()).toEqual(["k7", "k8", "k9"]);
    expect([...pruned.processedJobs.keys()]).toEqual(["new-job"]);
  });

  test("20000 inserts stay under 512 KiB, oldest dropped first", () => {
    let ledger = parseLedger(undefined, now);
    for (let i = 0; i < 20_000; i++) {
      ledger.appliedKeys.set(`applicationinstance/namespace-${i % 50}/instance-${i}@${i}`, ago(20_000 - i));
      ledger.processedJobs.set(crypto.randomUUID(), { at: ago(20_000 - i), state: "done" });
      if (i % 1000 === 999) ledger = pruneLedger(ledger, { ...limits, maxKeys: 100_000, maxJobs: 100_000 }, now);
    }
    const data = serializeLedger(ledger);
    expect(Buffer.byteLength(data[APPLIED_KEYS]!) + Buffer.byteLength(data[PROCESSED_JOBS]!)).toBeLessThan(LEDGER_MAX_BYTES);
    expect(ledger.appliedKeys.has("applicationinstance/namespace-49/instance-19999@19999")).toBe(true);
    expect(ledger.appliedKeys.has("applicationinstance/namespace-0/instance-0@0")).toBe(false);
  });
});

describe("a ledger that cannot be flushed", () => {
  const later = (ms: number) => new Date(now.getTime() + ms).toISOString();
  const signedEntry = (at: string) => ({ at, state: "done" as const, signedUntil: later(3_600_000) });
  const unsigned = (at: string) => ({ at, state: "acked" as const });

  function admitAll(start: ReturnType<typeof parseLedger>, ids: Iterable<string>, entry: (i: number) => JobEntry, bounds = limits) {
    let ledger = start;
    let bytes = ledgerBytes(ledger);
    let refused = 0;
    let i = 0;
    for (const id of ids) {
      const admission = admitJob(ledger, bytes, id, entry(i++), bounds, now);
      ({ ledger, bytes } = admission);
      if (!admission.admitted) refused++;
    }
    return { ledger, bytes, refused };
  }

  test("ids over 253 characters and idempotency keys over 512 are refused before anything is recorded", () => {
    expect(ledgerBoundsProblem({ id: "a".repeat(MAX_JOB_ID_LENGTH) })).toBeUndefined();
    expect(ledgerBoundsProblem({ id: "a".repeat(MAX_JOB_ID_LENGTH + 1) })).toContain("job id is 254 characters");
    expect(ledgerBoundsProblem({ id: "j", idempotencyKey: "k".repeat(MAX_IDEMPOTENCY_KEY_LENGTH) })).toBeUndefined();
    expect(ledgerBoundsProblem({ id: "j", idempotencyKey: "k".repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1) })).toContain("idempotencyKey is 513 characters");
    expect(ledgerBoundsProblem({ id: "j", idempotencyKey: 7 })).toBe("idempotencyKey must be a string");
    expect(ledgerBoundsProblem({ id: "x".repeat(9 * 1024) })).toContain("at most 253");
  });

  test("60 unsigned jobs with 9 KB ids push out unsigned entries and keys, never the signed job", () => {
    const start = parseLedger(undefined, now);
    start.processedJobs.set("signed-job", signedEntry(ago(60_000)));
    start.processedJobs.set("old-unsigned", unsigned(ago(59_000)));
    start.appliedKeys.set("old-key", ago(58_000));
    const ids = Array.from({ length: 60 }, (_, i) => `${i}-${"x".repeat(9 * 1024)}`);
    const { ledger, bytes, refused } = admitAll(start, ids, (i) => unsigned(ago(50_000 - i)));
    expect(refused).toBe(0);
    expect(ledger.processedJobs.get("signed-job")).toEqual(signedEntry(ago(60_000)));
    expect(ledger.processedJobs.has("old-unsigned")).toBe(false);
    expect(ledger.appliedKeys.has("old-key")).toBe(false);
    expect(ledger.processedJobs.has(ids[59]!)).toBe(true);
    expect(bytes).toBe(ledgerBytes(ledger));
    expect(bytes).toBeLessThan(LEDGER_MAX_BYTES);
  });

  test("10,001 junk ids keep the signed job's record", () => {
    const start = parseLedger(undefined, now);
    start.processedJobs.set("signed-job", signedEntry(ago(60_000)));
    const junk = (function* () {
      for (let i = 0; i <= 10_000; i++) yield `junk-${i}`;
    })();
    const { ledger, refused } = admitAll(start, junk, (i) => unsigned(ago(50_000 - i)));
    expect(refused).toBe(0);
    expect(ledger.processedJobs.has("signed-job")).toBe(true);
    expect(ledger.processedJobs.has("junk-10000")).toBe(true);
    expect(ledger.processedJobs.size).toBeLessThanOrEqual(MAX_PROCESSED_JOBS);
    const stored = pruneLedger(parseLedger(serializeLedger(ledger), now), limits, now);
    expect(stored.processedJobs.get("signed-job")?.signedUntil).toBe(later(3_600_000));
  });

  test("eviction order: expired, then unsigned and window-closed signed entries oldest first; live signed last of all", () => {
    const ledger = parseLedger(undefined, now);
    ledger.processedJobs.set("live-signed-oldest", signedEntry(ago(90_000)));
    ledger.processedJobs.set("closed-window", { at: ago(80_000), state: "done", signedUntil: ago(1) });
    ledger.processedJobs.set("unsigned-old", unsigned(ago(70_000)));
    ledger.processedJobs.set("unsigned-new", unsigned(ago(10_000)));
    ledger.processedJobs.set("live-signed-ancient", { at: ago(30 * 3_600_000), state: "done", signedUntil: later(1) });
    ledger.processedJobs.set("unsigned-ancient", unsigned(ago(25 * 3_600_000)));
    const pruned = pruneLedger(ledger, { ...limits, maxJobs: 3 }, now);
    expect([...pruned.processedJobs.keys()].sort()).toEqual(["live-signed-ancient", "live-signed-oldest", "unsigned-new"]);
    const tighter = pruneLedger(ledger, { ...limits, maxJobs: 1 }, now);
    expect([...tighter.processedJobs.keys()].sort()).toEqual(["live-signed-ancient", "live-signed-oldest"]);
  });

  test("at the bound with only live signed entries a new job is refused and nothing is forgotten", () => {
    const bounds = { ...limits, maxJobs: 3 };
    const full = parseLedger(undefined, now);
    for (let i = 0; i < 3; i++) full.processedJobs.set(`signed-${i}`, signedEntry(ago(i * 1000)));
    const refused = admitJob(full, ledgerBytes(full), "newcomer", { at: now.toISOString(), state: "acked", signedUntil: later(1000) }, bounds, now);
    expect(refused.admitted).toBe(false);
    expect([...refused.ledger.processedJobs.keys()].sort()).toEqual(["signed-0", "signed-1", "signed-2"]);
    const again = admitJob(refused.ledger, refused.bytes, "signed-1", signedEntry(now.toISOString()), bounds, now);
    expect(again.admitted).toBe(true);

    const bySize = parseLedger(undefined, now);
    bySize.appliedKeys.set("evictable-key", ago(1));
    let filled = ledgerBytes(bySize);
    for (let i = 0; filled < LEDGER_MAX_BYTES - 280; i++) {
      const id = `signed-${i}-${"s".repeat(200)}`;
      bySize.processedJobs.set(id, signedEntry(ago(i)));
      filled += jobBytes(id, signedEntry(ago(i)));
    }
    expect(bytesOf(bySize)).toBeLessThan(LEDGER_MAX_BYTES);
    const result = admitJob(bySize, filled, "a".repeat(MAX_JOB_ID_LENGTH), unsigned(now.toISOString()), limits, now);
    expect(result.admitted).toBe(false);
    expect(result.ledger.appliedKeys.size).toBe(0);
    expect(result.ledger.processedJobs.size).toBe(bySize.processedJobs.size);
  });

  test("old ledger data (no signedUntil) is read, and new entries stay readable by the old parser", () => {
    const old = parseLedger({ [PROCESSED_JOBS]: JSON.stringify({ j1: { at: ago(1000), state: "done" }, j2: { at: ago(10), state: "acked" } }), [APPLIED_KEYS]: JSON.stringify({ k: ago(5) }) }, now);
    expect(old.processedJobs.get("j1")).toEqual({ at: ago(1000), state: "done" });
    expect(isLiveSigned(old.processedJobs.get("j1")!, now)).toBe(false);
    const ledger = parseLedger(undefined, now);
    ledger.processedJobs.set("s", signedEntry(ago(0)));
    const stored = JSON.parse(serializeLedger(ledger)[PROCESSED_JOBS]!);
    expect(stored.s).toMatchObject({ at: ago(0), state: "done" });
    expect(parseLedger({ [PROCESSED_JOBS]: JSON.stringify({ s: { ...stored.s, signedUntil: "not a date" } }) }, now).processedJobs.get("s")).toEqual({ at: ago(0), state: "done" });
  });
});

function bytesOf(ledger: ReturnType<typeof parseLedger>): number {
  const data = serializeLedger(ledger);
  return Buffer.byteLength(data[APPLIED_KEYS]!) + Buffer.byteLength(data[PROCESSED_JOBS]!);
}
