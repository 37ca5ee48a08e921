import { describe, expect, test } from "bun:test";
import { APPLIED_KEYS, LEDGER_MAX_BYTES, parseLedger, PROCESSED_JOBS, pruneLedger, serializeLedger, type PruneLimits } from "../../../src/agent/ledger";

const now = new Date("2026-11-22T08:00:00Z");
const limits: PruneLimits = { keyTtlMs: 168 * 3_600_000, maxKeys: 5000, jobTtlMs: 86_400_000, maxJobs: 10_000, maxBytes: LEDGER_MAX_BYTES };
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

describe("idempotency and processed-job ledger (§3.6)", () => {
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
