/** The Operation controller through the job engine (operations.md §2.3, §2.4, §3): rows, timeout, cancel, restart. */
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
