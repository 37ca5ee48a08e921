/**
 * Validly signed jobs aimed where the control plane must never write: kube-system, the operator's namespace
 * and its ledger, cluster-scoped kinds, Secrets, Namespaces, RBAC, CRDs, webhook configurations, the
 * operator's Deployment, protected Cluster fields, an unmanaged object, and path traversal through names.
 */
import { CLUSTER } from "../../../src/api/groups";
import { SECRET } from "../../../src/controllers/cluster/secrets";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import type { AttackCase } from "../support/cases";
import { CONFIG_MAP, envelope, lookup, NAMESPACE, TEST_MANAGER, type Stage } from "../support/stage";

const rbac = (kind: string, plural: string, namespaced: boolean): ResourceType => ({ group: "rbac.authorization.k8s.io", version: "v1", kind, plural, namespaced });
const CLUSTER_ROLE_BINDING = rbac("ClusterRoleBinding", "clusterrolebindings", false);
const CLUSTER_ROLE = rbac("ClusterRole", "clusterroles", false);
const ROLE_BINDING = rbac("RoleBinding", "rolebindings", true);
const CRD: ResourceType = { group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions", namespaced: false };
const WEBHOOK_CONFIGURATION: ResourceType = { group: "admissionregistration.k8s.io", version: "v1", kind: "ValidatingWebhookConfiguration", plural: "validatingwebhookconfigurations", namespaced: false };
const DEPLOYMENT: ResourceType = { group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true };
const BATCH_JOB: ResourceType = { group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true };
const KUBE_SYSTEM_MARKER = "vworkspace-local-cluster";

const NAMESPACE_REFUSALS = ["NamespaceNotGated", "NamespaceNotFound"];

/** The object's resourceVersion now, or "absent". */
async function version(stage: Stage, type: ResourceType, name: string, namespace?: string): Promise<string> {
  return (await lookup(stage, type, name, namespace))?.metadata.resourceVersion ?? "absent";
}

export async function targetCases(stage: Stage): Promise<AttackCase[]> {
  const { ns } = stage;
  const tag = crypto.randomUUID().slice(0, 8);
  const apply = (object: Record<string, unknown>) => envelope(stage, "apply", object);
  const remove = (apiVersion: string, kind: string, name: string, namespace: string) => envelope(stage, "delete", { apiVersion, kind, name, namespace });
  const exists = (type: ResourceType, name: string, namespace?: string) => async () => (await lookup(stage, type, name, namespace)) !== undefined;
  const gone = (type: ResourceType, name: string, namespace?: string) => async () => (await lookup(stage, type, name, namespace)) === undefined;
  const changed = async (type: ResourceType, name: string, namespace?: string) => {
    const before = await version(stage, type, name, namespace);
    return async () => (await version(stage, type, name, namespace)) !== before;
  };
  // The operator keeps writing the Cluster's status and the ledger: only what an attack would change counts.
  const clusterSpecChanged = async () => {
    const before = JSON.stringify((await lookup(stage, CLUSTER, stage.clusterName))?.spec);
    return async () => JSON.stringify((await lookup(stage, CLUSTER, stage.clusterName))?.spec) !== before;
  };
  const writtenByAgent = (type: ResourceType, name: string, namespace?: string) => async () =>
    (((await lookup(stage, type, name, namespace))?.metadata.managedFields ?? []) as Array<{ manager?: string }>).some((entry) => entry.manager === "vworkspace-agent");
  const victimLabels = JSON.stringify((await lookup(stage, NAMESPACE, ns.victim))?.metadata.labels);

  await stage.client.create(CONFIG_MAP, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "unmanaged", namespace: ns.gated }, data: { owner: TEST_MANAGER } } as KubeObject);
  const operatorDeployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "vworkspace-operator", namespace: ns.operator }, spec: { selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "x", image: "evil:latest" }] } } } };
  const adminBinding = (kind: string, namespace?: string) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: { name: `hostile-${tag}`, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [{ kind: "ServiceAccount", name: "default", namespace: ns.gated }],
  });
  const cluster = (spec: Record<string, unknown>, name = stage.clusterName) => ({ apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name }, spec });

  return [
    { attack: "apply ConfigMap into kube-system", job: await apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `hostile-${tag}`, namespace: "kube-system" }, data: { a: "1" } }), codes: NAMESPACE_REFUSALS, escaped: exists(CONFIG_MAP, `hostile-${tag}`, "kube-system") },
    { attack: "overwrite a kube-system ConfigMap", job: await apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: KUBE_SYSTEM_MARKER, namespace: "kube-system" }, data: { a: "1" } }), codes: NAMESPACE_REFUSALS, escaped: await changed(CONFIG_MAP, KUBE_SYSTEM_MARKER, "kube-system") },
    { attack: "delete a kube-system ConfigMap", job: await remove("v1", "ConfigMap", KUBE_SYSTEM_MARKER, "kube-system"), codes: NAMESPACE_REFUSALS, escaped: gone(CONFIG_MAP, KUBE_SYSTEM_MARKER, "kube-system") },
    { attack: "overwrite the operator's ledger", job: await apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "vworkspace-applied-jobs", namespace: ns.operator }, data: { "processed-jobs.json": "{}" } }), codes: NAMESPACE_REFUSALS, escaped: writtenByAgent(CONFIG_MAP, "vworkspace-applied-jobs", ns.operator) },
    { attack: "delete the operator's ledger", job: await remove("v1", "ConfigMap", "vworkspace-applied-jobs", ns.operator), codes: NAMESPACE_REFUSALS, escaped: gone(CONFIG_MAP, "vworkspace-applied-jobs", ns.operator) },
    { attack: "replace the operator's Deployment", job: await apply(operatorDeployment), codes: ["KindNotAllowed", ...NAMESPACE_REFUSALS], escaped: exists(DEPLOYMENT, "vworkspace-operator", ns.operator) },
    { attack: "Secret in a gated namespace", job: await apply({ apiVersion: "v1", kind: "Secret", metadata: { name: `hostile-${tag}`, namespace: ns.gated }, stringData: { a: "1" } }), codes: ["KindNotAllowed"], escaped: exists(SECRET, `hostile-${tag}`, ns.gated) },
    { attack: "overwrite a tenant Secret", job: await apply({ apiVersion: "v1", kind: "Secret", metadata: { name: "app-credentials", namespace: ns.gated }, stringData: { password: "attacker" } }), codes: ["KindNotAllowed"], escaped: await changed(SECRET, "app-credentials", ns.gated) },
    { attack: "delete a Secret", job: await remove("v1", "Secret", "crown-jewels", ns.victim), codes: ["KindNotAllowed"], escaped: gone(SECRET, "crown-jewels", ns.victim) },
    { attack: "create a Namespace", job: await apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: `hostile-${tag}` } }), codes: ["KindNotAllowed"], escaped: exists(NAMESPACE, `hostile-${tag}`) },
    { attack: "gate a Namespace by label", job: await apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns.victim, labels: { "managed-by": "vworkspace" } } }), codes: ["KindNotAllowed"], escaped: async () => JSON.stringify((await lookup(stage, NAMESPACE, ns.victim))?.metadata.labels) !== victimLabels },
    { attack: "delete a Namespace", job: await remove("v1", "Namespace", ns.victim, ""), codes: ["KindNotAllowed", "InvalidPayload"], escaped: async () => (await lookup(stage, NAMESPACE, ns.victim))?.metadata.deletionTimestamp !== undefined },
    { attack: "ClusterRoleBinding to cluster-admin", job: await apply(adminBinding("ClusterRoleBinding")), codes: ["KindNotAllowed"], escaped: exists(CLUSTER_ROLE_BINDING, `hostile-${tag}`) },
    { attack: "RoleBinding to cluster-admin", job: await apply(adminBinding("RoleBinding", ns.gated)), codes: ["KindNotAllowed"], escaped: exists(ROLE_BINDING, `hostile-${tag}`, ns.gated) },
    { attack: "ClusterRole", job: await apply({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: `hostile-${tag}` }, rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }] }), codes: ["KindNotAllowed"], escaped: exists(CLUSTER_ROLE, `hostile-${tag}`) },
    { attack: "CustomResourceDefinition", job: await apply({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: `hostiles${tag}.evil.example.com` }, spec: { group: "evil.example.com", names: { kind: "Hostile", plural: `hostiles${tag}` }, scope: "Namespaced", versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } }] } }), codes: ["KindNotAllowed"], escaped: exists(CRD, `hostiles${tag}.evil.example.com`) },
    { attack: "delete a CRD", job: await remove("apiextensions.k8s.io/v1", "CustomResourceDefinition", "clusters.ops.vworkspace.io", ""), codes: ["KindNotAllowed", "InvalidPayload"], escaped: gone(CRD, "clusters.ops.vworkspace.io") },
    { attack: "ValidatingWebhookConfiguration", job: await apply({ apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: `hostile-${tag}` }, webhooks: [] }), codes: ["KindNotAllowed"], escaped: exists(WEBHOOK_CONFIGURATION, `hostile-${tag}`) },
    { attack: "batch Job in a gated namespace", job: await apply({ apiVersion: "batch/v1", kind: "Job", metadata: { name: `hostile-${tag}`, namespace: ns.gated }, spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "x", image: "evil:latest" }] } } } }), codes: ["KindNotAllowed"], escaped: exists(BATCH_JOB, `hostile-${tag}`, ns.gated) },
    { attack: "Cluster: another name", job: await apply(cluster({ heartbeatIntervalSeconds: 30 }, `hostile-${tag}`)), codes: ["ProtectedField"], escaped: exists(CLUSTER, `hostile-${tag}`) },
    { attack: "Cluster: switch signing off", job: await apply(cluster({ security: { payloadSigning: { mode: "disabled" } } })), codes: ["ProtectedField"], escaped: await clusterSpecChanged() },
    { attack: "Cluster: widen allowedJobKinds", job: await apply(cluster({ allowedJobKinds: [{ group: "", kind: "Secret" }] })), codes: ["ProtectedField"], escaped: await clusterSpecChanged() },
    { attack: "Cluster: move the endpoint", job: await apply(cluster({ controlPlaneEndpoint: "http://203.0.113.1" })), codes: ["ProtectedField"], escaped: await clusterSpecChanged() },
    { attack: "delete the Cluster", job: await remove("ops.vworkspace.io/v1alpha1", "Cluster", stage.clusterName, ""), codes: ["ProtectedField", "InvalidPayload"], escaped: async () => (await lookup(stage, CLUSTER, stage.clusterName))?.metadata.deletionTimestamp !== undefined },
    { attack: "overwrite an unmanaged ConfigMap", job: await apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "unmanaged", namespace: ns.gated }, data: { owner: "attacker" } }), codes: ["NotManaged"], escaped: await changed(CONFIG_MAP, "unmanaged", ns.gated) },
    { attack: "name traversal onto a Secret (apply)", job: await apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "../secrets/app-credentials", namespace: ns.gated }, data: { password: "attacker" } }), escaped: await changed(SECRET, "app-credentials", ns.gated) },
    { attack: "name traversal onto a Secret (delete)", job: await remove("v1", "ConfigMap", "../secrets/app-credentials", ns.gated), escaped: gone(SECRET, "app-credentials", ns.gated) },
    { attack: "namespace traversal into kube-system", job: await apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `hostile-${tag}`, namespace: `${ns.gated}/../../namespaces/kube-system` }, data: { a: "1" } }), escaped: exists(CONFIG_MAP, `hostile-${tag}`, "kube-system") },
  ];
}
