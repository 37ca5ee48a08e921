/**
 * Runs the operator for a test: in-process through the library entry (integration), or as the compiled
 * binary (e2e). Both listen on 127.0.0.1:0 and report their bound addresses.
 */
import { spawnSync, type Subprocess } from "bun";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ApiCallObserver } from "../../src/kube/api-calls";
import { connectionFrom, resolveKubeConfig } from "../../src/kube/config";
import { operatorConfig, type OperatorConfig } from "../../src/manager/config";
import { DEFAULT_WEBHOOK_CONFIG } from "../../src/webhook/config";
import { createOperator, type ControllerFactory, type Operator } from "../../src/manager/operator";
import { createLogger } from "../../src/observability/logger";
import { eventually } from "./eventually";
import { LogCapture, jsonLine } from "./logs";

const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist/vworkspace-operator");

export interface InProcessOperator {
  operator: Operator;
  logs: LogCapture;
  stop(): Promise<void>;
}

export async function startOperatorInProcess(options: {
  kubeconfigPath: string;
  config?: Partial<OperatorConfig>;
  controllers?: ControllerFactory[];
  logFile?: string;
  /** Records every API call of the operator (e.g. to prove which Secrets it read). */
  apiObserver?: ApiCallObserver;
}): Promise<InProcessOperator> {
  const logs = new LogCapture(options.logFile);
  const logger = createLogger({ level: "debug", destination: logs });
  // The webhook stays off unless a test scopes it (docs/development.md#admission-webhooks-through-the-real-api-server): an unscoped one would gate every write.
  const webhook = { ...DEFAULT_WEBHOOK_CONFIG, enabled: false };
  const config = operatorConfig({ healthProbeBindAddress: "127.0.0.1:0", metricsBindAddress: "127.0.0.1:0", shutdownTimeoutMs: 10_000, webhook, ...options.config });
  const connection = connectionFrom(resolveKubeConfig({ kubeconfigPath: options.kubeconfigPath }));
  const operator = createOperator(config, { logger, connection, ...(options.controllers ? { controllers: options.controllers } : {}), ...(options.apiObserver ? { apiObserver: options.apiObserver } : {}) });
  await operator.start();
  return { operator, logs, stop: () => operator.stop() };
}

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** dist/vworkspace-operator is missing or older than a source file. */
export function operatorBinaryStale(): boolean {
  return !existsSync(BINARY) || statSync(BINARY).mtimeMs < Math.max(newestSourceMtime(join(ROOT, "src")), statSync(join(ROOT, "package.json")).mtimeMs);
}

/** Builds dist/vworkspace-operator when it is missing or older than any source file. */
export function ensureBinary(): string {
  if (operatorBinaryStale()) {
    const build = spawnSync(["bash", join(ROOT, "scripts/build.sh")], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if (build.exitCode !== 0) throw new Error(`building the operator binary failed:\n${build.stderr.toString()}`);
  }
  return BINARY;
}

export interface BinaryOperator {
  process: Subprocess;
  logs: LogCapture;
  healthUrl: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  kill(): Promise<void>;
}

// A bench or test that dies (an uncaught error, a timeout's SIGTERM) must not leave an unscoped operator
// reconciling the shared cluster behind it: its children go with it.
const children = new Set<Subprocess>();
let reaperInstalled = false;
function reapWithParent(proc: Subprocess): void {
  children.add(proc);
  void proc.exited.then(() => children.delete(proc));
  if (reaperInstalled) return;
  reaperInstalled = true;
  const killAll = () => children.forEach((child) => child.kill("SIGKILL"));
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(128 + (signal === "SIGINT" ? 2 : 15));
    });
  }
}

/** `binary` defaults to this checkout's host build (rebuilt when stale); a release test passes its own. */
export async function startOperatorBinary(options: { args: string[]; env?: Record<string, string>; logFile: string; waitReady?: boolean; binary?: string }): Promise<BinaryOperator> {
  const logs = new LogCapture(options.logFile);
  const proc = Bun.spawn([options.binary ?? ensureBinary(), "run", "--health-probe-bind-address=127.0.0.1:0", "--webhooks-enabled=false", ...options.args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  reapWithParent(proc);
  void pipe(proc.stdout, logs);
  void pipe(proc.stderr, logs);
  const exited = proc.exited;
  const line = await Promise.race([
    logs.waitFor((candidate) => typeof jsonLine(candidate)?.healthAddress === "string", 30_000),
    exited.then((code) => Promise.reject(new Error(`operator exited with ${code} before serving health probes:\n${logs.tail(30)}`))),
  ]);
  const healthUrl = jsonLine(line)?.healthAddress as string;
  if (options.waitReady ?? true) {
    await eventually(async () => (await fetch(`${healthUrl}/readyz`)).status === 200, { what: "operator /readyz 200", timeoutMs: 30_000 });
  }
  return {
    process: proc,
    logs,
    healthUrl,
    async stop(graceMs = 15_000) {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      proc.kill("SIGKILL");
      await exited;
    },
  };
}

async function pipe(stream: ReadableStream<Uint8Array>, logs: LogCapture): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) logs.write(decoder.decode(chunk, { stream: true }));
}
