/**
 * `ControllersHealthy` (docs/connectivity.md#heartbeat-and-controller-health): the Flux CRDs served and the Flux controllers Available, and
 * Velero's Deployment when Velero's CRDs are installed. Push mode also needs the admission webhooks; GitOps
 * mode also needs kustomize-controller and a Ready desired-state source (docs/connectivity.md#gitops-mode).
 * Reason precedence: ControllerMissing, then the GitOps source reasons, then ControllerDegraded; the
 * message lists every failing item, and in GitOps mode ends with a note when commit verification is off.
 */
import { HELM_RELEASE, HELM_REPOSITORY } from "../../flux/types";
import { truncateMessage } from "../../kube/conditions";
import type { KubeClient } from "../../kube/client";
import type { Discovery } from "../../kube/discovery";
import { classifyError } from "../../kube/errors";
import type { ConnectivityMode } from "../../api/cluster";
import { GIT_REPOSITORY, gitopsVerdict, KUSTOMIZATION, type GitOpsState } from "../../connectivity/gitops";
import { pushHealth } from "../../connectivity/push";
import type { HealthVerdict } from "../../connectivity/types";
import type { KubeObject, ResourceType } from "../../kube/types";

const DEPLOYMENT: ResourceType = { group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true };
const VELERO_BACKUPS = { group: "velero.io", version: "v1", plural: "backups" };

export type { HealthVerdict };

/** The verdict, and in GitOps mode the state of the desired-state source for the connectivity gauge. */
export interface ModeHealth extends HealthVerdict {
  gitops?: GitOpsState;
}

export interface HealthSettings {
  fluxNamespace: string;
  veleroNamespace: string;
  /** The operator namespace: where the GitOps source lives unless `gitopsSource` names another. */
  namespace: string;
  gitopsSource: { namespace: string; name: string };
  webhooksEnabled: boolean;
}

type Check = { item: string; state: "ok" | "missing" | "degraded" };

/** The verdict for `mode`; `clusterId` is the registered or declared id the GitOps path must name. */
export async function controllersHealthy(
  client: Pick<KubeClient, "get">,
  discovery: Pick<Discovery, "isServed">,
  settings: HealthSettings,
  mode: ConnectivityMode,
  clusterId: string | undefined,
  signal?: AbortSignal,
): Promise<ModeHealth> {
  const checks = await controllerChecks(client, discovery, settings, signal);
  if (mode === "push") return pushHealth(verdict(checks), settings.webhooksEnabled);
  if (mode !== "gitops") return verdict(checks);
  checks.push(await deploymentCheck(client, settings.fluxNamespace, "kustomize-controller", signal));
  const namespace = settings.gitopsSource.namespace || settings.namespace;
  const name = settings.gitopsSource.name;
  const source = `${namespace}/${name}`;
  const [gitRepository, kustomization] = await Promise.all([GIT_REPOSITORY, KUSTOMIZATION].map((type) => optional(client, type, namespace, name, signal)));
  const flux = gitopsVerdict({ source, gitRepository, kustomization, clusterId });
  const base = verdict(checks);
  const chosen = base.reason === "ControllerMissing" || !flux.problem ? base : flux.problem;
  return { ...chosen, message: flux.note ? truncateMessage(`${chosen.message}; ${flux.note}`) : chosen.message, gitops: flux.state };
}

async function controllerChecks(
  client: Pick<KubeClient, "get">,
  discovery: Pick<Discovery, "isServed">,
  settings: { fluxNamespace: string; veleroNamespace: string },
  signal?: AbortSignal,
): Promise<Check[]> {
  const checks: Check[] = [];
  for (const type of [HELM_RELEASE, HELM_REPOSITORY]) {
    checks.push({ item: `CRD ${type.plural}.${type.group}`, state: (await discovery.isServed(type, signal)) ? "ok" : "missing" });
  }
  for (const name of ["helm-controller", "source-controller"]) checks.push(await deploymentCheck(client, settings.fluxNamespace, name, signal));
  if (await discovery.isServed(VELERO_BACKUPS, signal)) checks.push(await deploymentCheck(client, settings.veleroNamespace, "velero", signal));
  return checks;
}

/** The object, or undefined when it (or its CRD) does not exist. */
async function optional(client: Pick<KubeClient, "get">, type: ResourceType, namespace: string, name: string, signal?: AbortSignal): Promise<KubeObject | undefined> {
  try {
    return await client.get(type, name, { namespace, ...(signal ? { signal } : {}) });
  } catch (err) {
    if (classifyError(err) === "notFound") return undefined;
    throw new Error(`reading ${type.kind} ${namespace}/${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export function verdict(checks: readonly Check[]): HealthVerdict {
  const missing = checks.filter((check) => check.state === "missing").map((check) => `${check.item} missing`);
  const degraded = checks.filter((check) => check.state === "degraded").map((check) => `${check.item} not available`);
  if (missing.length === 0 && degraded.length === 0) return { status: "True", reason: "AllControllersReady", message: "required controllers are available" };
  return { status: "False", reason: missing.length > 0 ? "ControllerMissing" : "ControllerDegraded", message: truncateMessage([...missing, ...degraded].join("; ")) };
}

async function deploymentCheck(client: Pick<KubeClient, "get">, namespace: string, name: string, signal?: AbortSignal): Promise<Check> {
  const item = `Deployment ${namespace}/${name}`;
  let deployment: KubeObject;
  try {
    deployment = await client.get(DEPLOYMENT, name, { namespace, ...(signal ? { signal } : {}) });
  } catch (err) {
    if (classifyError(err) === "notFound") return { item, state: "missing" };
    return { item, state: "degraded" };
  }
  const conditions = (deployment.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  const available = conditions.some((condition) => condition.type === "Available" && condition.status === "True");
  return { item, state: available ? "ok" : "degraded" };
}
