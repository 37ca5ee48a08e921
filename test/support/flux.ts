/**
 * Real Flux for end-to-end tests (docs/development.md#real-flux-end-to-end): source-controller and helm-controller run out of
 * cluster against the local apiserver, every listener on 127.0.0.1; a loopback Helm repository
 * serves the `vws-test` fixture chart packaged at the versions a test asks for.
 */
import { spawnSync, type Subprocess } from "bun";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./cluster";
import { eventually } from "./eventually";
import { k8sBinsEnv } from "./k8s-bins";
import { LogCapture } from "./logs";

export interface FluxBinaries {
  sourceController: string;
  helmController: string;
  helm: string;
}

/** Paths from `.local/k8s-bins.env`; undefined when Flux was not built (VWS_FLUX_AVAILABLE=0). */
export function fluxBinaries(): FluxBinaries | undefined {
  const env = k8sBinsEnv();
  if (env.VWS_FLUX_AVAILABLE === "0") return undefined;
  const [sourceController, helmController, helm] = [env.VWS_BIN_SOURCE_CONTROLLER, env.VWS_BIN_HELM_CONTROLLER, env.VWS_BIN_HELM];
  return sourceController && helmController && helm ? { sourceController, helmController, helm } : undefined;
}

/** A port the kernel just handed out on 127.0.0.1 (closed again; Flux binds it right after). */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = listener;
  listener.stop(true);
  return port;
}

// Shrunk from 30 s: a HelmRelease waiting on its HelmChart is re-checked at this interval (docs/development.md#principles).
const REQUEUE_DEPENDENCY = "--requeue-dependency=2s";

export interface RunningFlux {
  logs: { source: LogCapture; helm: LogCapture };
  stop(): Promise<void>;
}

/**
 * `sourceEnv` reaches source-controller only, e.g. SSL_CERT_FILE naming a test CA for a TLS registry.
 * `logDir` defaults to .local/test-logs/flux/<name> (`npm run demo` keeps its own).
 */
export async function startFlux(options: { binaries: FluxBinaries; kubeconfigPath: string; name: string; sourceEnv?: Record<string, string>; logDir?: string }): Promise<RunningFlux> {
  const logDir = options.logDir ?? join(REPO_ROOT, ".local/test-logs/flux", options.name);
  const storage = join(REPO_ROOT, ".local/flux/storage", options.name);
  rmSync(storage, { recursive: true, force: true });
  mkdirSync(storage, { recursive: true });
  const storageAddr = `127.0.0.1:${freePort()}`;
  const sourceHealth = `127.0.0.1:${freePort()}`;
  const helmHealth = `127.0.0.1:${freePort()}`;
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", KUBECONFIG: options.kubeconfigPath };
  const logs = { source: new LogCapture(join(logDir, "source-controller.log")), helm: new LogCapture(join(logDir, "helm-controller.log")) };
  const { spawn, stop } = controllerProcesses(env);
  try {
    spawn(
      [
        options.binaries.sourceController,
        `--storage-path=${storage}`,
        `--storage-addr=${storageAddr}`,
        `--storage-adv-addr=${storageAddr}`,
        "--metrics-addr=0",
        `--health-addr=${sourceHealth}`,
        "--watch-all-namespaces=true",
        REQUEUE_DEPENDENCY,
      ],
      options.sourceEnv ?? {},
      logs.source,
    );
    spawn(
      [options.binaries.helmController, "--metrics-addr=0", `--health-addr=${helmHealth}`, "--watch-all-namespaces=true", REQUEUE_DEPENDENCY],
      { SOURCE_CONTROLLER_LOCALHOST: storageAddr },
      logs.helm,
    );
    for (const health of [sourceHealth, helmHealth]) {
      await eventually(async () => (await fetch(`http://${health}/readyz`)).status === 200, { what: `Flux /readyz on ${health}`, timeoutMs: 60_000 });
    }
  } catch (err) {
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nsource-controller:\n${logs.source.tail(20)}\nhelm-controller:\n${logs.helm.tail(20)}`);
  }
  return { logs, stop };
}

/** Flux controllers as child processes: output into a LogCapture each, SIGTERM then SIGKILL after 10 s on stop. */
export function controllerProcesses(env: Record<string, string>): {
  spawn(command: string[], extraEnv: Record<string, string>, capture: LogCapture): void;
  stop(): Promise<void>;
} {
  const processes: Subprocess[] = [];
  return {
    spawn(command, extraEnv, capture) {
      const proc = Bun.spawn(command, { env: { ...env, ...extraEnv }, stdout: "pipe", stderr: "pipe" });
      void pipe(proc.stdout, capture);
      void pipe(proc.stderr, capture);
      processes.push(proc);
    },
    async stop() {
      for (const proc of processes) proc.kill("SIGTERM");
      await Promise.all(
        processes.map(async (proc) => {
          const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
          await proc.exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}

export interface ChartRepository {
  url: string;
  stop(): void;
}

/**
 * Packages the `vws-test` fixture chart at each of `versions` (and each chart of `otherCharts`, e.g.
 * `{ "vws-escalate": ["0.1.0"] }`, at its versions), indexes them, and serves the directory on 127.0.0.1.
 */
export function serveChartRepository(options: { helm: string; name: string; versions: readonly string[]; otherCharts?: Readonly<Record<string, readonly string[]>> }): ChartRepository {
  const dir = join(REPO_ROOT, ".local/charts", options.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  packageFixtureChart(options.helm, dir, options.versions);
  for (const [chart, versions] of Object.entries(options.otherCharts ?? {})) packageFixtureChart(options.helm, dir, versions, chart);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const name = new URL(request.url).pathname.replace(/^\/+/, "");
      const file = Bun.file(join(dir, name));
      if (name === "" || name.includes("/") || !(await file.exists())) return new Response("not found", { status: 404 });
      return new Response(file);
    },
  });
  const url = `http://127.0.0.1:${server.port}`;
  helm(options.helm, ["repo", "index", dir, "--url", url]);
  return { url, stop: () => void server.stop(true) };
}

/** Packages a fixture chart of test/fixtures/charts (default `vws-test`) at each version into `dir`; returns the archive paths. */
export function packageFixtureChart(helmBinary: string, dir: string, versions: readonly string[], chart = "vws-test"): string[] {
  const source = join(REPO_ROOT, "test/fixtures/charts", chart);
  for (const version of versions) helm(helmBinary, ["package", source, "--version", version, "--destination", dir]);
  return versions.map((version) => join(dir, `${chart}-${version}.tgz`));
}

export function helm(binary: string, args: string[], env: Record<string, string | undefined> = process.env): void {
  const result = spawnSync([binary, ...args], { env, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`helm ${args.join(" ")} failed: ${result.stderr.toString()}`);
}

export async function pipe(stream: ReadableStream<Uint8Array>, logs: LogCapture): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) logs.write(decoder.decode(chunk, { stream: true }));
}
