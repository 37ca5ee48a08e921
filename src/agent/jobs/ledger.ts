/**
 * The idempotency and processed-job ledger (docs/connectivity.md), pure: two maps, their pruning by age, count
 * and the 512 KiB bound on both serialised together, and the legacy array form of `applied-keys.json`.
 *
 * A job whose signature verified carries `signedUntil` (its `iat` + max age + skew): until then a replay of it
 * would verify again, so its entry is never evicted. Pruning takes unsigned and expired entries first; when only
 * live signed entries are left at the bound, a new job is refused instead of forgetting one of them.
 */

export type JobState = "acked" | "done";

export interface JobEntry {
  at: string;
  state: JobState;
  /** RFC 3339 end of the signature's replay window; absent for jobs that were not verified. Optional on disk. */
  signedUntil?: string;
}

export interface LedgerMaps {
  /** idempotencyKey → appliedAt (RFC 3339). */
  appliedKeys: Map<string, string>;
  /** job id → state and time. */
  processedJobs: Map<string, JobEntry>;
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
/** Longest job id recorded: a DNS-1123 subdomain's length, ample for UUIDs and readable names. */
export const MAX_JOB_ID_LENGTH = 253;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 512;
/** When the bound is hit on admission, pruning frees this share of it so the next admissions are cheap. */
const ADMISSION_HEADROOM = 0.1;

export function emptyLedger(): LedgerMaps {
  return { appliedKeys: new Map(), processedJobs: new Map() };
}

/** Why an envelope's id or idempotency key cannot be recorded, or undefined when both fit. */
export function ledgerBoundsProblem(job: { id: string; idempotencyKey?: unknown }): string | undefined {
  if (job.id.length > MAX_JOB_ID_LENGTH) return `job id is ${job.id.length} characters long; at most ${MAX_JOB_ID_LENGTH} are accepted`;
  const key = job.idempotencyKey;
  if (key === undefined || key === null) return undefined;
  if (typeof key !== "string") return "idempotencyKey must be a string";
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) return `idempotencyKey is ${key.length} characters long; at most ${MAX_IDEMPOTENCY_KEY_LENGTH} are accepted`;
  return undefined;
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
        const signedUntil = typeof entry.signedUntil === "string" && !Number.isNaN(Date.parse(entry.signedUntil)) ? entry.signedUntil : undefined;
        ledger.processedJobs.set(id, signedUntil ? { at: entry.at, state: entry.state, signedUntil } : { at: entry.at, state: entry.state });
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

/** Serialised size of one member, its separator included (so a map's size is 2 + the sum, at most 1 over). */
export function keyBytes(key: string, at: string): number {
  return Buffer.byteLength(JSON.stringify(key)) + Buffer.byteLength(JSON.stringify(at)) + 2;
}

export function jobBytes(id: string, entry: JobEntry): number {
  return Buffer.byteLength(JSON.stringify(id)) + Buffer.byteLength(JSON.stringify(entry)) + 2;
}

/** Serialised size of both maps (an upper bound, off by at most two bytes). */
export function ledgerBytes(ledger: LedgerMaps): number {
  let total = 4;
  for (const [key, at] of ledger.appliedKeys) total += keyBytes(key, at);
  for (const [id, entry] of ledger.processedJobs) total += jobBytes(id, entry);
  return total;
}

export function isLiveSigned(entry: JobEntry, now: Date): boolean {
  return entry.signedUntil !== undefined && Date.parse(entry.signedUntil) > now.getTime();
}

export type Admission = { admitted: true; ledger: LedgerMaps; bytes: number } | { admitted: false; ledger: LedgerMaps; bytes: number };

/**
 * Records `entry` for `id` when the bounds allow it, pruning first when they do not (`bytes` is the caller's
 * running `ledgerBytes`). The fast path sets the entry in `ledger` in place; after pruning a new ledger is returned.
 * Refused only when everything left is a live signed entry.
 */
export function admitJob(ledger: LedgerMaps, bytes: number, id: string, entry: JobEntry, limits: PruneLimits, now: Date): Admission {
  let current = ledger;
  let currentBytes = bytes;
  if (!hasRoom(current, currentBytes, id, entry, limits)) {
    current = pruneLedger(current, limits, now, ADMISSION_HEADROOM);
    currentBytes = ledgerBytes(current);
    if (!hasRoom(current, currentBytes, id, entry, limits)) return { admitted: false, ledger: current, bytes: currentBytes };
  }
  const previous = current.processedJobs.get(id);
  current.processedJobs.set(id, entry);
  return { admitted: true, ledger: current, bytes: currentBytes + jobBytes(id, entry) - (previous ? jobBytes(id, previous) : 0) };
}

function hasRoom(ledger: LedgerMaps, bytes: number, id: string, entry: JobEntry, limits: PruneLimits): boolean {
  const previous = ledger.processedJobs.get(id);
  const count = ledger.processedJobs.size + (previous ? 0 : 1);
  const added = jobBytes(id, entry) - (previous ? jobBytes(id, previous) : 0);
  return count <= limits.maxJobs && bytes + added < limits.maxBytes;
}

/**
 * Drops expired entries, then beyond each count and the size bound the oldest evictable ones (idempotency keys,
 * unsigned jobs, signed jobs past their window); live signed entries always stay. `headroom` (0–1) leaves that
 * share of the job count and byte bounds free.
 */
export function pruneLedger(ledger: LedgerMaps, limits: PruneLimits, now: Date, headroom = 0): LedgerMaps {
  const t = now.getTime();
  const appliedKeys = keepNewest(
    [...ledger.appliedKeys].filter(([, at]) => t - Date.parse(at) <= limits.keyTtlMs),
    limits.maxKeys,
  );
  const kept = [...ledger.processedJobs].filter(([, entry]) => isLiveSigned(entry, now) || t - Date.parse(entry.at) <= limits.jobTtlMs);
  const live = kept.filter(([, entry]) => isLiveSigned(entry, now));
  const evictable = oldestFirst(kept.filter(([, entry]) => !isLiveSigned(entry, now)).map(([id, entry]) => [id, entry.at, entry] as const));
  const maxJobs = Math.floor(limits.maxJobs * (1 - headroom));
  const jobExcess = Math.max(0, live.length + evictable.length - maxJobs);
  const evictableJobs = evictable.slice(Math.min(jobExcess, evictable.length));
  const pruned: LedgerMaps = {
    appliedKeys: new Map(appliedKeys),
    processedJobs: new Map([...live, ...evictableJobs.map(([id, , entry]) => [id, entry] as const)]),
  };
  shrinkToFit(pruned, limits.maxBytes * (1 - headroom), now);
  return pruned;
}

function keepNewest(entries: [string, string][], max: number): [string, string][] {
  if (entries.length <= max) return entries;
  return oldestFirst(entries).slice(entries.length - max);
}

function oldestFirst<T extends readonly [string, string, ...unknown[]]>(entries: T[]): T[] {
  return [...entries].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
}

/** Removes the oldest evictable entries of both maps, one at a time, until the serialised size is under `maxBytes`. */
function shrinkToFit(ledger: LedgerMaps, maxBytes: number, now: Date): void {
  let bytes = ledgerBytes(ledger);
  if (bytes < maxBytes) return;
  type Candidate = readonly [string, string, "key" | "job"];
  const candidates: Candidate[] = [
    ...[...ledger.appliedKeys].map(([key, at]): Candidate => [key, at, "key"]),
    ...[...ledger.processedJobs].filter(([, entry]) => !isLiveSigned(entry, now)).map(([id, entry]): Candidate => [id, entry.at, "job"]),
  ];
  for (const [name, at, kind] of oldestFirst(candidates)) {
    if (bytes < maxBytes) return;
    if (kind === "key") {
      bytes -= keyBytes(name, at);
      ledger.appliedKeys.delete(name);
    } else {
      bytes -= jobBytes(name, ledger.processedJobs.get(name)!);
      ledger.processedJobs.delete(name);
    }
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
