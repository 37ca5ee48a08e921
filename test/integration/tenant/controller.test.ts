/**
 * The Flux tenant controller against the real API server: ServiceAccount and RoleBinding vworkspace-tenant
 * follow the namespace gate, drift is repaired, and objects of that name without the operator's label are
 * never touched.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { ROLE_BINDING, SERVICE_ACCOUNT, type RoleBinding } from "../../../src/controllers/tenant/desired";
import { REASON_NOT_MANAGED } from "../../../src/controllers/tenant/reconciler";
import { tenantController } from "../../../src/controllers/tenant/controller";
import { EVENT_TYPE } from "../../../src/kube/events";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { deleteNamespace, GATE_LABEL, randomSuffix, TEST_LABEL, TEST_RUN_LABEL, useNamespace } from "../../support/namespace";
import { getIfPresent } from "../../support/objects";
import { startOperatorInProcess, type InProcessOperator } from "../../support/operator";
import { installTenantClusterRole } from "../../support/tenant";

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const NAME = "vworkspace-tenant";
const MANAGED = { "app.vworkspace.io/managed-by": "vworkspace-operator" };

const ns = useNamespace({ slug: "tenant", gated: false });
let cluster: TestCluster;
let running: InProcessOperator | undefined;

beforeAll(async () => {
  cluster = await getCluster();
  await installTenantClusterRole(cluster.client);
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(namespace = ns.name): Promise<InProcessOperator> {
  running = await startOperatorInProcess({ kubeconfigPath: cluster.kubeconfigPath, config: { watchNamespaces: [namespace] }, controllers: [tenantController] });
  return running;
}

function gate(namespace: string, gated: boolean) {
  return cluster.client.patch(NAMESPACES, namespace, { type: "merge", body: { metadata: { labels: { [GATE_LABEL.key]: gated ? GATE_LABEL.value : null } } } });
}

const serviceAccount = (namespace = ns.name) => getIfPresent(cluster.client, SERVICE_ACCOUNT, NAME, namespace);
const roleBinding = (namespace = ns.name) => getIfPresent<RoleBinding>(cluster.client, ROLE_BINDING, NAME, namespace);

async function bothPresent(namespace = ns.name): Promise<{ account: KubeObject; binding: RoleBinding }> {
  return eventually(
    async () => {
      const [account, binding] = await Promise.all([serviceAccount(namespace), roleBinding(namespace)]);
      return account && binding ? { account, binding } : undefined;
    },
    { what: `tenant ServiceAccount and RoleBinding in ${namespace}` },
  );
}

async function bothGone(namespace = ns.name): Promise<void> {
  await eventually(async () => (await serviceAccount(namespace)) === undefined && (await roleBinding(namespace)) === undefined, { what: `tenant objects gone from ${namespace}` });
}

/** Reconcile passes of the tenant controller so far, from the operator's /metrics. */
async function tenantPasses(metricsUrl: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const prefix = 'controller_runtime_reconcile_total{controller="tenant"';
  return text.split("\n").filter((line) => line.startsWith(prefix)).reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

const expectedSubjects = (namespace: string) => [{ kind: "ServiceAccount", name: NAME, namespace }];
const tenantFailures = (logs: InProcessOperator["logs"]) => logs.lines.filter((line) => line.includes("reconcile failed") && line.includes('"tenant"'));

describe("Flux tenant objects", () => {
  test("gating creates the labelled ServiceAccount and RoleBinding; ungating deletes them; gating again recreates them", async () => {
    const operator = await start();
    // Nothing in a namespace that is not gated, once the controller has reconciled it.
    await eventually(async () => (await tenantPasses(operator.operator.metricsUrl!)) > 0, { what: "the namespace reconciled" });
    expect(await serviceAccount()).toBeUndefined();
    expect(await roleBinding()).toBeUndefined();

    await gate(ns.name, true);
    const { account, binding } = await bothPresent();
    expect(account.metadata.labels).toEqual(MANAGED);
    expect(binding.metadata.labels).toEqual(MANAGED);
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "vworkspace-tenant" });
    expect(binding.subjects).toEqual(expectedSubjects(ns.name));

    await gate(ns.name, false);
    await bothGone();

    await gate(ns.name, true);
    await bothPresent();
    expect(tenantFailures(operator.logs)).toEqual([]);
  });

  test("drift is repaired: extra subjects go, a deleted binding or ServiceAccount comes back, a changed roleRef is rebound", async () => {
    await gate(ns.name, true);
    await start();
    const { binding } = await bothPresent();

    const intruder = { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "mallory" };
    await cluster.client.patch(ROLE_BINDING, NAME, { type: "merge", body: { subjects: [...expectedSubjects(ns.name), intruder] } }, { namespace: ns.name });
    const repaired = await eventually(
      async () => {
        const current = await roleBinding();
        return current && current.metadata.resourceVersion !== binding.metadata.resourceVersion && current.subjects?.length === 1 ? current : undefined;
      },
      { what: "RoleBinding subjects repaired" },
    );
    expect(repaired.subjects).toEqual(expectedSubjects(ns.name));
    expect(repaired.metadata.uid).toBe(binding.metadata.uid);

    await cluster.client.delete(ROLE_BINDING, NAME, { namespace: ns.name });
    await cluster.client.delete(SERVICE_ACCOUNT, NAME, { namespace: ns.name });
    const recreated = await eventually(
      async () => {
        const [account, current] = await Promise.all([serviceAccount(), roleBinding()]);
        return account && current && current.metadata.uid !== binding.metadata.uid ? current : undefined;
      },
      { what: "deleted tenant objects recreated" },
    );
    expect(recreated.subjects).toEqual(expectedSubjects(ns.name));

    // roleRef is immutable: an admin replacing the binding with one to another role (label kept) gets it rebound.
    // The swap happens while the operator is stopped, or it could recreate the binding between delete and create.
    await running?.stop();
    await cluster.client.delete(ROLE_BINDING, NAME, { namespace: ns.name });
    await cluster.client.create(ROLE_BINDING, { ...structuredClone(recreated), metadata: { name: NAME, namespace: ns.name, labels: MANAGED }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" } });
    await start();
    const rebound = await eventually(async () => ((await roleBinding())?.roleRef.name === "vworkspace-tenant" ? roleBinding() : undefined), { what: "roleRef restored" });
    expect(rebound?.subjects).toEqual(expectedSubjects(ns.name));
  });

  test("a ServiceAccount and RoleBinding of that name without the label are left exactly as they are, and reported", async () => {
    const foreignAccount = await cluster.client.create(SERVICE_ACCOUNT, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: NAME, namespace: ns.name } } as KubeObject);
    const foreignBinding = await cluster.client.create(ROLE_BINDING, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: NAME, namespace: ns.name, labels: { owner: "admin" } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" }],
    } as RoleBinding);
    const operator = await start();
    await gate(ns.name, true);
    const reported = await eventually(
      async () => {
        const { items } = await cluster.client.list(EVENT_TYPE, { namespace: ns.name });
        // Distinct notes: another operator watching every namespace may report the same objects.
        const notes = new Set(items.filter((event) => event.reason === REASON_NOT_MANAGED).map((event) => `${(event.regarding as { kind: string }).kind}: ${event.note as string}`));
        return notes.size === 2 ? [...notes].sort() : undefined;
      },
      { what: `${REASON_NOT_MANAGED} Events for both objects` },
    );
    expect(reported).toEqual([
      `RoleBinding: RoleBinding ${NAME} exists without the label app.vworkspace.io/managed-by=vworkspace-operator; the operator leaves it untouched`,
      `ServiceAccount: ServiceAccount ${NAME} exists without the label app.vworkspace.io/managed-by=vworkspace-operator; the operator leaves it untouched`,
    ]);
    expect(operator.logs.lines.some((line) => line.includes("the operator leaves it untouched"))).toBe(true);
    expect((await serviceAccount())?.metadata.resourceVersion).toBe(foreignAccount.metadata.resourceVersion);
    expect((await roleBinding())?.metadata.resourceVersion).toBe(foreignBinding.metadata.resourceVersion);

    // Ungated: still there once the controller has reconciled the gate flip (it deletes only labelled objects).
    const metricsUrl = operator.operator.metricsUrl!;
    const passes = () => tenantPasses(metricsUrl);
    const before = await passes();
    await gate(ns.name, false);
    await eventually(async () => (await passes()) > before, { what: "the ungated namespace reconciled" });
    expect((await serviceAccount())?.metadata.resourceVersion).toBe(foreignAccount.metadata.resourceVersion);
    expect((await roleBinding())?.metadata.resourceVersion).toBe(foreignBinding.metadata.resourceVersion);
    expect(tenantFailures(operator.logs)).toEqual([]);
  });

  test("deleting a gated namespace takes the objects with it and the controller does not fight the deletion", async () => {
    const { client, runId } = cluster;
    const name = `t-tenant-del-${randomSuffix()}`;
    const labels = { [TEST_RUN_LABEL]: runId, [TEST_LABEL]: "tenant-del", [GATE_LABEL.key]: GATE_LABEL.value };
    await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
    try {
      const operator = await start(name);
      await bothPresent(name);
      await deleteNamespace(client, name);
      await bothGone(name);
      expect(tenantFailures(operator.logs)).toEqual([]);
    } finally {
      await deleteNamespace(client, name);
    }
  });
});
