/**
 * A private control plane (kine + kube-apiserver, no KCM) for tests that kill the API server or its
 * store (docs/development.md#fault-and-bad-input-tests); the shared cluster is never disturbed. Our CRDs are installed on it.
 */
import { join } from "node:path";
import { readEnvFile } from "../../scripts/local-cluster";
import { startPlane, type ControlPlane } from "../../scripts/lib/controlplane";
import { KubeClient } from "../../src/kube/client";
import { resolveKubeConfig } from "../../src/kube/config";
import { installCrds } from "../../src/manager/crds";
import { REPO_ROOT } from "./cluster";

export interface PrivatePlane {
  plane: ControlPlane;
  client: KubeClient;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

export async function startPrivatePlane(slug: string, extraArgs?: { store?: string[]; apiserver?: string[] }): Promise<PrivatePlane> {
  const env = { ...readEnvFile(join(REPO_ROOT, ".local/k8s-bins.env")), ...process.env };
  const kubeApiserver = env.VWS_BIN_KUBE_APISERVER;
  const kine = env.VWS_BIN_KINE;
  if (!kubeApiserver || !kine) throw new Error("private plane: kube-apiserver or kine not built; run `bash scripts/k8s-bins.sh`");
  const stateDir = join(REPO_ROOT, ".local/test-logs/planes", `${slug}-${Math.random().toString(36).slice(2, 7)}`);
  const plane = await startPlane({ stateDir, bins: { kubeApiserver, kine }, withKcm: false, store: "kine", ...(extraArgs ? { extraArgs } : {}) });
  const client = KubeClient.fromKubeConfig(resolveKubeConfig({ kubeconfigPath: plane.kubeconfigPath, env: {} }));
  await installCrds(client);
  return { plane, client, kubeconfigPath: plane.kubeconfigPath, stop: () => plane.stop() };
}
