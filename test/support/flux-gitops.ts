/**
 * Real Flux for GitOps tests: source-controller and kustomize-controller out of cluster against the local
 * apiserver, every listener on 127.0.0.1 (the helm-controller pair lives in flux.ts). kustomize-controller
 * fetches artifacts from source-controller's loopback storage address, which the GitRepository advertises.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { GIT_REPOSITORY, KUSTOMIZATION } from "../../src/connectivity/gitops";
import type { KubeClient } from "../../src/kube/client";
import { REPO_ROOT } from "./cluster";
import { eventually } from "./eventually";
import { controllerProcesses, freePort } from "./flux";
import { k8sBinsEnv } from "./k8s-bins";
import { LogCapture } from "./logs";
import { getIfPresent } from "./objects";

export interface GitOpsFluxBinaries {
  sourceController: string;
  kustomizeController: string;
}

/** Undefined when either controller was not built (VWS_BIN_KUSTOMIZE_CONTROLLER comes from scripts/k8s-bins.sh). */
export function gitOpsFluxBinaries(): GitOpsFluxBinaries | undefined {
  const env = k8sBinsEnv();
  const [sourceController, kustomizeController] = [env.VWS_BIN_SOURCE_CONTROLLER, env.VWS_BIN_KUSTOMIZE_CONTROLLER];
  return sourceController && kustomizeController ? { sourceController, kustomizeController } : undefined;
}

export interface RunningGitOpsFlux {
  logs: { source: LogCapture; kustomize: LogCapture };
  stop(): Promise<void>;
}

/**
 * Both controllers watch `namespace` only (where the GitRepository and Kustomization live), so parallel
 * test runs with their own Flux do not reconcile each other's sources.
 */
export async function startGitOpsFlux(options: { binaries: GitOpsFluxBinaries; kubeconfigPath: string; name: string; namespace: string }): Promise<RunningGitOpsFlux> {
  const logDir = join(REPO_ROOT, ".local/test-logs/flux", options.name);
  const storage = join(REPO_ROOT, ".local/flux/storage", options.name);
  rmSync(storage, { recursive: true, force: true });
  mkdirSync(storage, { recursive: true });
  const storageAddr = `127.0.0.1:${freePort()}`;
  const health = { source: `127.0.0.1:${freePort()}`, kustomize: `127.0.0.1:${freePort()}` };
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", KUBECONFIG: options.kubeconfigPath, RUNTIME_NAMESPACE: options.namespace };
  const logs = { source: new LogCapture(join(logDir, "source-controller.log")), kustomize: new LogCapture(join(logDir, "kustomize-controller.log")) };
  const { spawn, stop } = controllerProcesses(env);
  try {
    spawn(
      [options.binaries.sourceController, `--storage-path=${storage}`, `--storage-addr=${storageAddr}`, `--storage-adv-addr=${storageAddr}`, "--metrics-addr=0", `--health-addr=${health.source}`, "--watch-all-namespaces=false"],
      {},
      logs.source,
    );
    spawn([options.binaries.kustomizeController, "--metrics-addr=0", `--health-addr=${health.kustomize}`, "--watch-all-namespaces=false", "--requeue-dependency=2s"], {}, logs.kustomize);
    for (const address of Object.values(health)) {
      await eventually(async () => (await fetch(`http://${address}/readyz`)).status === 200, { what: `Flux /readyz on ${address}`, timeoutMs: 60_000 });
    }
  } catch (err) {
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nsource-controller:\n${logs.source.tail(20)}\nkustomize-controller:\n${logs.kustomize.tail(20)}`);
  }
  return { logs, stop };
}

/**
 * Deletes the Kustomization, then the GitRepository `name` while Flux still runs (it removes its own
 * finalizers), stops Flux, and strips whatever finalizer is left (Flux gone early).
 */
export async function removeGitOpsSource(client: KubeClient, namespace: string, name: string, flux: RunningGitOpsFlux | undefined): Promise<void> {
  for (const type of [KUSTOMIZATION, GIT_REPOSITORY]) {
    await client.delete(type, name, { namespace }).catch(() => undefined);
    const gone = async () => (await getIfPresent(client, type, name, namespace)) === undefined;
    await eventually(gone, { what: `${type.kind} deleted`, timeoutMs: 60_000 }).catch(() => undefined);
  }
  await flux?.stop();
  for (const type of [KUSTOMIZATION, GIT_REPOSITORY]) {
    await client.patch(type, name, { type: "merge", body: { metadata: { finalizers: [] } } }, { namespace }).catch(() => undefined);
  }
}
