/** The Operation controller through the job engine (docs/operations.md#phases, docs/operations.md#conditions, docs/operations.md#how-an-operation-runs): rows, timeout, cancel, restart. */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { OPERATION } from "../../../src/api/groups";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import {
  conditionTable,
  createOperation,
  createRunnerAccount,
  createTarget,
  finishJob,
  getOperation,
  getOptional,
  JOB_TYPE,
  listEvents,
  operationSpec,
  startOperationController,
  waitForCondition,
  waitForPhase,
  type OperationHarness,
} from "../../support/operation";

const ns = useNamespace({ slug: "op-controller" });
let cluster: TestCluster;
let harness: OperationHarness | undefined;

beforeAll(async () => {
  cluster = await getCluster();
});

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const runCommand = (extra: Record<string, unknown> = {}) => operationSpec("app", "RunCommand", "job", { image: "busybox:1.36", command: ["true"], runAsUser: 1000 }, extra);
const jobName = (op: string) => `${ns.name}--${op}`;

async function runnable(): Promise<void> {
  await createTarget(cluster.client, ns.name, "app", { capabilities: { runcommand: "job" } });
  await createRunnerAccount(cluster.client, ns.name);
}

describe("phase machine and condition rows", () => {
  test("child created → Running row; Job Complete → Succeeded row, outputs, engineRef, logsRef, Events", async () => {
    await runnable();
    harness = await startOperationController(cluster, ns.name);
    await createOperation(cluster.client, ns.name, "cmd", runCommand());
    const running = await waitForPhase(cluster.client, ns.name, "cmd", "Running");
    expect(conditionTable(running)).toEqual({ Accepted: "True/AdmissionPassed", Running: "True/JobRunning", Blocked: "False/Unblocked" });
    expect(running.status?.engineRef).toEqual({ kind: "Job", name: jobName("cmd"), namespace: ns.name });
    expect(running.status?.logsRef).toEqual({ kind: "Job", name: jobName("cmd"), namespace: ns.name, url: "" });
    expect(running.status?.startedAt).toBeString();
    expect(running.status?.outputs?.jobName).toBe(jobName("cmd"));
    expect(running.metadata.finalizers).toContain("ops.vworkspace.io/finalizer");

    await finishJob(cluster.client, ns.name, jobName("cmd"), "Complete");
    const done = await waitForPhase(cluster.client, ns.name, "cmd", "Succeeded");
    expect(conditionTable(done)).toEqual({ Accepted: "True/AdmissionPassed", Running: "False/EngineFinished", Blocked: "False/Unblocked", Succeeded: "True/JobSucceeded" });
    expect(done.status?.finishedAt).toBeString();
    const reasons = await eventually(async () => {
      const events = (await listEvents(cluster.client, ns.name)).filter((event) => event.regarding.name === "cmd").map((event) => event.reason);
      return events.includes("JobSucceeded") ? events : undefined;
    }, { what: "operation events" });
    expect(reasons).toEqual(expect.arrayContaining(["AdmissionPassed", "JobRunning", "EngineWorkloadCreated", "EngineFinished", "JobSucceeded"]));
    expect(reasons).not.toContain("Unblocked"); // Blocked first appearing False is not news
  });

  test("Job Failed → Failed row with the Job's reason; the failed Job is kept", async () => {
    await runnable();
    harness = await startOperationController(cluster, ns.name);
    await createOperation(cluster.client, ns.name, "bad", runCommand());
    await waitForPhase(cluster.client, ns.name, "bad", "Running");
    await finishJob(cluster.client, ns.name, jobName("bad"), "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
    const failed = await waitForPhase(cluster.client, ns.name, "bad", "Failed");
    expect(conditionTable(failed)).toEqual({ Accepted: "True/AdmissionPassed", Running: "False/EngineFinished", Blocked: "False/Unblocked", Failed: "True/JobFailed" });
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")?.message).toContain("BackoffLimitExceeded");
    expect(await getOptional(cluster.client, JOB_TYPE, jobName("bad"), ns.name)).toBeDefined();
  });
});

describe("timeout, cancellation, missing child", () => {
  test("timeoutSeconds with a never-finishing Job → Failed/Timeout and the Job is deleted", async () => {
    await runnable();
    harness = await startOperationController(cluster, ns.name);
    await createOperation(cluster.client, ns.name, "slow", runCommand({ timeoutSeconds: 3 }));
    const running = await waitForPhase(cluster.client, ns.name, "slow", "Running");
    expect(running.status?.engineRef?.name).toBe(jobName("slow"));
    const failed = await waitForPhase(cluster.client, ns.name, "slow", "Failed");
    expect(conditionTable(failed)).toEqual({ Accepted: "True/AdmissionPassed", Running: "False/EngineFinished", Blocked: "False/Unblocked", Failed: "True/Timeout" });
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")?.message).toBe("operation exceeded its timeout of 3s");
    await eventually(async () => {
      const job = await getOptional(cluster.client, JOB_TYPE, jobName("slow"), ns.name);
      return job === undefined || job.metadata.deletionTimestamp !== undefined;
    }, { what: "timed-out Job deleted" });
  });

  test("cancel annotation on a Running Operation deletes its Job only → Cancelled/UserCancelled", async () => {
    await runnable();
    harness = await startOperationController(cluster, ns.name);
    await createOperation(cluster.client, ns.name, "one", runCommand());
    await createOperation(cluster.client, ns.name, "two", runCommand());
    await waitForPhase(cluster.client, ns.name, "one", "Running");
    await waitForPhase(cluster.client, ns.name, "two", "Running");
    await cluster.client.patch(OPERATION, "one", { type: "merge", body: { metadata: { annotations: { "ops.vworkspace.io/cancel": "TRUE" } } } }, { namespace: ns.name });
    const cancelled = await waitForPhase(cluster.client, ns.name, "one", "Cancelled");
    expect(conditionTable(cancelled)).toEqual({ Accepted: "True/AdmissionPassed", Running: "False/EngineFinished", Blocked: "False/Unblocked", Cancelled: "True/UserCancelled" });
    expect(cancelled.status?.finishedAt).toBeString();
    await eventually(async () => {
      const job = await getOptional(cluster.client, JOB_TYPE, jobName("one"), ns.name);
      return job === undefined || job.metadata.deletionTimestamp !== undefined;
    }, { what: "cancelled Job deleted" });
    const other = await getOptional(cluster.client, JOB_TYPE, jobName("two"), ns.name);
    expect(other?.metadata.deletionTimestamp).toBeUndefined();
    expect((await getOperation(cluster.client, ns.name, "two"))?.status?.phase).toBe("Running");
  });

  test("cancel annotation on a Pending Operation → Cancelled with Running=False/EngineNotStarted, no child", async () => {
    await createTarget(cluster.client, ns.name, "app", { capabilities: { runcommand: "job" } });
    harness = await startOperationController(cluster, ns.name);
    await createOperation(cluster.client, ns.name, "waiting", runCommand());
    await waitForCondition(cluster.client, ns.name, "waiting", "Blocked", "True/DependencyMissing");
    await cluster.client.patch(OPERATION, "waiting", { type: "merge", body: { metadata: { annotations: { "ops.vworkspace.io/cancel": "true" } } } }, { namespace: ns.name });
    const cancelled = await waitForPhase(cluster.client, ns.name, "waiting", "Cancelled");
    expect(conditionTable(cancelled)).toEqual({ Accepted: "False/DependencyMissing", Running: "False/EngineNotStarted", Blocked: "False/Unblocked", Cancelled: "True/UserCancelled" });
    expect(await getOptional(cluster.client, JOB_TYPE, jobName("waiting"), ns.name)).toBeUndefined();
  });

  test("deleting a Running Operation cancels its Job and lets the finalizer go", async () => {
    await runnable();
    harness = await startOperationController(cluster, ns.name);
    await createOperation(cluster.client, ns.name, "gone", runCommand());
    await waitForPhase(cluster.client, ns.name, "gone", "Running");
    await cluster.client.delete(OPERATION, "gone", { namespace: ns.name });
    await eventually(async () => (await getOperation(cluster.client, ns.name, "gone")) === undefined, { what: "operation deleted" });
    await eventually(async () => {
      const job = await getOptional(cluster.client, JOB_TYPE, jobName("gone"), ns.name);
      return job === undefined || job.metadata.deletionTimestamp !== undefined;
    }, { what: "Job of the deleted operation deleted" });
  });

  test("a Job deleted by hand is waited for within the grace, then Failed/WorkloadMissing", async () => {
    await runnable();
    harness = await startOperationController(cluster, ns.name, { operations: { missingWorkloadGraceMs: 4_000 } });
    await createOperation(cluster.client, ns.name, "lost", runCommand());
    await waitForPhase(cluster.client, ns.name, "lost", "Running");
    await cluster.client.delete(JOB_TYPE, jobName("lost"), { namespace: ns.name, propagationPolicy: "Background" });
    const failed = await waitForPhase(cluster.client, ns.name, "lost", "Failed");
    expect(conditionTable(failed)).toEqual({ Accepted: "True/AdmissionPassed", Running: "False/EngineFinished", Blocked: "False/Unblocked", Failed: "True/WorkloadMissing" });
  });
});

describe("terminal stays terminal; restart mid-way", () => {
  test("after Succeeded, deleting the target, a conflicting sibling and removing the gate write nothing more", async () => {
    await runnable();
    harness = await startOperationController(cluster, ns.name);
    await createOperation(cluster.client, ns.name, "final", runCommand());
    await waitForPhase(cluster.client, ns.name, "final", "Running");
    await finishJob(cluster.client, ns.name, jobName("final"), "Complete");
    const done = await waitForPhase(cluster.client, ns.name, "final", "Succeeded");
    const writesBefore = harness.calls.calls.filter((call) => call.verb === "patch" && call.path.includes("/operations/final")).length;

    await cluster.client.delete({ group: "apps.vworkspace.io", version: "v1alpha1", kind: "ApplicationInstance", plural: "applicationinstances", namespaced: true }, "app", { namespace: ns.name });
    await createOperation(cluster.client, ns.name, "sibling", runCommand());
    await cluster.client.patch({ group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false }, ns.name, { type: "merge", body: { metadata: { labels: { "managed-by": null } } } });
    await waitForCondition(cluster.client, ns.name, "sibling", "Blocked", "True/NamespaceNotGated");

    const after = await getOperation(cluster.client, ns.name, "final");
    expect(after?.status).toEqual(done.status);
    const writesAfter = harness.calls.calls.filter((call) => call.verb === "patch" && call.path.includes("/operations/final")).length;
    expect(writesAfter).toBe(writesBefore);
  });

  test("operator restart between child creation and the next pass: exactly one Job, the Operation completes", async () => {
    await runnable();
    harness = await startOperationController(cluster, ns.name);
    await createOperation(cluster.client, ns.name, "restart", runCommand());
    await waitForPhase(cluster.client, ns.name, "restart", "Running");
    await harness.running.stop();
    harness = await startOperationController(cluster, ns.name);
    await finishJob(cluster.client, ns.name, jobName("restart"), "Complete");
    await waitForPhase(cluster.client, ns.name, "restart", "Succeeded");
    const jobs = await cluster.client.list(JOB_TYPE, { namespace: ns.name });
    expect(jobs.items.map((job) => job.metadata.name)).toEqual([jobName("restart")]);
  });

  test("a Job that exists before the start was recorded, with this Operation's UID, is adopted without re-checking preconditions; a foreign one fails the Operation", async () => {
    await runnable();
    // Approval is required and no claim is given: only the already-started engine explains the child.
    const op = await createOperation(cluster.client, ns.name, "adopt", runCommand({ approvals: { required: true } }));
    await cluster.client.create(JOB_TYPE, foreignJob(jobName("adopt"), op.metadata.uid ?? ""));
    const foreign = await createOperation(cluster.client, ns.name, "clash", runCommand());
    await cluster.client.create(JOB_TYPE, foreignJob(jobName("clash"), "some-other-uid"));
    harness = await startOperationController(cluster, ns.name);
    const adopted = await waitForPhase(cluster.client, ns.name, "adopt", "Running");
    expect(adopted.status?.engineRef?.name).toBe(jobName("adopt"));
    expect((await cluster.client.list(JOB_TYPE, { namespace: ns.name, labelSelector: `ops.vworkspace.io/operation=${op.metadata.uid}` })).items).toHaveLength(1);
    const failed = await waitForPhase(cluster.client, ns.name, "clash", "Failed");
    expect(failed.metadata.uid).toBe(foreign.metadata.uid ?? "");
    expect(conditionTable(failed).Failed).toBe("True/WorkloadOwnershipConflict");
    const job = await getOptional(cluster.client, JOB_TYPE, jobName("clash"), ns.name);
    expect(job?.metadata.labels?.["ops.vworkspace.io/operation"]).toBe("some-other-uid");
  });
});

function foreignJob(name: string, uid: string) {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: ns.name, labels: { "ops.vworkspace.io/operation": uid } },
    spec: { suspend: true, template: { spec: { restartPolicy: "Never", containers: [{ name: "runner", image: "busybox:1.36" }] } } },
  };
}
