/**
 * The chart's Flux tenant ClusterRole `vworkspace-tenant` in the shared test cluster: rendered from chart/
 * by the real `helm template --show-only`, applied server-side (idempotent, once per process). Every test
 * that lets helm-controller act as a namespace's tenant needs it. It is shared by every file and run, with
 * the same content from the same chart, so it is never deleted.
 */
import { parseAllDocuments } from "yaml";
import type { KubeClient } from "../../src/kube/client";
import { applyObject } from "../../src/kube/apply";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { TENANT_CLUSTER_ROLE } from "../../src/api/tenant";
import { REPO_ROOT } from "./cluster";
import { k8sBin } from "./k8s-bins";

export const CLUSTER_ROLES: ResourceType = { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false };
export const TENANT_CLUSTER_ROLE_TEMPLATE = "templates/tenant-clusterrole.yaml";

/** The tenant ClusterRole exactly as the chart renders it. */
export function renderTenantClusterRole(): KubeObject {
  const args = [k8sBin("VWS_BIN_HELM"), "template", "vws", `${REPO_ROOT}/chart`, "--show-only", TENANT_CLUSTER_ROLE_TEMPLATE];
  const result = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`helm template --show-only ${TENANT_CLUSTER_ROLE_TEMPLATE} failed: ${result.stderr.toString()}`);
  const objects = parseAllDocuments(result.stdout.toString())
    .map((document) => document.toJSON() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
  const role = objects.find((object) => object.kind === "ClusterRole" && object.metadata.name === TENANT_CLUSTER_ROLE);
  if (!role || objects.length !== 1) throw new Error(`${TENANT_CLUSTER_ROLE_TEMPLATE} rendered ${objects.map((object) => `${object.kind}/${object.metadata.name}`).join(", ")}, expected ClusterRole ${TENANT_CLUSTER_ROLE}`);
  return role;
}

let installed: Promise<KubeObject> | undefined;

/** Applies the chart's tenant ClusterRole (once per process; concurrent callers share the one apply). */
export function installTenantClusterRole(client: KubeClient): Promise<KubeObject> {
  installed ??= applyObject(client, CLUSTER_ROLES, renderTenantClusterRole(), { fieldManager: "vws-tests-tenant", force: true }).catch((err: unknown) => {
    installed = undefined; // the next caller retries
    throw err;
  });
  return installed;
}
