/**
 * The idempotency and processed-job ledger (connectivity.md §3.6), pure: two maps, their pruning by age and
 * count, the 512 KiB bound on both serialised together, and the legacy array form of `applied-keys.json`.
 */

export type JobState = "acked" | "done";

export interface LedgerMaps {
  /** idempotencyKey → appliedAt (RFC 3339). */
  appliedKeys: Map<string, string>;
  /** job id → state and time. */
  processedJobs: Map<string, { at: string; state: JobState }>;
}

export interface PruneLimits {
  keyTtlMs: number;
  maxKeys: number;
  jobTtlMs: number;
  maxJobs: number;
  maxBytes: number;
}

export const APPLIED_KEYS = "applied-keys.json";
export const PROCESSED_JOBS = "processed-jobs.json";
export const LEDGER_MAX_BYTES = 512 * 1024;
export const MAX_PROCESSED_JOBS = 10_000;

export function emptyLedger(): LedgerMaps {
  return { appliedKeys: new Map(), processedJobs: new Map() };
}

/** Reads the ConfigMap data; unreadable entries are skipped, a legacy array is dated `now`. */
export function parseLedger(data: Record<string, string> | undefined, now: Date): LedgerMaps {
  const ledger = emptyLedger();
  const keys = parseJson(data?.[APPLIED_KEYS]);
  if (Array.isArray(keys)) {
    for (const key of keys) if (typeof key === "string") ledger.appliedKeys.set(key, now.toISOString());
  } else if (isRecord(keys)) {
    for (const [key, at] of Object.entries(keys)) if (typeof at === "string") ledger.appliedKeys.set(key, at);
  }
  const jobs = parseJson(data?.[PROCESSED_JOBS]);
  if (isRecord(jobs)) {
    for (const [id, entry] of Object.entries(jobs)) {
      if (isRecord(entry) && typeof entry.at === "string" && (entry.state === "acked" || entry.state === "done")) {
        ledger.processedJobs.set(id, { at: entry.at, state: entry.state });
      }
    }
  }
  return ledger;
}

export function serializeLedger(ledger: LedgerMaps): Record<string, string> {
  return {
    [APPLIED_KEYS]: JSON.stringify(Object.fromEntries(ledger.appliedKeys)),
    [PROCESSED_JOBS]: JSON.stringify(Object.fromEntries(ledger.processedJobs)),
  };
}

/** Drops expired entries, then the oldest beyond each count, then the oldest of both until the size fits. */
export function pruneLedger(ledger: LedgerMaps, limits: PruneLimits, now: Date): LedgerMaps {
  const appliedKeys = keepNewest(
    [...ledger.appliedKeys].filter(([, at]) => now.getTime() - Date.parse(at) <= limits.keyTtlMs),
    limits.maxKeys,
    ([, at]) => at,
  );
  const processedJobs = keepNewest(
    [...ledger.processedJobs].filter(([, entry]) => now.getTime() - Date.parse(entry.at) <= limits.jobTtlMs),
    limits.maxJobs,
    ([, entry]) => entry.at,
  );
  const pruned: LedgerMaps = { appliedKeys: new Map(appliedKeys), processedJobs: new Map(processedJobs) };
  shrinkToFit(pruned, limits.maxBytes);
  return pruned;
}

function keepNewest<T>(entries: T[], max: number, at: (entry: T) => string): T[] {
  if (entries.length <= max) return entries;
  return [...entries].sort((a, b) => at(a).localeCompare(at(b))).slice(entries.length - max);
}

function size(ledger: LedgerMaps): number {
  const data = serializeLedger(ledger);
  return Buffer.byteLength(data[APPLIED_KEYS]!) + Buffer.byteLength(data[PROCESSED_JOBS]!);
}

/** Removes the oldest entries of both maps, a tenth at a time, until the serialised size is under `maxBytes`. */
function shrinkToFit(ledger: LedgerMaps, maxBytes: number): void {
  while (size(ledger) >= maxBytes) {
    const keys = [...ledger.appliedKeys].sort(([, a], [, b]) => a.localeCompare(b));
    const jobs = [...ledger.processedJobs].sort(([, a], [, b]) => a.at.localeCompare(b.at));
    for (const [key] of keys.slice(0, Math.max(1, Math.ceil(keys.length / 10)))) ledger.appliedKeys.delete(key);
    for (const [id] of jobs.slice(0, Math.max(1, Math.ceil(jobs.length / 10)))) ledger.processedJobs.delete(id);
    if (keys.length === 0 && jobs.length === 0) return;
  }
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
