/**
 * The chart's Push RBAC in the shared test cluster (helm template with push.enabled): the ServiceAccount
 * vworkspace-control-plane (and its token Secret) in a test's operator namespace, the two ClusterRoles
 * (fixed names, the chart's content, shared by every file and run like the tenant ClusterRole, never
 * deleted), and the ClusterRoleBinding under a per-run name, removed again by `remove()`.
 */
import { expect } from "bun:test";
import { CONTROL_PLANE_NAMESPACED_ROLE, CONTROL_PLANE_ROLE_BINDING, CONTROL_PLANE_SERVICE_ACCOUNT, CONTROL_PLANE_TOKEN_SECRET } from "../../src/api/push-access";
import { applyObject } from "../../src/kube/apply";
import type { KubeClient } from "../../src/kube/client";
import { classifyError } from "../../src/kube/errors";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { findRendered, helmTemplate } from "./chart";
import { randomSuffix } from "./namespace";

const rbac = (kind: string, plural: string, namespaced: boolean): ResourceType => ({ group: "rbac.authorization.k8s.io", version: "v1", kind, plural, namespaced });
export const SERVICE_ACCOUNTS: ResourceType = { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true };
export const SECRETS: ResourceType = { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true };
const CLUSTER_ROLES = rbac("ClusterRole", "clusterroles", false);
const CLUSTER_ROLE_BINDINGS = rbac("ClusterRoleBinding", "clusterrolebindings", false);
const ROLE_BINDINGS = rbac("RoleBinding", "rolebindings", true);

export interface PushAccess {
  remove(): Promise<void>;
}

export async function installPushAccess(client: KubeClient, operatorNamespace: string, options: { tokenSecret: boolean }): Promise<PushAccess> {
  const { objects, exitCode, stderr } = helmTemplate(operatorNamespace, "push.enabled=true", `push.tokenSecret=${options.tokenSecret}`);
  expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: "" });
  await client.create(SERVICE_ACCOUNTS, findRendered(objects, "ServiceAccount", CONTROL_PLANE_SERVICE_ACCOUNT));
  if (options.tokenSecret) await client.create(SECRETS, findRendered(objects, "Secret", CONTROL_PLANE_TOKEN_SECRET));
  for (const role of objects.filter((object) => object.kind === "ClusterRole" && object.metadata.name.startsWith("vworkspace-control-plane"))) {
    await applyObject(client, CLUSTER_ROLES, role, { fieldManager: "vws-tests-push", force: true });
  }
  const binding = findRendered(objects, "ClusterRoleBinding", "vworkspace-control-plane-clusters");
  const bindingName = `vws-test-push-${randomSuffix()}`;
  await client.create(CLUSTER_ROLE_BINDINGS, { ...binding, metadata: { ...binding.metadata, name: bindingName } });
  return {
    remove: () =>
      client.delete(CLUSTER_ROLE_BINDINGS, bindingName).then(
        () => undefined,
        (err: unknown) => {
          if (classifyError(err) !== "notFound") throw err;
        },
      ),
  };
}

/** The RoleBinding the operator keeps in a gated namespace in Push and GitOps modes, made by the test. */
export async function bindControlPlane(client: KubeClient, namespace: string, operatorNamespace: string): Promise<void> {
  await client.create(ROLE_BINDINGS, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: CONTROL_PLANE_ROLE_BINDING, namespace, labels: { "app.vworkspace.io/managed-by": "vworkspace-operator" } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: CONTROL_PLANE_NAMESPACED_ROLE },
    subjects: [{ kind: "ServiceAccount", name: CONTROL_PLANE_SERVICE_ACCOUNT, namespace: operatorNamespace }],
  } as KubeObject);
}
