/**
 * `ControllersHealthy` (docs/connectivity.md#heartbeat-and-controller-health): the Flux CRDs served and the Flux controllers Available, and
 * Velero's Deployment when Velero's CRDs are installed. Reason precedence: ControllerMissing, then
 * ControllerDegraded; the message lists every failing item.
 */
import { HELM_RELEASE, HELM_REPOSITORY } from "../../flux/types";
import { truncateMessage } from "../../kube/conditions";
import type { KubeClient } from "../../kube/client";
import type { Discovery } from "../../kube/discovery";
import { classifyError } from "../../kube/errors";
import type { ConditionStatus, KubeObject, ResourceType } from "../../kube/types";

const DEPLOYMENT: ResourceType = { group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true };
const VELERO_BACKUPS = { group: "velero.io", version: "v1", plural: "backups" };

export interface HealthVerdict {
  status: ConditionStatus;
  reason: string;
  message: string;
}

type Check = { item: string; state: "ok" | "missing" | "degraded" };

export async function controllersHealthy(
  client: Pick<KubeClient, "get">,
  discovery: Pick<Discovery, "isServed">,
  settings: { fluxNamespace: string; veleroNamespace: string },
  signal?: AbortSignal,
): Promise<HealthVerdict> {
  const checks: Check[] = [];
  for (const type of [HELM_RELEASE, HELM_REPOSITORY]) {
    checks.push({ item: `CRD ${type.plural}.${type.group}`, state: (await discovery.isServed(type, signal)) ? "ok" : "missing" });
  }
  for (const name of ["helm-controller", "source-controller"]) checks.push(await deploymentCheck(client, settings.fluxNamespace, name, signal));
  if (await discovery.isServed(VELERO_BACKUPS, signal)) checks.push(await deploymentCheck(client, settings.veleroNamespace, "velero", signal));
  return verdict(checks);
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
