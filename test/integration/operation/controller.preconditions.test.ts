/**
 * Each precondition of docs/operations.md#preconditions alone: its Blocked reason with phase Pending and Accepted=False,
 * and fixing it starts the Operation without a manual nudge. The webhook is off, so the reconciler's own
 * copy of the admission rules is what protects the cluster. Also the Operation metrics of docs/reference/metrics.md.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import type { ResourceType } from "../../../src/kube/types";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { metricSum } from "../../support/metrics";
import { GATE_LABEL, useNamespace } from "../../support/namespace";
import {
  condition,
  conditionTable,
  createOperation,
  createRunnerAccount,
  createTarget,
  finishJob,
  getOperation,
  operationSpec,
  startOperationController,
  waitForCondition,
  waitForPhase,
  type OperationHarness,
} from "../../support/operation";

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const ns = useNamespace({ slug: "op-preconditions" });
let cluster: TestCluster;
let harness: OperationHarness | undefined;

beforeAll(async () => {
  cluster = await getCluster();
});

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const runCommand = (parameters: Record<string, unknown> = { image: "busybox:1.36", runAsUser: 1000 }) => operationSpec("app", "RunCommand", "job", parameters);
const start = () => startOperationController(cluster, ns.name, { config: { clusterId: "c1" }, operations: { blockedRecheckMs: 1_000 } });

async function expectBlocked(name: string, reason: string, message?: string): Promise<void> {
  const op = await waitForCondition(cluster.client, ns.name, name, "Blocked", `True/${reason}`);
  expect(op.status?.phase).toBe("Pending");
  expect(conditionTable(op).Accepted).toBe(`False/${reason}`);
  if (message !== undefined) expect(condition(op, "Blocked")?.message).toBe(message);
}

describe("each precondition alone", () => {
  test("1. ungated namespace: NamespaceNotGated and no finalizer; gating it starts the Operation", async () => {
    await cluster.client.patch(NAMESPACES, ns.name, { type: "merge", body: { metadata: { labels: { [GATE_LABEL.key]: null } } } });
    await createTarget(cluster.client, ns.name, "app", { capabilities: { runcommand: "job" } });
    await createRunnerAccount(cluster.client, ns.name);
    harness = await start();
    await createOperation(cluster.client, ns.name, "op", runCommand());
    await expectBlocked("op", "NamespaceNotGated", `namespace "${ns.name}" is not managed by vworkspace (label managed-by=vworkspace missing)`);
    expect((await getOperation(cluster.client, ns.name, "op"))?.metadata.finalizers ?? []).toEqual([]);
    await cluster.client.patch(NAMESPACES, ns.name, { type: "merge", body: { metadata: { labels: { [GATE_LABEL.key]: GATE_LABEL.value } } } });
    await waitForPhase(cluster.client, ns.name, "op", "Running");
  });

  test("2. foreign cluster id: ClusterMismatch", async () => {
    await createTarget(cluster.client, ns.name, "app", { capabilities: { runcommand: "job" } });
    harness = await start();
    await createOperation(cluster.client, ns.name, "op", runCommand(), { labels: { "app.vworkspace.io/cluster-id": "c2" } });
    await expectBlocked("op", "ClusterMismatch", 'label app.vworkspace.io/cluster-id="c2" does not match this cluster "c1"');
  });

  test("3. rules OP-6 … OP-9: no template, type not allowed in the namespace", async () => {
    await createTarget(cluster.client, ns.name, "app", { capabilities: { runcommand: "job", backup: "velero" } });
    await cluster.client.patch(NAMESPACES, ns.name, { type: "merge", body: { metadata: { annotations: { "ops.vworkspace.io/allowed-types": "Backup" } } } });
    harness = await start();
    await createOperation(cluster.client, ns.name, "pair", operationSpec("app", "Backup", "job"));
    await expectBlocked("pair", "TemplateNotFound");
    await createOperation(cluster.client, ns.name, "type", runCommand());
    await expectBlocked("type", "OperationTypeNotAllowed", `operation type "RunCommand" not allowed in namespace "${ns.name}" (annotation ops.vworkspace.io/allowed-types)`);
  });

  test("4. missing target: TargetNotReady; creating it starts the Operation", async () => {
    await createRunnerAccount(cluster.client, ns.name);
    harness = await start();
    await createOperation(cluster.client, ns.name, "op", runCommand());
    await expectBlocked("op", "TargetNotReady", `target ApplicationInstance "app" not found in namespace "${ns.name}"`);
    await createTarget(cluster.client, ns.name, "app", { capabilities: { runcommand: "job" } });
    await waitForPhase(cluster.client, ns.name, "op", "Running");
  });

  test("5. capability missing; adding the annotation starts the Operation; invalid parameters and inline secrets block", async () => {
    await createTarget(cluster.client, ns.name, "app", {});
    await createRunnerAccount(cluster.client, ns.name);
    harness = await start();
    await createOperation(cluster.client, ns.name, "op", runCommand());
    await expectBlocked("op", "CapabilityMissing", 'target "app" missing capability annotation ops.vworkspace.io/runcommand="job" required for template runCommand.job');
    const metrics = harness.running.operator.metricsUrl as string;
    await eventually(async () => (await metricSum(metrics, 'vworkspace_operator_operations_blocked{reason="CapabilityMissing"}')) === 1, { what: "blocked gauge" });
    await cluster.client.patch(APPLICATION_INSTANCE, "app", { type: "merge", body: { metadata: { annotations: { "ops.vworkspace.io/runcommand": "job" } } } }, { namespace: ns.name });
    await waitForPhase(cluster.client, ns.name, "op", "Running");

    await createOperation(cluster.client, ns.name, "params", runCommand({}));
    await expectBlocked("params", "InvalidParameters", "parameters invalid for template runCommand.job: parameters.image: is required");
    await createOperation(cluster.client, ns.name, "secret", runCommand({ image: "x", env: [{ name: "DB_PASSWORD", value: "hunter2" }] }));
    await expectBlocked("secret", "InlineSecretMaterialRejected", 'inline secret material rejected at "parameters.env[0].value": use a Secret reference');
  });

  test("6. missing runner ServiceAccount: DependencyMissing; creating it starts the Operation", async () => {
    await createTarget(cluster.client, ns.name, "app", { capabilities: { runcommand: "job" } });
    harness = await start();
    await createOperation(cluster.client, ns.name, "op", runCommand());
    await expectBlocked("op", "DependencyMissing", `ServiceAccount "vworkspace-operation-runner" not found in namespace "${ns.name}"`);
    await createRunnerAccount(cluster.client, ns.name);
    await waitForPhase(cluster.client, ns.name, "op", "Running");
  });
});

describe("metrics (docs/reference/metrics.md)", () => {
  test("a succeeded Operation counts once, observes one duration, and leaves the active gauge", async () => {
    await createTarget(cluster.client, ns.name, "app", { capabilities: { runcommand: "job" } });
    await createRunnerAccount(cluster.client, ns.name);
    harness = await start();
    const metrics = harness.running.operator.metricsUrl as string;
    await createOperation(cluster.client, ns.name, "op", runCommand());
    await waitForPhase(cluster.client, ns.name, "op", "Running");
    await eventually(async () => (await metricSum(metrics, 'vworkspace_operator_operations_active{type="RunCommand",engine="job",phase="Running"}')) === 1, { what: "active gauge" });
    await finishJob(cluster.client, ns.name, `${ns.name}--op`, "Complete");
    await waitForPhase(cluster.client, ns.name, "op", "Succeeded");
    await eventually(async () => (await metricSum(metrics, 'vworkspace_operator_operations_active{type="RunCommand",engine="job",phase="Running"}')) === 0, { what: "active gauge drained" });
    expect(await metricSum(metrics, 'vworkspace_operator_operation_total{type="RunCommand",engine="job",phase="Succeeded"}')).toBe(1);
    expect(await metricSum(metrics, 'vworkspace_operator_operation_duration_seconds_count{type="RunCommand",engine="job",phase="Succeeded"}')).toBe(1);
  });
});
