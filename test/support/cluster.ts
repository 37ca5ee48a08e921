/**
 * The shared test cluster (docs/development.md#preload-and-the-shared-cluster). `getCluster()` is memoised per process and called
 * from `beforeAll` of integration/e2e files. A $KUBECONFIG is used only when it points at a
 * loopback apiserver that is ready and carries the local-cluster marker, so tests that delete
 * namespaces can never reach a real cluster; otherwise `.local/cluster` is reused or started.
 * Before handing the cluster out it installs our CRDs and the engines' CRDs (docs/development.md#preload-and-the-shared-cluster step 3).
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { KubeClient } from "../../src/kube/client";
import { resolveKubeConfig, type ResolvedKubeConfig } from "../../src/kube/config";
import { classifyError } from "../../src/kube/errors";
import type { ResourceType } from "../../src/kube/types";
import { installTestCrds } from "./crds";

export interface TestCluster {
  kubeconfigPath: string;
  apiUrl: string;
  caPem: string;
  /** Admin client; tests wrap it with `client.withObserver(recorder)` to record their calls. */
  client: KubeClient;
  runId: string;
  /** True when this process ran `up` (so only it may run `down`). */
  startedHere: boolean;
}

export const REPO_ROOT = resolve(import.meta.dir, "../..");
export const LOCAL_KUBECONFIG = join(REPO_ROOT, ".local/cluster/kubeconfig");
const MARKER = { namespace: "kube-system", name: "vworkspace-local-cluster" };
const CONFIG_MAPS: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };

let memo: Promise<TestCluster> | undefined;

export function getCluster(): Promise<TestCluster> {
  memo ??= connect().then(async (cluster) => {
    await installTestCrds(cluster.client, REPO_ROOT);
    await removeStrayOperatorWebhook(cluster.client);
    return cluster;
  }).catch((err) => {
    memo = undefined; // let the next file retry instead of caching the failure
    throw err;
  });
  return memo;
}

export function testRunId(): string {
  process.env.VWS_TEST_RUN_ID ??= Math.random().toString(36).slice(2, 8);
  return process.env.VWS_TEST_RUN_ID;
}

async function connect(): Promise<TestCluster> {
  const fromEnv = process.env.KUBECONFIG;
  if (fromEnv) {
    const rejection = await checkCluster(fromEnv);
    if (!rejection) return open(fromEnv, false);
    console.warn(`test cluster: ignoring KUBECONFIG=${fromEnv}: ${rejection}; using .local/cluster`);
  }
  let startedHere = false;
  if (!(await localClusterHealthy())) {
    await runLocalCluster(["up"]);
    startedHere = true;
  }
  const rejection = await checkCluster(LOCAL_KUBECONFIG);
  if (rejection) throw new Error(`local cluster at ${LOCAL_KUBECONFIG} is not usable: ${rejection}`);
  return open(LOCAL_KUBECONFIG, startedHere);
}

/** Why a kubeconfig must not be used by tests, or undefined when it may. */
async function checkCluster(kubeconfigPath: string): Promise<string | undefined> {
  if (!existsSync(kubeconfigPath)) return "file does not exist";
  let resolved: ResolvedKubeConfig;
  try {
    resolved = resolveKubeConfig({ kubeconfigPath, env: {} });
  } catch (err) {
    return (err as Error).message;
  }
  if (!isLoopback(resolved.server)) return `server ${resolved.server} is not loopback`;
  const client = KubeClient.fromKubeConfig(resolved, { requestTimeoutMs: 10_000 });
  try {
    const ready = await client.requestText({ method: "GET", path: "/readyz", accept: "text/plain" });
    if (ready.trim() !== "ok") return `/readyz answered ${JSON.stringify(ready.slice(0, 100))}`;
    await client.get(CONFIG_MAPS, MARKER.name, { namespace: MARKER.namespace });
  } catch (err) {
    return classifyError(err) === "notFound"
      ? `marker ConfigMap ${MARKER.namespace}/${MARKER.name} is missing`
      : `not reachable: ${(err as Error).message}`;
  }
  return undefined;
}

function open(kubeconfigPath: string, startedHere: boolean): TestCluster {
  const resolved = resolveKubeConfig({ kubeconfigPath, env: {} });
  return {
    kubeconfigPath,
    apiUrl: resolved.server,
    caPem: resolved.caPem ?? "",
    client: KubeClient.fromKubeConfig(resolved),
    runId: testRunId(),
    startedHere,
  };
}

function isLoopback(server: string): boolean {
  const host = new URL(server).hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function localClusterHealthy(): Promise<boolean> {
  const proc = Bun.spawn([process.execPath, "scripts/local-cluster.ts", "status", "--quiet"], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "ignore"],
  });
  return (await proc.exited) === 0;
}

async function runLocalCluster(args: string[]): Promise<void> {
  const proc = Bun.spawn([process.execPath, "scripts/local-cluster.ts", ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const code = await proc.exited;
  if (code !== 0) throw new Error(`bun scripts/local-cluster.ts ${args.join(" ")} exited with ${code}`);
}

const WEBHOOK_CONFIGURATIONS: ResourceType = {
  group: "admissionregistration.k8s.io",
  version: "v1",
  kind: "ValidatingWebhookConfiguration",
  plural: "validatingwebhookconfigurations",
  namespaced: false,
};

/**
 * An operator run by hand (`npm start`, a bench) against the local cluster registers its cluster-wide
 * webhook with failurePolicy Fail; once that process is gone every AI write would be refused. Tests
 * scope their own configurations, so the unscoped one never belongs to them.
 */
async function removeStrayOperatorWebhook(client: KubeClient): Promise<void> {
  try {
    await client.delete(WEBHOOK_CONFIGURATIONS, "vworkspace-operator-validating-webhook");
  } catch (err) {
    if (classifyError(err) !== "notFound") throw err;
  }
}
