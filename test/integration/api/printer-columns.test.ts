/** `kubectl get` output of our kinds: the API server's Table rendering of the generated printer columns. */
import { beforeAll, describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE, CLUSTER, OPERATION } from "../../../src/api/groups";
import type { KubeClient } from "../../../src/kube/client";
import { collectionPath } from "../../../src/kube/paths";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { getCluster } from "../../support/cluster";
import { useNamespace } from "../../support/namespace";

// What kubectl sends to have the server render the rows.
const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io";

interface Table {
  kind: string;
  columnDefinitions: Array<{ name: string; type: string; priority: number }>;
  rows: Array<{ cells: unknown[]; object: { metadata: { name: string } } }>;
}

const ns = useNamespace({ slug: "api-columns" });
let client: KubeClient;

beforeAll(async () => {
  client = (await getCluster()).client;
});

function condition(type: string, status: string, reason: string, message = "") {
  return { type, status, reason, message, lastTransitionTime: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, "Z") };
}

/** Creates the object, writes its status, and returns the Table row the API server renders for it. */
async function tableRow(type: ResourceType, object: KubeObject, status: Record<string, unknown>, namespace?: string): Promise<{ table: Table; cells: Record<string, unknown> }> {
  const created = await client.create(type, object);
  await client.replaceStatus(type, { ...created, status });
  const table = await client.request<Table>({
    method: "GET",
    path: collectionPath(type, namespace),
    query: { fieldSelector: `metadata.name=${object.metadata.name}` },
    accept: TABLE_ACCEPT,
  });
  expect(table.kind).toBe("Table");
  expect(table.rows).toHaveLength(1);
  const cells = Object.fromEntries(table.columnDefinitions.map((column, i) => [column.name, table.rows[0]!.cells[i]]));
  return { table, cells };
}

describe("printer columns as the API server renders them", () => {
  test("ApplicationInstance: chart, version, Ready, reason, age", async () => {
    const name = "columns";
    const { table, cells } = await tableRow(
      APPLICATION_INSTANCE,
      {
        apiVersion: "apps.vworkspace.io/v1alpha1",
        kind: "ApplicationInstance",
        metadata: { name, namespace: ns.name },
        spec: {
          appRef: { catalogId: "odoo" },
          chart: { sourceType: "helm", url: "https://charts.example.com", name: "odoo", version: "1.2.3" },
          release: { name, namespace: ns.name },
        },
      },
      { conditions: [condition("Ready", "False", "HelmReleaseFailed", "chart failed"), condition("Degraded", "True", "HelmReleaseFailed")] },
      ns.name,
    );
    expect(table.columnDefinitions.map((column) => column.name)).toEqual(["Name", "Ready", "Reason", "Chart", "Version", "Age"]);
    expect(cells).toMatchObject({ Name: name, Ready: "False", Reason: "HelmReleaseFailed", Chart: "odoo", Version: "1.2.3" });
    expect(cells.Age).toMatch(/^\d+(s|m)/);
  });

  test("Operation: phase, type, engine, failure reason, age; admission reason only in wide output", async () => {
    const name = "columns";
    const { table, cells } = await tableRow(
      OPERATION,
      {
        apiVersion: "ops.vworkspace.io/v1alpha1",
        kind: "Operation",
        metadata: { name, namespace: ns.name },
        spec: { targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "shop" }, type: "Backup", engine: "velero" },
      },
      {
        phase: "Failed",
        conditions: [condition("Accepted", "True", "AdmissionPassed"), condition("Running", "False", "EngineFinished"), condition("Failed", "True", "Timeout")],
      },
      ns.name,
    );
    expect(table.columnDefinitions.map((column) => [column.name, column.priority])).toEqual([
      ["Name", 0],
      ["Phase", 0],
      ["Type", 0],
      ["Engine", 0],
      ["Reason", 0],
      ["Accepted", 1],
      ["Age", 0],
    ]);
    expect(cells).toMatchObject({ Name: name, Phase: "Failed", Type: "Backup", Engine: "velero", Reason: "Timeout", Accepted: "AdmissionPassed" });
    expect(cells.Age).toMatch(/^\d+(s|m)/);
  });

  test("Cluster: phase, mode, Connected, last heartbeat, age", async () => {
    const name = `columns-${ns.name}`;
    try {
      const { table, cells } = await tableRow(
        CLUSTER,
        { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name, labels: { "vworkspace.io/test-run": "columns" } }, spec: { clusterId: "c-columns" } },
        {
          phase: "Connected",
          connectivityMode: "pull",
          lastHeartbeat: new Date(Date.now() - 3 * 60_000).toISOString().replace(/\.\d+Z$/, "Z"),
          conditions: [condition("Connected", "True", "RoundTripOK")],
        },
      );
      expect(table.columnDefinitions.map((column) => [column.name, column.type])).toEqual([
        ["Name", "string"],
        ["Phase", "string"],
        ["Mode", "string"],
        ["Connected", "string"],
        ["Last Heartbeat", "date"],
        ["Age", "date"],
      ]);
      expect(cells).toMatchObject({ Name: name, Phase: "Connected", Mode: "pull", Connected: "True" });
      expect(cells["Last Heartbeat"]).toMatch(/^3m/);
    } finally {
      await client.delete(CLUSTER, name).catch(() => undefined);
    }
  });
});
