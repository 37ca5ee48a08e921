/**
 * The chart's Flux tenant ClusterRole, rendered by the real `helm template`, bound in one namespace the way
 * the operator binds it, and asked about by SubjectAccessReviews on the real API server: an application
 * chart's rights there, nothing elsewhere, nothing cluster-scoped, no way to grant itself more.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { desiredRoleBinding, desiredServiceAccount, ROLE_BINDING, SERVICE_ACCOUNT } from "../../../src/controllers/tenant/desired";
import type { KubeObject } from "../../../src/kube/types";
import { findRendered, helmTemplate } from "../../support/chart";
import { getCluster, type TestCluster } from "../../support/cluster";
import { useNamespace } from "../../support/namespace";
import { installTenantClusterRole, renderTenantClusterRole } from "../../support/tenant";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const ns = useNamespace({ slug: "tenant-role", gated: false });
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await getCluster();
  await installTenantClusterRole(cluster.client);
});

const rulesOf = (role: KubeObject) => role.rules as Rule[];

describe("ClusterRole vworkspace-tenant as the chart renders it", () => {
  test("no wildcard, no escalate/bind/impersonate, no cluster-scoped or namespace-defining resource", () => {
    const rules = rulesOf(renderTenantClusterRole());
    const verbs = new Set(rules.flatMap((rule) => rule.verbs));
    const resources = new Set(rules.flatMap((rule) => rule.resources));
    for (const verb of ["*", "escalate", "bind", "impersonate"]) expect(verbs.has(verb)).toBe(false);
    for (const resource of ["*", "namespaces", "nodes", "customresourcedefinitions", "clusterroles", "clusterrolebindings", "persistentvolumes", "storageclasses"]) expect(resources.has(resource)).toBe(false);
    expect(rules.flatMap((rule) => rule.apiGroups).includes("*")).toBe(false);
  });

  test("the operator may bind this ClusterRole and the control plane's two namespaced ones (Push access), no other", () => {
    const operatorRole = findRendered(helmTemplate(ns.name).objects, "ClusterRole", "vworkspace-operator");
    const binding = rulesOf(operatorRole).filter((rule) => rule.verbs.includes("bind") || rule.verbs.includes("escalate") || rule.verbs.includes("*"));
    expect(binding).toEqual([
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], resourceNames: ["vworkspace-tenant"], verbs: ["bind"] },
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], resourceNames: ["vworkspace-control-plane-namespaced", "vworkspace-control-plane-helmreleases"], verbs: ["bind"] },
    ]);
  });
});

describe("the tenant's effective rights (SubjectAccessReview)", () => {
  async function allowed(user: string, attributes: Record<string, string>): Promise<boolean> {
    const review = await cluster.client.request<{ status: { allowed: boolean } }>({
      method: "POST",
      path: "/apis/authorization.k8s.io/v1/subjectaccessreviews",
      body: { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec: { user, groups: ["system:serviceaccounts", `system:serviceaccounts:${ns.name}`, "system:authenticated"], resourceAttributes: attributes } },
    });
    return review.status.allowed;
  }

  test("an application chart's writes in its namespace; nothing outside it, nothing cluster-scoped, no escalation", async () => {
    await cluster.client.create(SERVICE_ACCOUNT, desiredServiceAccount(ns.name));
    await cluster.client.create(ROLE_BINDING, desiredRoleBinding(ns.name));
    const user = `system:serviceaccount:${ns.name}:vworkspace-tenant`;
    const here = (verb: string, resource: string, group = "", subresource?: string) => ({ namespace: ns.name, verb, resource, group, ...(subresource ? { subresource } : {}) });
    const cases: Array<[string, Record<string, string>, boolean]> = [
      ["create deployments", here("create", "deployments", "apps"), true],
      ["patch statefulsets", here("patch", "statefulsets", "apps"), true],
      ["create services", here("create", "services"), true],
      ["create configmaps", here("create", "configmaps"), true],
      ["create secrets (Helm's release records)", here("create", "secrets"), true],
      ["list secrets", here("list", "secrets"), true],
      ["create persistentvolumeclaims", here("create", "persistentvolumeclaims"), true],
      ["create jobs", here("create", "jobs", "batch"), true],
      ["create ingresses", here("create", "ingresses", "networking.k8s.io"), true],
      ["create poddisruptionbudgets", here("create", "poddisruptionbudgets", "policy"), true],
      ["create horizontalpodautoscalers", here("create", "horizontalpodautoscalers", "autoscaling"), true],
      ["create roles in the namespace", here("create", "roles", "rbac.authorization.k8s.io"), true],
      ["create rolebindings in the namespace", here("create", "rolebindings", "rbac.authorization.k8s.io"), true],
      ["update endpoints", here("update", "endpoints"), false],
      ["update resourcequotas", here("update", "resourcequotas"), false],
      ["exec into pods", here("create", "pods", "", "exec"), false],
      ["bind clusterroles", here("bind", "clusterroles", "rbac.authorization.k8s.io"), false],
      ["escalate roles", here("escalate", "roles", "rbac.authorization.k8s.io"), false],
      ["impersonate serviceaccounts", here("impersonate", "serviceaccounts"), false],
      ["create configmaps in kube-system", { namespace: "kube-system", verb: "create", resource: "configmaps" }, false],
      ["create clusterrolebindings", { verb: "create", resource: "clusterrolebindings", group: "rbac.authorization.k8s.io" }, false],
      ["create clusterroles", { verb: "create", resource: "clusterroles", group: "rbac.authorization.k8s.io" }, false],
      ["create namespaces", { verb: "create", resource: "namespaces" }, false],
      ["get its own namespace", { verb: "get", resource: "namespaces", name: ns.name }, false],
      ["list nodes", { verb: "list", resource: "nodes" }, false],
      ["create customresourcedefinitions", { verb: "create", resource: "customresourcedefinitions", group: "apiextensions.k8s.io" }, false],
      ["create helmreleases", here("create", "helmreleases", "helm.toolkit.fluxcd.io"), false],
      ["create applicationinstances", here("create", "applicationinstances", "apps.vworkspace.io"), false],
    ];
    const answers = await Promise.all(cases.map(async ([what, attributes]) => [what, await allowed(user, attributes)] as const));
    expect(Object.fromEntries(answers)).toEqual(Object.fromEntries(cases.map(([what, , expected]) => [what, expected])));
  });
});
