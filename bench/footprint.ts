/**
 * bench/footprint: binary size, time from exec to /readyz 200, and RSS after 60 s idle against the local
 * cluster. Targets (issue 2): ready ≤ 0.5 s after the API server answers, idle RSS ≤ 60 MiB.
 * Usage: bun bench/footprint.ts [--idle-seconds=60] [--runs=5] [--binary=dist/vworkspace-operator]
 */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { KubeClient } from "../src/kube/client";
import { connectionFrom, resolveKubeConfig } from "../src/kube/config";

const ROOT = resolve(import.meta.dir, "..");
const KUBECONFIG = process.env.KUBECONFIG ?? resolve(ROOT, ".local/cluster/kubeconfig");
const flag = (name: string, fallback: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const BINARY = resolve(ROOT, flag("binary", "dist/vworkspace-operator"));
const idleSeconds = Number(flag("idle-seconds", "60"));
const runs = Number(flag("runs", "5"));

const client = new KubeClient({ connection: connectionFrom(resolveKubeConfig({ kubeconfigPath: KUBECONFIG })) });

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((candidate) => candidate.startsWith("VmRSS:"));
  return Number(line?.replace(/\D+/g, "")) / 1024;
}

/** Time for one authenticated GET /readyz on the API server: what "the API server answers" costs. */
async function apiServerAnswerMs(): Promise<number> {
  const started = performance.now();
  await client.requestText({ method: "GET", path: "/readyz" });
  return performance.now() - started;
}

async function startAndWaitReady(port: number): Promise<{ proc: ReturnType<typeof Bun.spawn>; readyMs: number }> {
  const started = performance.now();
  const proc = Bun.spawn([BINARY, "run", `--health-probe-bind-address=127.0.0.1:${port}`, "--leader-elect", "--namespace=default", "--leader-election-id=bench-footprint", "--webhooks-enabled=false"], {
    env: { ...process.env, KUBECONFIG },
    stdout: "ignore",
    stderr: "ignore",
  });
  for (let attempt = 0; attempt < 3000; attempt++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((response) => response.status === 200, () => false);
    if (ok) return { proc, readyMs: performance.now() - started };
    await Bun.sleep(5);
  }
  proc.kill("SIGKILL");
  throw new Error("operator did not become ready within 15 s");
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const sizeMiB = statSync(BINARY).size / 1024 / 1024;
const apiMs: number[] = [];
const readyMs: number[] = [];
for (let run = 0; run < runs; run++) {
  apiMs.push(await apiServerAnswerMs());
  const { proc, readyMs: ms } = await startAndWaitReady(39_000 + run);
  readyMs.push(ms);
  proc.kill("SIGTERM");
  await proc.exited;
}
const { proc } = await startAndWaitReady(39_100);
await Bun.sleep(idleSeconds * 1000);
const idleRss = rssMiB(proc.pid);
proc.kill("SIGTERM");
const exitCode = await proc.exited;

console.log(`binary size:             ${sizeMiB.toFixed(1)} MiB`);
console.log(`API server answers in:   median ${percentile(apiMs, 50).toFixed(1)} ms`);
console.log(`exec → /readyz 200:      median ${percentile(readyMs, 50).toFixed(0)} ms, max ${Math.max(...readyMs).toFixed(0)} ms over ${runs} runs (target ≤ 500 ms)`);
console.log(`RSS after ${idleSeconds}s idle:     ${idleRss.toFixed(1)} MiB (target ≤ 60 MiB)`);
console.log(`exit code on SIGTERM:    ${exitCode}`);
