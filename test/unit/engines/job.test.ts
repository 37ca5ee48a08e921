import { describe, expect, test } from "bun:test";
import { buildJob } from "../../../src/engines/job/manifest";
import { jobProgress } from "../../../src/engines/job/verdict";
import { findTemplate } from "../../../src/operations/templates";
import type { KubeObject } from "../../../src/kube/types";
import { CHILD_LABELS, OWNER, OWNER_REF } from "./fixtures";

const ENV = [
  { name: "DB_HOST", value: "db" },
  { name: "PW", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
];

describe("the RunCommand Job", () => {
  test("has exactly the shape docs/operations.md#job prescribes", () => {
    const job = buildJob({
      name: "team-a--nightly",
      namespace: "team-a",
      owner: OWNER,
      ownerReference: OWNER_REF,
      containerName: "runner",
      parameters: { image: "busybox:1.36", command: ["sh", "-c"], args: ["echo hi"], env: ENV, runAsUser: 1000 },
      timeoutSeconds: 1800,
    });
    expect(job).toEqual({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "team-a--nightly", namespace: "team-a", labels: CHILD_LABELS, ownerReferences: [OWNER_REF] },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: 1800,
        ttlSecondsAfterFinished: 86400,
        template: {
          metadata: { labels: CHILD_LABELS },
          spec: {
            serviceAccountName: "vworkspace-operation-runner",
            restartPolicy: "Never",
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, runAsUser: 1000 },
            containers: [
              {
                name: "runner",
                image: "busybox:1.36",
                command: ["sh", "-c"],
                args: ["echo hi"],
                env: ENV,
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
              },
            ],
          },
        },
      },
    });
  });

  test("explicit parameters win over defaults; the hook label reaches Job and pod", () => {
    const job = buildJob({
      name: "j",
      namespace: "team-a",
      owner: OWNER,
      ownerReference: OWNER_REF,
      containerName: "hook",
      parameters: { image: "migrate:1", activeDeadlineSeconds: 60, backoffLimit: 2, ttlSecondsAfterFinished: 10, runAsGroup: 3000 },
      timeoutSeconds: 1800,
      extraLabels: { "ops.vworkspace.io/hook-name": "db-migrate" },
    }) as unknown as { metadata: KubeObject["metadata"]; spec: Record<string, any> };
    expect(job.spec.activeDeadlineSeconds).toBe(60);
    expect(job.spec.backoffLimit).toBe(2);
    expect(job.spec.ttlSecondsAfterFinished).toBe(10);
    expect(job.metadata.labels?.["ops.vworkspace.io/hook-name"]).toBe("db-migrate");
    expect(job.spec.template.metadata.labels["ops.vworkspace.io/hook-name"]).toBe("db-migrate");
    expect(job.spec.template.spec.containers[0].name).toBe("hook");
    expect(job.spec.template.spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, runAsGroup: 3000 });
    expect(job.metadata.annotations).toBeUndefined();
  });
});

const JOB_REASONS = findTemplate("RunCommand", "job")!.reasons;
const HOOK_JOB_REASONS = findTemplate("Migration", "helmHookJob")!.reasons;

function job(conditions: object[], counts: object = {}): KubeObject {
  return { apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" }, status: { conditions, ...counts } };
}

describe("Job verdicts", () => {
  test("Complete=True succeeds", () => {
    expect(jobProgress(job([{ type: "SuccessCriteriaMet", status: "True" }, { type: "Complete", status: "True" }]), JOB_REASONS)).toEqual({
      state: "succeeded",
      message: "Job j completed",
    });
  });

  test("Failed=True fails with the condition's reason and message", () => {
    const verdict = jobProgress(job([{ type: "FailureTarget", status: "True" }, { type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }]), JOB_REASONS);
    expect(verdict).toEqual({ state: "failed", reason: "JobFailed", message: "BackoffLimitExceeded: Job has reached the specified backoff limit" });
    expect(jobProgress(job([{ type: "Failed", status: "True", reason: "DeadlineExceeded" }]), HOOK_JOB_REASONS)).toEqual({
      state: "failed",
      reason: "HelmHookJobFailed",
      message: "DeadlineExceeded",
    });
  });

  test("anything else is running, with the pod counts", () => {
    expect(jobProgress({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" } }, JOB_REASONS)).toEqual({
      state: "running",
      message: "Job j running (active 0, succeeded 0, failed 0)",
    });
    expect(jobProgress(job([{ type: "Complete", status: "False" }], { active: 1 }), HOOK_JOB_REASONS).state).toBe("running");
  });
});
