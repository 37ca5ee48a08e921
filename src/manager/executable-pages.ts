/**
 * The executable's pages in RSS (docs/install.md#memory). A compiled Bun executable maps its runtime and our
 * bytecode from the file; start-up (parsing, CRD installation, first lists, the JIT warming up) and any burst
 * of work afterwards read many more pages of it than a settled operator keeps using, and they stay counted in
 * its RSS until the kernel needs the memory. Once settled we ask the kernel to reclaim them now
 * (MADV_PAGEOUT); a page needed again is read back from the file on first touch.
 */
import { readFileSync } from "node:fs";

/** Linux 5.4+: reclaim the range now; clean file pages are simply dropped. */
const MADV_PAGEOUT = 21;

export interface FileRange {
  start: bigint;
  length: bigint;
}

/** The read-only mappings (code and constants) of `file` in a `/proc/<pid>/maps` text. */
export function readOnlyMappingsOf(maps: string, file: string): FileRange[] {
  const ranges: FileRange[] = [];
  for (const line of maps.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 6 || fields.slice(5).join(" ") !== file) continue;
    const [range, permissions] = fields;
    if (!range || !permissions || permissions.includes("w")) continue;
    const [from, to] = range.split("-").map((address) => BigInt(`0x${address}`));
    if (from === undefined || to === undefined || to <= from) continue;
    ranges.push({ start: from, length: to - from });
  }
  return ranges;
}

export interface ResidentKiB {
  total: number;
  file: number;
}

/**
 * Reclaim again only after file-backed RSS grew by `growthKiB` since the last reclaim: a settled operator
 * keeps touching the same pages, and reclaiming those would only make it read them back from disk.
 */
export function reclaimDue(now: ResidentKiB, afterLast: ResidentKiB | undefined, growthKiB: number): boolean {
  return afterLast === undefined || now.file - afterLast.file >= growthKiB;
}

export interface PageOutResult {
  mappings: number;
  before: ResidentKiB;
  after: ResidentKiB;
}

/**
 * Asks the kernel to reclaim the executable's read-only pages. Undefined where that cannot be asked (not
 * Linux, no glibc to call, a kernel refusing the advice): the operator runs the same without it.
 */
export async function pageOutExecutable(executable = process.execPath): Promise<PageOutResult | undefined> {
  if (process.platform !== "linux") return undefined;
  const ranges = readOnlyMappingsOf(readFileSync("/proc/self/maps", "utf8"), executable);
  if (ranges.length === 0) return undefined;
  const madvise = await loadMadvise();
  if (!madvise) return undefined;
  const before = residentKiB();
  for (const range of ranges) {
    if (madvise(range.start, range.length, MADV_PAGEOUT) !== 0) return undefined;
  }
  return { mappings: ranges.length, before, after: residentKiB() };
}

export interface ReclaimOptions {
  /** First check this long after start, then at the same interval; 0 disables. */
  intervalMs: number;
  growthKiB: number;
  onReclaimed(result: PageOutResult): void;
  /** The advice cannot be given here; no further checks are made. */
  onUnavailable(error?: unknown): void;
}

/** Checks at every interval and reclaims when due; returns the stop function. */
export function reclaimExecutablePages(options: ReclaimOptions): () => void {
  if (options.intervalMs <= 0) return () => undefined;
  let afterLast: ResidentKiB | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void check(), options.intervalMs);
    timer.unref();
  };
  const check = async () => {
    if (!reclaimDue(residentKiB(), afterLast, options.growthKiB)) return schedule();
    try {
      const result = await pageOutExecutable();
      if (!result) return options.onUnavailable();
      afterLast = result.after;
      options.onReclaimed(result);
      schedule();
    } catch (error) {
      options.onUnavailable(error);
    }
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

type Madvise = (start: bigint, length: bigint, advice: number) => number;

let madviseLoaded: Promise<Madvise | undefined> | undefined;

/** libc is opened once per process; every later reclaim reuses the same binding. */
function loadMadvise(): Promise<Madvise | undefined> {
  madviseLoaded ??= openMadvise();
  return madviseLoaded;
}

async function openMadvise(): Promise<Madvise | undefined> {
  try {
    const { dlopen, FFIType } = await import("bun:ffi");
    const libc = dlopen("libc.so.6", { madvise: { args: [FFIType.u64, FFIType.u64, FFIType.i32], returns: FFIType.i32 } });
    return (start, length, advice) => libc.symbols.madvise(start, length, advice);
  } catch {
    return undefined;
  }
}

function residentKiB(): ResidentKiB {
  const status = readFileSync("/proc/self/status", "utf8");
  const field = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, "m"))?.[1] ?? 0);
  return { total: field("VmRSS"), file: field("RssFile") };
}
