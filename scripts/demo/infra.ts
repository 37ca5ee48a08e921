/**
 * The demo's moving parts, started and stopped: the binaries (built when missing), a private local cluster,
 * Flux with a loopback chart repository, the reference control plane and the compiled operator.
 */
import { appendFileSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { customResourceDefinitions } from "../../src/api/crd/generate";
import { TENANT_CLUSTER_ROLE } from "../../src/api/tenant";
import { AdminClient } from "../../src/controlplane/admin-client";
import { CONTROL_PLANE_DEFAULTS } from "../../src/controlplane/config";
import { startControlPlane } from "../../src/controlplane/server";
import { NAMESPACE } from "../../src/engines/common/resources";
import { applyObject } from "../../src/kube/apply";
import { KubeClient } from "../../src/kube/client";
import { resolveKubeConfig } from "../../src/kube/config";
import type { KubeObject } from "../../src/kube/types";
import { CRD_TYPE, crdEstablished } from "../../src/manager/crds";
import { createLogger } from "../../src/observability/logger";
import { REPO_ROOT } from "../../test/support/cluster";
import { thirdPartyCrds } from "../../test/support/crds";
import { fluxBinaries, serveChartRepository, startFlux } from "../../test/support/flux";
import { BINARY, operatorBinaryStale } from "../../test/support/operator";
import { CLUSTER_ROLES, renderTenantClusterRole } from "../../test/support/tenant";
import { freePort } from "../lib/ports";
import { checkInterrupted, need, type DemoContext } from "./context";
import { FIRST_VERSION, UPGRADE_VERSION } from "./objects";

export const OPERATOR_NAMESPACE = "vworkspace-system";
const FIELD_MANAGER = "vws-demo";

/**
 * Runs a command, each output line a progress line; throws with the last lines on a non-zero exit.
 * `ownSession` keeps a terminal's Ctrl-C away from it: the cluster's start is left to finish, then stopped.
 */
async function runForwarded(context: DemoContext, command: string[], options: { env?: Record<string, string>; ownSession?: boolean } = {}): Promise<void> {
  const proc = Bun.spawn(command, { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdout: "pipe", stderr: "pipe", detached: options.ownSession ?? false });
  const recent: string[] = [];
  const forward = async (stream: ReadableStream<Uint8Array>) => {
    let partial = "";
    const decoder = new TextDecoder();
    const emit = (line: string) => {
      if (line.trim() === "") return;
      context.progress(line);
      recent.push(line);
      if (recent.length > 20) recent.shift();
    };
    for await (const chunk of stream) {
      const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = lines.pop() ?? "";
      lines.forEach(emit);
    }
    emit(partial);
  };
  const [code] = await Promise.all([proc.exited, forward(proc.stdout), forward(proc.stderr)]);
  if (code !== 0) throw new Error(`${command.join(" ")} exited with ${code}:\n${recent.join("\n")}`);
}

const bun = process.execPath;

export async function buildWhatIsMissing(context: DemoContext): Promise<string> {
  context.progress("Kubernetes, Flux and helm binaries (scripts/k8s-bins.sh; a first run on a machine compiles them: 10–20 min)");
  await runForwarded(context, ["bash", "scripts/k8s-bins.sh", ...(context.settings.withNode ? ["--with-node"] : [])]);
  if (!operatorBinaryStale()) return "binaries cached, dist/vworkspace-operator current";
  context.progress("compiling dist/vworkspace-operator (scripts/build.sh)");
  await runForwarded(context, ["bash", "scripts/build.sh"]);
  return `binaries cached, dist/vworkspace-operator compiled (${(statSync(BINARY).size / 2 ** 20).toFixed(0)} MiB)`;
}

const clusterEnv = (context: DemoContext) => ({ VWS_CLUSTER_DIR: context.settings.clusterDir });

export async function startCluster(context: DemoContext): Promise<string> {
  const { settings, state } = context;
  context.progress(`private cluster in ${relative(REPO_ROOT, settings.clusterDir)}${settings.withNode ? " with a node (containerd, kubelet)" : " (no node)"}`);
  state.clusterStarted = true;
  await runForwarded(context, [bun, "scripts/local-cluster.ts", "up", ...(settings.withNode ? ["--with-node"] : [])], { env: clusterEnv(context), ownSession: true });
  checkInterrupted(context);
  state.kubeconfigPath = join(settings.clusterDir, "kubeconfig");
  state.client = KubeClient.fromKubeConfig(resolveKubeConfig({ kubeconfigPath: state.kubeconfigPath, env: {} }));
  const fluxCrds = thirdPartyCrds(REPO_ROOT).filter((crd) => crd.metadata.name.endsWith(".toolkit.fluxcd.io"));
  const crds = [...(customResourceDefinitions() as unknown as KubeObject[]), ...fluxCrds];
  const client = state.client;
  await Promise.all(crds.map((crd) => applyObject(client, CRD_TYPE, crd, { fieldManager: FIELD_MANAGER, force: true })));
  context.progress(`${crds.length} CRDs applied (ours and Flux's); waiting for the API server to serve them`);
  await Promise.all(crds.map((crd) => waitForCrd(context, crd.metadata.name)));
  context.progress("CRDs established");
  // The ClusterRole Flux installs tenant charts with, and the operator's own namespace: an administrator's part.
  await applyObject(state.client, CLUSTER_ROLES, renderTenantClusterRole(), { fieldManager: FIELD_MANAGER, force: true });
  await applyObject(state.client, NAMESPACE, { apiVersion: "v1", kind: "Namespace", metadata: { name: OPERATOR_NAMESPACE } }, { fieldManager: FIELD_MANAGER, force: true });
  return `${resolveKubeConfig({ kubeconfigPath: state.kubeconfigPath, env: {} }).server}${settings.withNode ? " + node vws-node" : ""}, ${crds.length} CRDs, ClusterRole ${TENANT_CLUSTER_ROLE}`;
}

async function waitForCrd(context: DemoContext, name: string): Promise<void> {
  const client = need(context.state.client, "the cluster");
  const deadline = Date.now() + context.settings.stepTimeoutMs;
  // Establishing takes milliseconds; a get right after the apply nearly always sees it.
  while (!crdEstablished(await client.get(CRD_TYPE, name))) {
    checkInterrupted(context);
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established within ${Math.round(context.settings.stepTimeoutMs / 1000)} s`);
    await Bun.sleep(50);
  }
}

export async function startFluxAndCharts(context: DemoContext): Promise<string> {
  const { settings, state } = context;
  const binaries = fluxBinaries();
  if (!binaries) throw new Error("source-controller and helm-controller were not built (VWS_FLUX_AVAILABLE=0 in .local/k8s-bins.env); rerun bash scripts/k8s-bins.sh");
  // Each run's logs alone: Flux, the control plane and the operator append to them.
  rmSync(join(settings.workDir, "logs"), { recursive: true, force: true });
  mkdirSync(join(settings.workDir, "logs"), { recursive: true });
  state.charts = serveChartRepository({ helm: binaries.helm, name: "demo", versions: [FIRST_VERSION, UPGRADE_VERSION] });
  context.progress(`chart repository ${state.charts.url}: vws-test ${FIRST_VERSION} and ${UPGRADE_VERSION}`);
  context.progress("source-controller and helm-controller starting (out of cluster, on 127.0.0.1)");
  state.flux = await startFlux({ binaries, kubeconfigPath: need(state.kubeconfigPath, "the cluster"), name: "demo", logDir: join(settings.workDir, "logs") });
  return `source-controller + helm-controller ready, charts at ${state.charts.url}`;
}

export async function startReferenceControlPlane(context: DemoContext): Promise<string> {
  const { settings, state } = context;
  const logFile = join(settings.workDir, "logs", "control-plane.log");
  const logger = createLogger({ name: "control-plane", level: "info", destination: { write: (line: string) => appendFileSync(logFile, line) } });
  const adminToken = crypto.randomUUID();
  const db = join(settings.workDir, "control-plane.sqlite");
  // A fresh plane per run: the cluster is fresh too, so an old registration would only confuse.
  for (const file of [db, `${db}-wal`, `${db}-shm`]) rmSync(file, { force: true });
  state.plane = await startControlPlane({ ...CONTROL_PLANE_DEFAULTS, hostname: "127.0.0.1", port: 0, db, gitopsDir: join(settings.workDir, "control-plane-gitops"), adminToken }, logger);
  state.admin = new AdminClient({ url: state.plane.url, adminToken });
  return `${state.plane.url}, SQLite in ${relative(REPO_ROOT, settings.workDir)}`;
}

export async function startOperator(context: DemoContext): Promise<string> {
  const { settings, state } = context;
  const logFile = join(settings.workDir, "logs", "operator.log");
  const webhookPort = await freePort();
  const args = [
    "run",
    `--kubeconfig=${need(state.kubeconfigPath, "the cluster")}`,
    `--namespace=${OPERATOR_NAMESPACE}`,
    "--install-crds",
    "--health-probe-bind-address=127.0.0.1:0",
    "--metrics-bind-address=0",
    // The private API server reaches the admission webhook on loopback, not through a Service.
    "--webhook-host=127.0.0.1",
    `--webhook-port=${webhookPort}`,
    "--webhook-url-host=127.0.0.1",
  ];
  const proc = Bun.spawn([BINARY, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root" }, stdout: "pipe", stderr: "pipe" });
  state.operator = proc;
  const healthUrl = await firstHealthAddress(proc, logFile, settings.stepTimeoutMs);
  context.progress(`pid ${proc.pid}, health ${healthUrl}, logs ${relative(REPO_ROOT, logFile)}`);
  const deadline = Date.now() + settings.stepTimeoutMs;
  while ((await fetch(`${healthUrl}/readyz`).catch(() => undefined))?.status !== 200) {
    checkInterrupted(context);
    if (proc.exitCode !== null) throw new Error(`the operator exited with ${proc.exitCode}; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`the operator's /readyz did not answer 200 within ${Math.round(settings.stepTimeoutMs / 1000)} s; see ${logFile}`);
    await Bun.sleep(100);
  }
  return `dist/vworkspace-operator ready (webhook on 127.0.0.1:${webhookPort})`;
}

/** Copies the operator's output into its log file and resolves with the health address it logs at start. */
function firstHealthAddress(proc: Bun.Subprocess<"ignore" | "inherit" | "pipe", "pipe", "pipe">, logFile: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the operator logged no health address within ${Math.round(timeoutMs / 1000)} s; see ${logFile}`)), timeoutMs);
    const copy = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        const text = decoder.decode(chunk, { stream: true });
        appendFileSync(logFile, text);
        const address = /"healthAddress":"([^"]+)"/.exec(text)?.[1];
        if (address) {
          clearTimeout(timer);
          resolve(address);
        }
      }
    };
    void copy(proc.stdout);
    void copy(proc.stderr);
    void proc.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the operator exited with ${code} at start; see ${logFile}`));
    });
  });
}

/** Stops what the demo started, newest first; returns what it did, and collects failures instead of stopping at one. */
export async function stopEverything(context: DemoContext): Promise<string> {
  const { state } = context;
  const stopped: string[] = [];
  const failures: string[] = [];
  const attempt = async (what: string, stop: () => Promise<unknown>) => {
    try {
      await stop();
      stopped.push(what);
    } catch (err) {
      failures.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const operator = state.operator;
  if (operator) {
    await attempt("operator", async () => {
      operator.kill("SIGTERM");
      const timer = setTimeout(() => operator.kill("SIGKILL"), 20_000);
      await operator.exited;
      clearTimeout(timer);
    });
  }
  if (state.plane) await attempt("control plane", () => need(state.plane, "control plane").stop());
  if (state.flux) await attempt("Flux", () => need(state.flux, "Flux").stop());
  if (state.charts) await attempt("chart repository", async () => need(state.charts, "charts").stop());
  if (state.clusterStarted) await attempt("cluster", () => runForwarded(context, [bun, "scripts/local-cluster.ts", "down"], { env: clusterEnv(context), ownSession: true }));
  Object.assign(state, { operator: undefined, plane: undefined, flux: undefined, charts: undefined, clusterStarted: false });
  if (failures.length > 0) throw new Error(`teardown incomplete: ${failures.join("; ")}`);
  return stopped.length > 0 ? `stopped ${stopped.join(", ")}` : "nothing was running";
}
