/** Verdicts on the third-party APIs and controllers each feature needs, and on helm-controller's lockdown. */
import { TENANT_SERVICE_ACCOUNT } from "../../api/tenant";
import { check, type Check, type CheckStatus } from "../check";
import type { DeploymentFacts, DoctorFacts, HelmReleaseFacts, Lookup } from "../facts";
import { apiKey, type ControllerRef, type Feature } from "../features";

const LOCKDOWN = "Flux lockdown";
const DEFAULT_SERVICE_ACCOUNT_FLAG = "--default-service-account";
/** Enough names to act on without flooding the report. */
const LISTED = 5;

export function featureChecks(feature: Feature, facts: Pick<DoctorFacts, "served" | "deployments">): Check[] {
  const missingStatus: CheckStatus = feature.required ? "fail" : "warn";
  const lines = feature.apis.map((api) => {
    const key = apiKey(api);
    const served = facts.served[key] ?? { state: "absent" };
    if (served.state === "error") return check(feature.title, key, missingStatus, `cannot tell whether it is served: ${served.error}`);
    if (served.state === "found" && served.value) return check(feature.title, key, "ok", "served");
    return check(feature.title, key, missingStatus, "not served", feature.install);
  });
  const apisServed = lines.every((line) => line.status === "ok");
  // Without its APIs a controller cannot run; one line for the APIs says it all.
  if (!apisServed && !feature.required) return lines;
  for (const controller of feature.controllers) lines.push(controllerCheck(feature, controller, facts.deployments, missingStatus));
  return lines;
}

function controllerCheck(feature: Feature, controller: ControllerRef, deployments: Lookup<DeploymentFacts[]>, missingStatus: CheckStatus): Check {
  if (deployments.state !== "found") {
    const why = deployments.state === "error" ? deployments.error : "no Deployments API";
    return check(feature.title, controller.name, "warn", `cannot list Deployments: ${why}`, "run doctor with rights to list Deployments in all namespaces");
  }
  const found = findController(deployments.value, controller);
  if (!found) {
    return check(
      feature.title,
      controller.name,
      missingStatus,
      "not found as Deployment in any namespace",
      `${feature.install} (a controller running outside the cluster cannot be seen from here)`,
    );
  }
  const where = `Deployment ${found.namespace}/${found.name}`;
  if (found.available) return check(feature.title, controller.name, "ok", `${where} available (${found.readyReplicas}/${found.replicas} ready)`);
  return check(feature.title, controller.name, missingStatus, `${where} not available (${found.readyReplicas}/${found.replicas} ready)`, `kubectl -n ${found.namespace} describe deployment ${found.name}`);
}

/** The controller's Deployment: by exact name or a Helm release prefix, its usual namespace first. */
export function findController(deployments: readonly DeploymentFacts[], controller: ControllerRef): DeploymentFacts | undefined {
  const matches = deployments.filter((deployment) => deployment.name === controller.name || deployment.name.endsWith(`-${controller.name}`));
  const rank = (deployment: DeploymentFacts) => (deployment.namespace === controller.namespace ? 0 : 1) + (deployment.name === controller.name ? 0 : 2);
  return [...matches].sort((a, b) => rank(a) - rank(b))[0];
}

/** The value of `--default-service-account` among a container's command and args, if given. */
export function defaultServiceAccountOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith(`${DEFAULT_SERVICE_ACCOUNT_FLAG}=`)) return arg.slice(DEFAULT_SERVICE_ACCOUNT_FLAG.length + 1);
    if (arg === DEFAULT_SERVICE_ACCOUNT_FLAG && i + 1 < args.length) return args[i + 1];
  }
  return undefined;
}

/**
 * Whether a compromised control plane stays inside tenant rights through Flux: helm-controller impersonates a
 * default ServiceAccount for HelmReleases that name none, and ours in gated namespaces name one (docs/security.md).
 */
export function lockdownChecks(facts: Pick<DoctorFacts, "deployments" | "gatedHelmReleases" | "gatedNamespaceCount">, fluxNamespace: string): Check[] {
  return [defaultAccountCheck(facts.deployments, fluxNamespace), ...gatedReleasesCheck(facts.gatedHelmReleases, facts.gatedNamespaceCount)];
}

function defaultAccountCheck(deployments: Lookup<DeploymentFacts[]>, fluxNamespace: string): Check {
  const subject = `helm-controller ${DEFAULT_SERVICE_ACCOUNT_FLAG}`;
  const fix = `run helm-controller with ${DEFAULT_SERVICE_ACCOUNT_FLAG}=${TENANT_SERVICE_ACCOUNT} so a HelmRelease without spec.serviceAccountName gets no more than tenant rights`;
  const helmController = deployments.state === "found" ? findController(deployments.value, { name: "helm-controller", namespace: fluxNamespace }) : undefined;
  if (!helmController) return check(LOCKDOWN, subject, "warn", "cannot tell: helm-controller not found as Deployment", fix);
  const account = defaultServiceAccountOf(helmController.args);
  if (account === undefined) {
    return check(LOCKDOWN, subject, "warn", "not set: HelmReleases without spec.serviceAccountName install with helm-controller's own (cluster-wide) rights", fix);
  }
  return check(LOCKDOWN, subject, "ok", `${account} (HelmReleases that name no ServiceAccount run with its rights)`);
}

function gatedReleasesCheck(releases: Lookup<HelmReleaseFacts[]>, gatedNamespaces: number): Check[] {
  const subject = "HelmReleases in gated namespaces";
  if (releases.state === "absent") return [];
  if (releases.state === "error") return [check(LOCKDOWN, subject, "warn", `cannot list: ${releases.error}`)];
  const unbound = releases.value.filter((release) => !release.serviceAccountName);
  const scope = `${releases.value.length} in ${gatedNamespaces} gated namespace${gatedNamespaces === 1 ? "" : "s"}`;
  if (unbound.length === 0) return [check(LOCKDOWN, subject, "ok", `${scope}; every one names spec.serviceAccountName`)];
  const names = unbound.slice(0, LISTED).map((release) => `${release.namespace}/${release.name}`);
  const more = unbound.length > LISTED ? ` and ${unbound.length - LISTED} more` : "";
  return [
    check(
      LOCKDOWN,
      subject,
      "warn",
      `${scope}; ${unbound.length} name no ServiceAccount: ${names.join(", ")}${more}`,
      `the operator sets spec.serviceAccountName=${TENANT_SERVICE_ACCOUNT} on the HelmReleases it writes; set it on these too, or lock helm-controller down`,
    ),
  ];
}
