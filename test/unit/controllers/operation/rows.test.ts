/** The condition rows of docs/operations.md#conditions and the status built from them. */
import { describe, expect, test } from "bun:test";
import type { Operation } from "../../../../src/api/operation";
import { transitionEvents } from "../../../../src/controllers/operation/report";
import { conditionsFor, type Situation } from "../../../../src/controllers/operation/situation";
import { desiredStatus } from "../../../../src/controllers/operation/status";

const NOW = Date.parse("2026-01-01T00:00:10Z");
const table = (situation: Situation, previous?: Parameters<typeof conditionsFor>[1]) =>
  Object.fromEntries(conditionsFor(situation, previous, 3, NOW).map((c) => [c.type, `${c.status}/${c.reason}`]));

const started = conditionsFor({ row: "started", progressReason: "JobRunning", message: "Job x created" }, undefined, 1, NOW);

describe("rows", () => {
  test("precondition fails", () => {
    expect(table({ row: "blocked", reason: "CapabilityMissing", message: "m" })).toEqual({ Accepted: "False/CapabilityMissing", Blocked: "True/CapabilityMissing" });
  });
  test("child created", () => {
    expect(table({ row: "started", progressReason: "JobRunning", message: "m" })).toEqual({ Accepted: "True/AdmissionPassed", Running: "True/JobRunning", Blocked: "False/Unblocked" });
  });
  test("engine completed, with and without partial failure", () => {
    expect(table({ row: "succeeded", reason: "VeleroBackupCompleted", message: "m" }, started)).toEqual({ Accepted: "True/AdmissionPassed", Running: "False/EngineFinished", Blocked: "False/Unblocked", Succeeded: "True/VeleroBackupCompleted" });
    expect(table({ row: "succeeded", reason: "VeleroBackupCompleted", message: "m", degraded: { reason: "PartialFailure", message: "2 errors" } }, started).Degraded).toBe("True/PartialFailure");
  });
  test("engine failed, timeout, missing child", () => {
    for (const reason of ["JobFailed", "Timeout", "WorkloadMissing", "WorkloadOwnershipConflict"]) {
      expect(table({ row: "failed", reason, message: "m" }, started)).toEqual({ Accepted: "True/AdmissionPassed", Running: "False/EngineFinished", Blocked: "False/Unblocked", Failed: `True/${reason}` });
    }
  });
  test("permanent error creating the child", () => {
    expect(table({ row: "failedBeforeStart", reason: "EngineFailed", message: "m" })).toEqual({ Running: "False/EngineNotStarted", Blocked: "False/Unblocked", Failed: "True/EngineFailed" });
  });
  test("cancelled before start and while running", () => {
    const blocked = conditionsFor({ row: "blocked", reason: "AwaitingApproval", message: "m" }, undefined, 1, NOW);
    expect(table({ row: "cancelled", started: false, message: "m" }, blocked)).toEqual({ Accepted: "False/AwaitingApproval", Running: "False/EngineNotStarted", Blocked: "False/Unblocked", Cancelled: "True/UserCancelled" });
    expect(table({ row: "cancelled", started: true, message: "m" }, started)).toEqual({ Accepted: "True/AdmissionPassed", Running: "False/EngineFinished", Blocked: "False/Unblocked", Cancelled: "True/UserCancelled" });
  });
  test("a progress message changes only the Running message, not its transition time", () => {
    const later = conditionsFor({ row: "progress", progressReason: "JobRunning", message: "1/3 done" }, started, 1, NOW + 5_000);
    const running = later.find((c) => c.type === "Running");
    expect(running?.message).toBe("1/3 done");
    expect(running?.lastTransitionTime).toBe(started.find((c) => c.type === "Running")?.lastTransitionTime ?? "");
  });
  test("messages are redacted", () => {
    const [accepted] = conditionsFor({ row: "blocked", reason: "ValidationFailed", message: "bad value password: hunter2" }, undefined, 1, NOW);
    expect(accepted?.message).toBe("bad value password: [REDACTED]");
  });
});

describe("status", () => {
  const op: Operation = {
    apiVersion: "ops.vworkspace.io/v1alpha1",
    kind: "Operation",
    metadata: { name: "o", namespace: "n", generation: 1 },
    spec: { targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app" }, type: "RunCommand", engine: "job" },
  };

  test("the start write records startedAt, engineRef, logsRef and outputs; the terminal write finishedAt", () => {
    const start = { engineRef: { kind: "Job", name: "n--o", namespace: "n" }, logsRef: { kind: "Job", name: "n--o", namespace: "n", url: "" }, outputs: { jobName: "n--o" } };
    const running = desiredStatus(op, { situation: { row: "started", progressReason: "JobRunning", message: "m" }, now: NOW, start });
    expect(running).toMatchObject({ phase: "Running", startedAt: "2026-01-01T00:00:10Z", engineRef: start.engineRef, logsRef: start.logsRef, outputs: { jobName: "n--o" } });
    expect(running.finishedAt).toBeUndefined();
    const done = desiredStatus({ ...op, status: running }, { situation: { row: "succeeded", reason: "JobSucceeded", message: "m" }, now: NOW + 60_000 });
    expect(done).toMatchObject({ phase: "Succeeded", startedAt: "2026-01-01T00:00:10Z", finishedAt: "2026-01-01T00:01:10Z", outputs: { jobName: "n--o" } });
  });
});

describe("events (docs/operations.md#kubernetes-events)", () => {
  test("one Event per status or reason change; first-False Blocked, Failed, Cancelled, Degraded are quiet; Warning for Blocked/Failed/Degraded True", () => {
    const blocked = conditionsFor({ row: "blocked", reason: "AwaitingApproval", message: "m" }, undefined, 1, NOW);
    expect(transitionEvents(undefined, blocked).map((e) => `${e.type}:${e.reason}`)).toEqual(["Normal:AwaitingApproval", "Warning:AwaitingApproval"]);
    const afterStart = conditionsFor({ row: "started", progressReason: "JobRunning", message: "m" }, blocked, 1, NOW);
    expect(transitionEvents(blocked, afterStart).map((e) => `${e.type}:${e.reason}`)).toEqual(["Normal:AdmissionPassed", "Normal:Unblocked", "Normal:JobRunning"]);
    const fresh = conditionsFor({ row: "started", progressReason: "JobRunning", message: "m" }, undefined, 1, NOW);
    expect(transitionEvents(undefined, fresh).map((e) => e.reason)).toEqual(["AdmissionPassed", "JobRunning"]);
    const failed = conditionsFor({ row: "failed", reason: "JobFailed", message: "m" }, fresh, 1, NOW);
    expect(transitionEvents(fresh, failed).map((e) => `${e.type}:${e.reason}`)).toEqual(["Normal:EngineFinished", "Warning:JobFailed"]);
    expect(transitionEvents(failed, failed)).toEqual([]);
  });
});
