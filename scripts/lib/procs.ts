// Child processes of the local cluster and private planes: spawn with logs to files, identify by
// /proc/<pid>/cmdline (pids are reused), stop gracefully (docs/development.md#the-local-cluster).
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from "node:fs";
import { dirname } from "node:path";

export interface SpawnSpec {
  /** Short name for messages, e.g. "kube-apiserver". */
  name: string;
  /** Absolute path of the binary; /proc/<pid>/cmdline must later name exactly this. */
  bin: string;
  args: string[];
  logPath: string;
  env?: Record<string, string>;
  cwd?: string;
  /** New session (setsid) and unref'd, so the child outlives this process. */
  detached?: boolean;
}

export interface Proc {
  name: string;
  pid: number;
  bin: string;
  logPath: string;
  /** Size of the log file when this process was started: its own output begins there. */
  logOffset: number;
  /** Spawned by this process (Bun tracks its exit) rather than adopted from a recorded pid. */
  owned: boolean;
  /** "code N" or "signal SIG…" once this process has seen the child exit; null before (and for adopted pids). */
  exitStatus(): string | null;
}

// Children dial only loopback; a proxy from the caller's environment must not intercept that.
const PROXY_VARS = ["http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"];

function childEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !PROXY_VARS.includes(k)) env[k] = v;
  return { ...env, ...extra };
}

export function spawnLogged(spec: SpawnSpec): Proc {
  mkdirSync(dirname(spec.logPath), { recursive: true });
  const fd = openSync(spec.logPath, "a");
  try {
    const logOffset = fstatSync(fd).size;
    const child = Bun.spawn({
      cmd: [spec.bin, ...spec.args],
      cwd: spec.cwd,
      env: childEnv(spec.env),
      detached: spec.detached ?? false,
      stdio: ["ignore", fd, fd],
    });
    if (spec.detached) child.unref();
    const { name, bin, logPath } = spec;
    return { name, pid: child.pid, bin, logPath, logOffset, owned: true, exitStatus: () => exitStatusOf(child) };
  } catch (err) {
    throw new Error(`cannot start ${spec.name} (${spec.bin}): ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

// A child killed by a signal keeps exitCode null; signalCode says how it ended.
function exitStatusOf(child: { exitCode: number | null; signalCode: string | number | null }): string | null {
  if (child.signalCode !== null) return `signal ${child.signalCode}`;
  return child.exitCode === null ? null : `code ${child.exitCode}`;
}

/** Wraps a pid recorded earlier (e.g. in state.json) so it can be checked and stopped. */
export function adoptProc(name: string, pid: number, bin: string, logPath: string): Proc {
  return { name, pid, bin, logPath, logOffset: 0, owned: false, exitStatus: () => null };
}

/** True iff pid is alive and its argv[0] is exactly bin (zombies have an empty cmdline). */
export function pidRunsBinary(pid: number, bin: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0")[0];
    return argv0 === bin;
  } catch {
    return false;
  }
}

// An own child is judged by Bun's exit tracking: between fork and exec its cmdline still names bun.
export function isRunning(proc: Proc): boolean {
  return proc.owned ? proc.exitStatus() === null : pidRunsBinary(proc.pid, proc.bin);
}

export type StopOutcome = "not-running" | "exited" | "killed";

export interface StopOptions {
  signal?: NodeJS.Signals;
  /** Grace period after `signal` before SIGKILL. */
  timeoutMs?: number;
}

/** Sends `signal` (SIGTERM), waits up to timeoutMs, then SIGKILLs; only if pid still runs proc.bin. */
export async function stopProc(proc: Proc, opts: StopOptions = {}): Promise<StopOutcome> {
  const { signal = "SIGTERM", timeoutMs = 10_000 } = opts;
  if (!isRunning(proc)) return "not-running";
  sendSignal(proc, signal);
  if (await waitForExit(proc, timeoutMs)) return "exited";
  sendSignal(proc, "SIGKILL");
  if (await waitForExit(proc, 5_000)) return "killed";
  throw new Error(`${proc.name} (pid ${proc.pid}) survived SIGKILL for 5s`);
}

function sendSignal(proc: Proc, signal: NodeJS.Signals): void {
  try {
    process.kill(proc.pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

async function waitForExit(proc: Proc, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(proc)) {
    if (Date.now() >= deadline) return false;
    await Bun.sleep(100);
  }
  return true;
}

/** Last `lines` lines of a log file (reads at most the final 64 KiB), "" when absent. */
export function tailFile(path: string, lines = 40): string {
  return readLogTail(path, 0).split("\n").slice(-lines - 1).join("\n").trimEnd();
}

/** What the process wrote since it was started (at most the final 64 KiB). */
export function ownOutput(proc: Proc): string {
  return readLogTail(proc.logPath, proc.logOffset);
}

function readLogTail(path: string, fromOffset: number): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return "";
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(fromOffset, size - 64 * 1024);
    const buf = Buffer.alloc(Math.max(0, size - start));
    readSync(fd, buf, 0, buf.length, start);
    return buf.toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** Error for a child that exited while we waited on it, carrying its log tail. */
export function diedError(proc: Proc, during: string): Error {
  const status = proc.exitStatus();
  const how = status === null ? "is no longer running" : `exited (${status})`;
  return new Error(`${proc.name} ${how} during ${during}; last lines of ${proc.logPath}:\n${tailFile(proc.logPath)}`);
}

export interface PollOptions {
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Children that must stay alive; one that dies fails the poll at once with its log tail. */
  watch?: Proc[];
}

/** Polls `probe` until it returns true; bounded by opts.timeoutMs. */
export async function pollUntil(probe: () => Promise<boolean>, opts: PollOptions): Promise<void> {
  const { what, timeoutMs, intervalMs = 250, watch = [] } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  for (;;) {
    const dead = watch.find((p) => !isRunning(p));
    if (dead) throw diedError(dead, `wait for ${what}`);
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what} not reached after ${Math.round(timeoutMs / 1000)}s${lastError ? `: ${lastError}` : ""}`);
    }
    await Bun.sleep(intervalMs);
  }
}
