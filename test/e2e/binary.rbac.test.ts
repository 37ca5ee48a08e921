/**
 * The compiled binary under the chart's own ServiceAccount, never admin (docs/development.md#rbac-in-tests): the chart's
 * RBAC is rendered by `helm template`, applied, and the binary runs with a TokenRequest token. A rule
 * missing from the chart shows up here as a Forbidden the operator cannot get past. Covered: leader election,
 * the ApplicationInstance controller, the Flux tenant controller, and pull mode (registration, credentials and keypair Secrets, the
 * ledger, an applied job) against the reference control plane.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { APPLICATION_INSTANCE, CLUSTER } from "../../src/api/groups";
import { TENANT_CLUSTER_ROLE, TENANT_SERVICE_ACCOUNT } from "../../src/api/tenant";
import { HELM_RELEASE, HELM_REPOSITORY, type HelmRelease } from "../../src/flux/types";
import { applyObject } from "../../src/kube/apply";
import { LEASE_TYPE } from "../../src/kube/leader";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { clusterObject, configMap, createTokenSecret, deleteClusters, resultOf, waitForPhase } from "../integration/agent/harness";
import { helmTemplate } from "../support/chart";
import { startRefControlPlane, type RefControlPlane } from "../support/controlplane";
import { getCluster, REPO_ROOT, type TestCluster } from "../support/cluster";
import { eventually } from "../support/eventually";
import { useNamespace } from "../support/namespace";
import { installTenantClusterRole } from "../support/tenant";
import { startOperatorBinary, type BinaryOperator } from "../support/operator";
import { mentionsForbidden } from "../support/log-lines";

const ns = useNamespace({ slug: "e2e-rbac" });
let cluster: TestCluster;
let operator: BinaryOperator | undefined;
let plane: RefControlPlane | undefined;
const clusterScoped: Array<{ type: ResourceType; name: string }> = [];

const CONFIG_MAP: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const RBAC_TYPES: Record<string, ResourceType> = {
  ServiceAccount: { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  ClusterRole: { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false },
  ClusterRoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false },
  Role: { group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true },
  RoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true },
};

beforeAll(async () => {
  cluster = await getCluster();
  await deleteClusters(cluster.client);
});

afterAll(async () => {
  await operator?.stop();
  await plane?.stop();
  await deleteClusters(cluster.client);
  for (const { type, name } of clusterScoped) await cluster.client.delete(type, name).catch(() => undefined);
});

/**
 * Applies the chart's ServiceAccount and RBAC; cluster-scoped names get the namespace as suffix so runs never
 * collide. The Flux tenant ClusterRole keeps its fixed name (the operator binds exactly that one) and comes
 * from the shared, idempotent install.
 */
async function installChartRbac(namespace: string): Promise<string> {
  const { objects } = helmTemplate(namespace);
  const suffix = (name: string) => `${name}-${namespace}`;
  let serviceAccount = "";
  await installTenantClusterRole(cluster.client);
  const isTenantRole = (object: KubeObject) => object.kind === "ClusterRole" && object.metadata.name === TENANT_CLUSTER_ROLE;
  for (const object of objects.filter((candidate) => candidate.kind in RBAC_TYPES && !isTenantRole(candidate))) {
    const type = RBAC_TYPES[object.kind]!;
    const body = structuredClone(object) as KubeObject & { roleRef?: { kind: string; name: string } };
    if (type.namespaced) body.metadata.namespace = namespace;
    else body.metadata.name = suffix(body.metadata.name);
    if (body.roleRef?.kind === "ClusterRole") body.roleRef.name = suffix(body.roleRef.name);
    if (object.kind === "ServiceAccount") serviceAccount = object.metadata.name;
    if (!type.namespaced) clusterScoped.push({ type, name: body.metadata.name });
    await applyObject(cluster.client, type, body, { fieldManager: "vws-tests", force: true });
  }
  return serviceAccount;
}

async function serviceAccountKubeconfig(namespace: string, serviceAccount: string): Promise<string> {
  const review = await cluster.client.request<{ status: { token: string } }>({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } },
  });
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "local", cluster: { server: cluster.apiUrl, "certificate-authority-data": Buffer.from(cluster.caPem).toString("base64") } }],
    users: [{ name: serviceAccount, user: { token: review.status.token } }],
    contexts: [{ name: "sa", context: { cluster: "local", user: serviceAccount } }],
    "current-context": "sa",
  };
  const dir = join(REPO_ROOT, ".local/test-logs/e2e-rbac");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `kubeconfig-${namespace}.yaml`);
  writeFileSync(path, stringify(kubeconfig), { mode: 0o600 });
  return path;
}

describe("the binary with the chart's ServiceAccount", () => {
  test("leads, reconciles an instance with status and Events, registers in pull mode and applies a job, and finalizes the instance", async () => {
    const serviceAccount = await installChartRbac(ns.name);
    const kubeconfig = await serviceAccountKubeconfig(ns.name, serviceAccount);
    plane = await startRefControlPlane();
    const { token } = await plane.admin.createRegistrationToken();
    await createTokenSecret(cluster.client, ns.name, token);
    operator = await startOperatorBinary({
      args: [`--kubeconfig=${kubeconfig}`, "--leader-elect", `--namespace=${ns.name}`, `--watch-namespaces=${ns.name}`],
      logFile: join(REPO_ROOT, ".local/test-logs/e2e-rbac/operator.log"),
    });
    const lease = await eventually(() => cluster.client.get(LEASE_TYPE, "dad03b25.vworkspace.io", { namespace: ns.name }).catch(() => undefined), { what: "Lease taken" });
    expect((lease.spec as { holderIdentity?: string }).holderIdentity).toBeTruthy();

    await cluster.client.create(APPLICATION_INSTANCE, {
      apiVersion: "apps.vworkspace.io/v1alpha1",
      kind: "ApplicationInstance",
      metadata: { name: "shop", namespace: ns.name },
      spec: {
        appRef: { catalogId: "demo" },
        chart: { sourceType: "helm", url: "https://charts.example.com", name: "demo", version: "1.0.0" },
        release: { name: "shop", namespace: ns.name },
        values: { source: "inline", inline: { a: 1 } },
      },
    });
    await eventually(() => cluster.client.get(HELM_REPOSITORY, "shop-source", { namespace: ns.name }).catch(() => undefined), { what: "HelmRepository" });
    const release = await eventually(() => cluster.client.get<HelmRelease>(HELM_RELEASE, "shop", { namespace: ns.name }).catch(() => undefined), { what: "HelmRelease" });
    expect(release.spec?.serviceAccountName).toBe(TENANT_SERVICE_ACCOUNT);
    // The Flux tenant of the gated namespace, created with the chart's rights (bind on exactly its ClusterRole).
    const binding = await eventually(() => cluster.client.get(RBAC_TYPES.RoleBinding!, TENANT_SERVICE_ACCOUNT, { namespace: ns.name }).catch(() => undefined), { what: "tenant RoleBinding" });
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: TENANT_CLUSTER_ROLE });
    expect(await cluster.client.get(RBAC_TYPES.ServiceAccount!, TENANT_SERVICE_ACCOUNT, { namespace: ns.name })).toBeDefined();
    const reconciled = await eventually(async () => {
      const current = await cluster.client.get(APPLICATION_INSTANCE, "shop", { namespace: ns.name });
      return (current.status as { observedGeneration?: number } | undefined)?.observedGeneration ? current : undefined;
    }, { what: "instance status written" });
    expect(reconciled.metadata.finalizers).toContain("apps.vworkspace.io/finalizer");
    const events = await eventually(async () => {
      const { items } = await cluster.client.list({ group: "events.k8s.io", version: "v1", kind: "Event", plural: "events", namespaced: true }, { namespace: ns.name });
      return items.length > 0 ? items : undefined;
    }, { what: "an Event about the instance" });
    expect(events.some((event) => (event as { regarding?: { name?: string } }).regarding?.name === "shop")).toBe(true);

    // Pull mode under the same account: registration, then a job the agent applies.
    await cluster.client.create(CLUSTER, clusterObject(plane));
    const connected = await waitForPhase(cluster.client, "Connected");
    const { id } = await plane.admin.enqueueJob(connected.spec.clusterId!, { kind: "apply", payload: configMap(ns.name, "from-cp", { a: "1" }) });
    expect((await resultOf(plane, id)).outcome).toBe("succeeded");
    expect((await cluster.client.get(CONFIG_MAP, "from-cp", { namespace: ns.name })).metadata.labels?.["app.vworkspace.io/managed-by"]).toBe("control-plane");

    await cluster.client.delete(APPLICATION_INSTANCE, "shop", { namespace: ns.name });
    await eventually(async () => (await cluster.client.get(APPLICATION_INSTANCE, "shop", { namespace: ns.name }).catch(() => undefined)) === undefined, { what: "instance finalized" });
    expect(operator.logs.lines.filter(mentionsForbidden)).toEqual([]);
  });
});

