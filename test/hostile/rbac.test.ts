/**
 * RBAC audit (issue 11, deliverable 8): the chart's RBAC is rendered by `helm template` and applied, then the
 * operator ServiceAccount's effective rights are listed while impersonating it: SelfSubjectRulesReview in a
 * gated namespace, in the operator namespace and in an ungated one, and SelfSubjectAccessReview for every write
 * verb on cluster-scoped and all-namespace resources. The result must equal test/hostile/expected-rbac.json
 * (sorted), so any widening is a visible diff; VWS_UPDATE_EXPECTED_RBAC=1 rewrites the file. The README
 * explains each cluster-wide write verb.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyObject } from "../../src/kube/apply";
import { KubeClient } from "../../src/kube/client";
import { connectionFrom, resolveKubeConfig } from "../../src/kube/config";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { helmTemplate } from "../support/chart";
import { getCluster, type TestCluster } from "../support/cluster";
import { eventually } from "../support/eventually";
import { deleteNamespace, GATE_LABEL, randomSuffix, TEST_RUN_LABEL } from "../support/namespace";
import { NAMESPACE, TEST_MANAGER } from "./support/stage";

const EXPECTED = join(import.meta.dir, "expected-rbac.json");
const RBAC_TYPES: Record<string, ResourceType> = {
  ServiceAccount: { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  ClusterRole: { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false },
  ClusterRoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false },
  Role: { group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true },
  RoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true },
};
const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"];
/** Cluster-scoped resources, and namespaced ones asked about in every namespace at once (namespace ""). */
const CLUSTER_WIDE: Array<[group: string, resource: string, extraVerbs?: string[]]> = [
  ["", "namespaces"], ["", "nodes"], ["", "persistentvolumes"],
  ["", "secrets"], ["", "configmaps"], ["", "serviceaccounts"], ["", "pods"], ["", "events"],
  ["apps", "deployments"], ["batch", "jobs"],
  ["rbac.authorization.k8s.io", "clusterroles", ["escalate", "bind"]], ["rbac.authorization.k8s.io", "clusterrolebindings"],
  ["rbac.authorization.k8s.io", "roles", ["escalate", "bind"]], ["rbac.authorization.k8s.io", "rolebindings"],
  ["", "users", ["impersonate"]], ["", "groups", ["impersonate"]], ["", "serviceaccounts", ["impersonate"]],
  ["apiextensions.k8s.io", "customresourcedefinitions"],
  ["admissionregistration.k8s.io", "validatingwebhookconfigurations"], ["admissionregistration.k8s.io", "mutatingwebhookconfigurations"],
  ["apps.vworkspace.io", "applicationinstances"], ["ops.vworkspace.io", "operations"], ["ops.vworkspace.io", "clusters"],
  ["helm.toolkit.fluxcd.io", "helmreleases"], ["source.toolkit.fluxcd.io", "helmrepositories"], ["source.toolkit.fluxcd.io", "ocirepositories"],
  ["velero.io", "schedules"], ["velero.io", "backupstoragelocations"], ["velero.io", "backups"], ["velero.io", "restores"],
  ["argoproj.io", "workflows"], ["snapshot.storage.k8s.io", "volumesnapshots"], ["volsync.backube", "replicationsources"], ["volsync.backube", "replicationdestinations"],
  ["coordination.k8s.io", "leases"],
];

interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

let cluster: TestCluster;
let admin: KubeClient;
const suffix = randomSuffix();
const ns = { operator: `t-rbac-op-${suffix}`, gated: `t-rbac-gated-${suffix}`, ungated: `t-rbac-ungated-${suffix}` };
const clusterScoped: Array<{ type: ResourceType; name: string }> = [];

beforeAll(async () => {
  cluster = await getCluster();
  admin = KubeClient.fromKubeConfig(resolveKubeConfig({ kubeconfigPath: cluster.kubeconfigPath }), { userAgent: TEST_MANAGER });
  for (const [role, name] of Object.entries(ns)) {
    const labels: Record<string, string> = { [TEST_RUN_LABEL]: cluster.runId, ...(role === "gated" ? { [GATE_LABEL.key]: GATE_LABEL.value } : {}) };
    await admin.create(NAMESPACE, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
  }
});

afterAll(async () => {
  for (const { type, name } of clusterScoped) await admin.delete(type, name).catch(() => undefined);
  await Promise.all(Object.values(ns).map((name) => deleteNamespace(admin, name)));
});

/** Applies the chart's ServiceAccount and RBAC; cluster-scoped names get a suffix so runs never collide. */
async function installChartRbac(namespace: string): Promise<string> {
  const { objects, exitCode, stderr } = helmTemplate(namespace);
  if (exitCode !== 0) throw new Error(`helm template failed: ${stderr}`);
  let serviceAccount = "";
  for (const object of objects.filter((candidate) => candidate.kind in RBAC_TYPES)) {
    const type = RBAC_TYPES[object.kind]!;
    const body = structuredClone(object) as KubeObject & { roleRef?: { kind: string; name: string } };
    if (type.namespaced) body.metadata.namespace = namespace;
    else body.metadata.name = `${body.metadata.name}-${suffix}`;
    if (body.roleRef?.kind === "ClusterRole") body.roleRef.name = `${body.roleRef.name}-${suffix}`;
    if (object.kind === "ServiceAccount") serviceAccount = object.metadata.name;
    if (!type.namespaced) clusterScoped.push({ type, name: body.metadata.name });
    await applyObject(admin, type, body, { fieldManager: TEST_MANAGER, force: true });
  }
  return serviceAccount;
}

function ruleLines(rules: readonly ResourceRule[]): string[] {
  const lines = new Set<string>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? [""]) {
      for (const resource of rule.resources ?? []) {
        const names = rule.resourceNames?.length ? ` [${[...rule.resourceNames].sort().join(",")}]` : "";
        for (const verb of rule.verbs) lines.add(`${verb} ${resource}${group ? `.${group}` : ""}${names}`);
      }
    }
  }
  return [...lines].sort();
}

async function effectiveRights(asOperator: KubeClient): Promise<Record<string, string[]>> {
  const rights: Record<string, string[]> = {};
  for (const [role, namespace] of Object.entries(ns)) {
    const review = await asOperator.request<{ status: { resourceRules: ResourceRule[] } }>({ method: "POST", path: "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace } } });
    rights[`${role} namespace`] = ruleLines(review.status.resourceRules);
  }
  const allowed: string[] = [];
  for (const [group, resource, extra] of CLUSTER_WIDE) {
    for (const verb of extra ?? WRITE_VERBS) {
      const review = await asOperator.request<{ status: { allowed: boolean } }>({ method: "POST", path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: { verb, group, resource, namespace: "" } } } });
      if (review.status.allowed) allowed.push(`${verb} ${resource}${group ? `.${group}` : ""}`);
    }
  }
  rights["cluster-wide writes (any name, every namespace)"] = allowed.sort();
  return rights;
}

test("the operator ServiceAccount's effective rights equal the checked-in list", async () => {
  const serviceAccount = await installChartRbac(ns.operator);
  const resolved = resolveKubeConfig({ kubeconfigPath: cluster.kubeconfigPath });
  const asOperator = new KubeClient({ connection: connectionFrom({ ...resolved, impersonation: { "Impersonate-User": `system:serviceaccount:${ns.operator}:${serviceAccount}` } }), userAgent: TEST_MANAGER });
  // The authorizer learns new Roles and bindings from its own watch: wait until both kinds are in effect.
  const actual = await eventually(async () => {
    const rights = await effectiveRights(asOperator);
    const effective = rights["operator namespace"]!.includes("create leases.coordination.k8s.io") && rights["gated namespace"]!.includes("create configmaps");
    return effective ? rights : undefined;
  }, { what: "the chart's Role and ClusterRole in effect for the ServiceAccount", timeoutMs: 30_000 });
  if (process.env.VWS_UPDATE_EXPECTED_RBAC === "1") writeFileSync(EXPECTED, `${JSON.stringify(actual, null, 2)}\n`);
  const expected = JSON.parse(readFileSync(EXPECTED, "utf8")) as Record<string, string[]>;
  expect(actual).toEqual(expected);
  // The bounds the issue names, asserted directly as well as through the list.
  const wide = actual["cluster-wide writes (any name, every namespace)"]!;
  for (const forbidden of ["create clusterrolebindings.rbac.authorization.k8s.io", "escalate clusterroles.rbac.authorization.k8s.io", "bind clusterroles.rbac.authorization.k8s.io", "impersonate users", "impersonate serviceaccounts", "create customresourcedefinitions.apiextensions.k8s.io", "create namespaces", "create secrets", "update secrets", "create validatingwebhookconfigurations.admissionregistration.k8s.io"]) {
    expect(wide).not.toContain(forbidden);
  }
  expect(actual["ungated namespace"]!.filter((line) => line.startsWith("create secrets") || line.startsWith("get secrets"))).toEqual([]);
}, 120_000);
