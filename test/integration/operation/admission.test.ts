/**
 * Every Operation admission rule (docs/operations.md#operation-rules) through the real API server: one denied write
 * (reason, code, exact message) and one admitted neighbour. OP-4 and OP-7 are refused by the CRD's own
 * CEL rule and enum before any webhook runs; their webhook path is covered in test/unit/webhook.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE, OPERATION } from "../../../src/api/groups";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { DEFAULT_OPERATIONS_CONFIG } from "../../../src/operations/config";
import { issueClaim } from "../../../src/operations/approval-claim";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { metricSum } from "../../support/metrics";
import { deleteNamespace, GATE_LABEL, TEST_LABEL, TEST_RUN_LABEL, useNamespace } from "../../support/namespace";
import { createTarget, operationObject, operationSpec } from "../../support/operation";
import { NAMESPACES, refusal, startWebhook, webhookActive, type WebhookHarness } from "../webhook/harness";

const SLUG = "op-admission";
const SECRET = "admission-secret";
const WEBHOOK = "voperation.kb.io";
const VELERO_BACKUP: ResourceType = { group: "velero.io", version: "v1", kind: "Backup", plural: "backups", namespaced: true };
const ns = useNamespace({ slug: SLUG });
let cluster: TestCluster;
let webhook: WebhookHarness;
let veleroNamespace: string;
const extraNamespaces: string[] = [];

beforeAll(async () => {
  cluster = await getCluster();
  veleroNamespace = await extraNamespace({});
  webhook = await startWebhook(cluster, SLUG, {}, { operations: { ...DEFAULT_OPERATIONS_CONFIG, approvalClaimSecret: SECRET, veleroNamespace } });
});

afterAll(async () => {
  await webhook?.stop();
  await Promise.all(extraNamespaces.map((name) => deleteNamespace(cluster.client, name)));
});

beforeEach(async () => {
  await webhookActive(cluster.client, ns.name);
  await createTarget(cluster.client, ns.name, "app", { managed: true, capabilities: { backup: "velero, snapshot", restore: "velero", runcommand: "job", upgrade: "helm", runbook: "workflow" } });
  await createTarget(cluster.client, ns.name, "bare", { spec: {} });
});

async function extraNamespace(labels: Record<string, string>): Promise<string> {
  const name = `t-${SLUG}-x${extraNamespaces.length}-${cluster.runId}`.slice(0, 63).replace(/-+$/, "");
  extraNamespaces.push(name);
  await cluster.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { [TEST_RUN_LABEL]: cluster.runId, [TEST_LABEL]: SLUG, ...labels } } });
  return name;
}

const op = (spec: Record<string, unknown>, name = "op", namespace = ns.name, metadata: Partial<KubeObject["metadata"]> = {}) => operationObject(namespace, name, spec, metadata);
const create = (object: KubeObject, dryRun = true) => cluster.client.create(OPERATION, object, { dryRun });
const runCommand = (parameters: Record<string, unknown> = { image: "busybox:1.36" }, extra: Record<string, unknown> = {}) => operationSpec("app", "RunCommand", "job", parameters, extra);
const FORBIDDEN = new Set(["NamespaceNotGated", "ClusterMismatch", "OperationTypeNotAllowed", "CapabilityMissing", "ApprovalClaimInvalid", "BackupNotOwned"]);

async function expectDenied(write: Promise<unknown>, reason: string, message: string): Promise<void> {
  const err = await refusal(write);
  expect(err?.serverMessage).toBe(`admission webhook "${WEBHOOK}" denied the request: ${message}`);
  expect(err?.reason).toBe(reason);
  expect(err?.status).toBe(FORBIDDEN.has(reason) ? 403 : 422);
}

async function expectAdmitted(write: Promise<unknown>): Promise<void> {
  expect((await refusal(write))?.message).toBeUndefined();
}

describe("identity (OP-1, OP-2)", () => {
  test("OP-1: an ungated namespace is refused; a gated one admits", async () => {
    const ungated = await extraNamespace({});
    await expectDenied(create(op(runCommand(), "op", ungated)), "NamespaceNotGated", `namespace "${ungated}" is not managed by vworkspace (label managed-by=vworkspace missing)`);
    await expectAdmitted(create(op(runCommand())));
  });

  test("OP-2: a foreign cluster-id label is refused; ours is admitted", async () => {
    await expectDenied(create(op(runCommand(), "op", ns.name, { labels: { "app.vworkspace.io/cluster-id": "b" } })), "ClusterMismatch", 'label app.vworkspace.io/cluster-id="b" does not match this cluster "c1"');
    await expectAdmitted(create(op(runCommand(), "op", ns.name, { labels: { "app.vworkspace.io/cluster-id": "c1" } })));
  });
});

describe("spec rules (OP-6 … OP-16)", () => {
  test("OP-6: targetRef basics", async () => {
    const spec = runCommand();
    await expectDenied(create(op({ ...spec, targetRef: { apiVersion: "apps.vworkspace.io/v1", kind: "ApplicationInstance", name: "app" } })), "ValidationFailed", "spec.targetRef.apiVersion must be apps.vworkspace.io/v1alpha1");
    await expectDenied(create(op({ ...spec, targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "Deployment", name: "app" } })), "ValidationFailed", "spec.targetRef.kind must be ApplicationInstance");
    await expectAdmitted(create(op(spec)));
  });

  test("OP-8: the namespace allow-list", async () => {
    await cluster.client.patch(NAMESPACES, ns.name, { type: "merge", body: { metadata: { annotations: { "ops.vworkspace.io/allowed-types": "Backup, Upgrade" } } } });
    // The webhook reads Namespaces from its cache, which sees the annotation a moment later.
    await eventually(async () => (await refusal(create(op(runCommand()))))?.reason === "OperationTypeNotAllowed", { what: "allow-list in the webhook's cache" });
    await expectDenied(create(op(runCommand())), "OperationTypeNotAllowed", `operation type "RunCommand" not allowed in namespace "${ns.name}" (annotation ops.vworkspace.io/allowed-types)`);
    await expectAdmitted(create(op(operationSpec("app", "Upgrade", "helm", { targetVersion: "1.2.0" }))));
  });

  test("OP-9: a (type, engine) pair without a template", async () => {
    await expectDenied(
      create(op(operationSpec("app", "Backup", "job"))),
      "TemplateNotFound",
      'no built-in operation template for type "Backup" and engine "job" (expected refs such as backup.velero, restore.velero, upgrade.helm, migration.helmHookJob, runCommand.job, runbook.workflow, backup.snapshot, backup.volsync, restore.volsync)',
    );
    await expectAdmitted(create(op(operationSpec("app", "Backup", "velero"))));
  });

  test("OP-10: a missing target and a target being deleted", async () => {
    await expectDenied(create(op(operationSpec("nope", "RunCommand", "job", { image: "x" }))), "TargetNotFound", `target ApplicationInstance "nope" not found in namespace "${ns.name}"`);
    await createTarget(cluster.client, ns.name, "dying", { capabilities: { runcommand: "job" } });
    await cluster.client.patch(APPLICATION_INSTANCE, "dying", { type: "merge", body: { metadata: { finalizers: ["vworkspace.io/test-hold"] } } }, { namespace: ns.name });
    await cluster.client.delete(APPLICATION_INSTANCE, "dying", { namespace: ns.name });
    await expectDenied(create(op(operationSpec("dying", "RunCommand", "job", { image: "x" }))), "TargetNotFound", 'target ApplicationInstance "dying" is being deleted');
    await cluster.client.patch(APPLICATION_INSTANCE, "dying", { type: "merge", body: { metadata: { finalizers: null } } }, { namespace: ns.name });
  });

  test("OP-11: capability missing or not listing the engine; a list admits each engine; the denial is counted", async () => {
    const metrics = webhook.operator.operator.metricsUrl as string;
    const before = await metricSum(metrics, 'vworkspace_operator_webhook_denials_total{webhook="voperation.kb.io",reason="CapabilityMissing"}');
    await expectDenied(create(op(operationSpec("bare", "RunCommand", "job", { image: "x" }))), "CapabilityMissing", 'target "bare" missing capability annotation ops.vworkspace.io/runcommand="job" required for template runCommand.job');
    await expectDenied(create(op(operationSpec("app", "Restore", "volsync", { pvcName: "data", repository: "repo" }))), "CapabilityMissing", 'target "app" capability ops.vworkspace.io/restore="velero" does not match operation engine "volsync" (template restore.volsync)');
    await expectAdmitted(create(op(operationSpec("app", "Backup", "velero"))));
    await expectAdmitted(create(op(operationSpec("app", "Backup", "snapshot"))));
    const after = await metricSum(metrics, 'vworkspace_operator_webhook_denials_total{webhook="voperation.kb.io",reason="CapabilityMissing"}');
    expect(after - before).toBe(2);
  });

  test("OP-12: parameters against the template's schema", async () => {
    await expectDenied(create(op(runCommand({}))), "InvalidParameters", "parameters invalid for template runCommand.job: parameters.image: is required");
    await expectDenied(create(op(runCommand({ image: "x", colour: "blue" }))), "InvalidParameters", "parameters invalid for template runCommand.job: parameters.colour: unknown key");
    await expectDenied(create(op(runCommand({ image: "x", backoffLimit: "many" }))), "InvalidParameters", "parameters invalid for template runCommand.job: parameters.backoffLimit: must be an integer");
    await expectDenied(create(op(runCommand({ image: "x", env: { DB_HOST: "db" } }))), "InvalidParameters", "parameters invalid for template runCommand.job: parameters.env: must be a list of {name, value | valueFrom}");
    await expectAdmitted(create(op(runCommand({ image: "x", env: [{ name: "DB_HOST", value: "db" }, { name: "PW", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }] }))));
  });

  test("OP-13: inline secret material in parameters", async () => {
    await expectDenied(create(op(runCommand({ image: "x", env: [{ name: "DB_PASSWORD", value: "hunter2" }] }))), "InlineSecretMaterialRejected", 'inline secret material rejected at "parameters.env[0].value": use a Secret reference');
    await expectAdmitted(create(op(runCommand({ image: "x", env: [{ name: "DB_HOST", value: "db" }] }))));
  });

  test("OP-14: a target that cannot run the template", async () => {
    await createTarget(cluster.client, ns.name, "holder", { capabilities: { upgrade: "helm", backup: "snapshot" } });
    await expectDenied(create(op(operationSpec("holder", "Upgrade", "helm", { targetVersion: "1.2.0" }))), "TargetIncompatible", 'target "holder" has no release (placeholder instances do not support helm upgrade)');
    await expectDenied(create(op(operationSpec("holder", "Backup", "snapshot"))), "TargetIncompatible", 'parameters.pvcLabelSelector is required because target "holder" has no release');
    await expectAdmitted(create(op(operationSpec("holder", "Backup", "snapshot", { pvcLabelSelector: { app: "x" } }))));
  });

  test("OP-15: restore.velero references", async () => {
    const claim = (name: string) => ({ approvals: { claim: issueClaim({ at: "2026-01-01T00:00:00Z", by: "t", exp: Math.floor(Date.now() / 1000) + 600, op: name, rid: 1, v: 1 }, SECRET) } });
    const backup = (name: string, source: string) =>
      cluster.client.create(VELERO_BACKUP, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name, namespace: veleroNamespace, labels: { "ops.vworkspace.io/source-namespace": source } }, spec: {} });
    const mine = `${ns.name}-mine`.slice(0, 63);
    const foreign = `${ns.name}-foreign`.slice(0, 63);
    await backup(mine, ns.name);
    await backup(foreign, "someone-else");
    const restore = (parameters: Record<string, unknown>) => create(op(operationSpec("app", "Restore", "velero", parameters, claim("op"))));
    await expectDenied(restore({ backupName: "missing" }), "BackupNotOwned", `backup "missing" not found in namespace "${veleroNamespace}"`);
    await expectDenied(restore({ backupName: foreign }), "BackupNotOwned", `backup "${foreign}" was not taken from namespace "${ns.name}"`);
    await expectDenied(restore({ backupName: mine, namespaceMapping: { other: "x" } }), "BackupNotOwned", `parameters.namespaceMapping may only map namespace "${ns.name}"`);
    const ungated = await extraNamespace({});
    await expectDenied(restore({ backupName: mine, namespaceMapping: { [ns.name]: ungated } }), "NamespaceNotGated", `parameters.namespaceMapping target namespace "${ungated}" is not managed by vworkspace`);
    const gated = await extraNamespace({ [GATE_LABEL.key]: GATE_LABEL.value });
    await expectAdmitted(restore({ backupName: mine, namespaceMapping: { [ns.name]: gated } }));
  });

  test("OP-16: an invalid claim on CREATE; a required Operation without a claim is admitted", async () => {
    const expired = issueClaim({ at: "2020-01-01T00:00:00Z", by: "t", exp: 1_600_000_000, op: "op", rid: 1, v: 1 }, SECRET);
    await expectDenied(create(op(runCommand(undefined, { approvals: { claim: expired } }))), "ApprovalClaimInvalid", "spec.approvals.claim: claim expired at 2020-09-13T12:26:40Z");
    await expectDenied(create(op(runCommand(undefined, { approvals: { claim: "vws1.a.b" } }))), "ApprovalClaimInvalid", "spec.approvals.claim: signature mismatch");
    await expectAdmitted(create(op(runCommand(undefined, { approvals: { required: true } }))));
  });
});

describe("UPDATE rules (OP-3, OP-5) and exemptions", () => {
  async function stored(name: string, spec: Record<string, unknown>, phase?: string): Promise<KubeObject> {
    const created = await create(op(spec, name), false);
    if (!phase) return created;
    return cluster.client.patchStatus(OPERATION, name, { type: "merge", body: { status: { phase } } }, { namespace: ns.name });
  }
  const patchSpec = (name: string, spec: Record<string, unknown>) => cluster.client.patch(OPERATION, name, { type: "merge", body: { spec } }, { namespace: ns.name });

  test("OP-3: spec of a finished Operation is immutable; metadata is not", async () => {
    await stored("done", runCommand(), "Succeeded");
    await expectDenied(patchSpec("done", { timeoutSeconds: 60 }), "OperationFinished", "spec is immutable once the operation has finished (phase=Succeeded)");
    await expectAdmitted(cluster.client.patch(OPERATION, "done", { type: "merge", body: { metadata: { labels: { seen: "yes" } } } }, { namespace: ns.name }));
  });

  test("OP-5: parameters and approvals are immutable once started; before start they may change", async () => {
    await stored("early", runCommand());
    await expectAdmitted(patchSpec("early", { parameters: { image: "busybox:1.37" } }));
    await stored("busy", runCommand(), "Running");
    await expectDenied(patchSpec("busy", { parameters: { image: "busybox:1.37" } }), "ImmutableField", "spec.parameters is immutable once operation has started (phase=Running)");
    await expectDenied(patchSpec("busy", { approvals: { approvedBy: "bob" } }), "ImmutableField", "spec.approvals is immutable once operation has started (phase=Running)");
    await expectAdmitted(patchSpec("busy", { timeoutSeconds: 120 }));
  });

  test("finalizer removal is allowed after the target was deleted, the claim expired and the gate was removed; so is any update while deleting", async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const claim = issueClaim({ at: "2026-01-01T00:00:00Z", by: "t", exp, op: "held", rid: 1, v: 1 }, SECRET);
    await stored("held", runCommand(undefined, { approvals: { required: true, claim } }));
    await stored("leaving", runCommand());
    await cluster.client.patch(OPERATION, "held", { type: "merge", body: { metadata: { finalizers: ["ops.vworkspace.io/finalizer"] } } }, { namespace: ns.name });
    await cluster.client.delete(APPLICATION_INSTANCE, "app", { namespace: ns.name });
    while (Date.now() / 1000 <= exp + 1) await Bun.sleep(250); // the claim is now expired
    await cluster.client.patch(NAMESPACES, ns.name, { type: "merge", body: { metadata: { labels: { [GATE_LABEL.key]: null } } } });
    await expectAdmitted(cluster.client.patch(OPERATION, "held", { type: "merge", body: { metadata: { finalizers: null } } }, { namespace: ns.name }));

    await cluster.client.patch(OPERATION, "leaving", { type: "merge", body: { metadata: { finalizers: ["ops.vworkspace.io/finalizer"] } } }, { namespace: ns.name });
    await cluster.client.delete(OPERATION, "leaving", { namespace: ns.name });
    await expectAdmitted(cluster.client.patch(OPERATION, "leaving", { type: "merge", body: { metadata: { finalizers: null } } }, { namespace: ns.name }));
  });
});
