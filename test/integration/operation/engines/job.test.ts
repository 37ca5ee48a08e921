/** The `job` engine (RunCommand) against the real API server (docs/operations.md#job). */
import { describe, expect, test } from "bun:test";
import { JOB } from "../../../../src/engines/common/resources";
import type { KubeObject } from "../../../../src/kube/types";
import { useNamespace } from "../../../support/namespace";
import { createOperation, createRunnerAccount, createTarget, finishJob, getOptional, waitForPhase } from "../../../support/operation";
import { registerLifecycle, useScenarioState, type EngineScenario } from "./scenarios";

const ns = useNamespace({ slug: "engine-job" });
const ENV = [{ name: "DB_HOST", value: "db" }, { name: "PW", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }];
const jobName = (operation: string) => `${ns.name}--${operation}`;

const scenario: EngineScenario = {
  async prepare(client) {
    await createTarget(client, ns.name, "app", { capabilities: { runcommand: "job" } });
    await createRunnerAccount(client, ns.name);
  },
  spec: (extra = {}) => ({
    targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app" },
    type: "RunCommand",
    engine: "job",
    parameters: { image: "busybox:1.36", command: ["sh", "-c"], args: ["echo $DB_HOST"], env: ENV, runAsUser: 1000 },
    ...extra,
  }),
  harnessOptions: () => ({}),
  child: (operation) => ({ type: JOB, namespace: ns.name, name: jobName(operation) }),
  succeed: async (client, op) => void (await finishJob(client, ns.name, jobName(op.metadata.name), "Complete")),
  fail: async (client, op) => void (await finishJob(client, ns.name, jobName(op.metadata.name), "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")),
  reasons: { progress: "JobRunning", success: "JobSucceeded", failure: "JobFailed" },
  cancelled: async (client, op) => {
    const job = await getOptional(client, JOB, jobName(op.metadata.name), ns.name);
    return job === undefined || job.metadata.deletionTimestamp !== undefined;
  },
  failedChildKept: async (client, op) => (await getOptional(client, JOB, jobName(op.metadata.name), ns.name)) !== undefined,
  removeChildren: async (client, op) => void (await client.delete(JOB, jobName(op.metadata.name), { namespace: ns.name, propagationPolicy: "Background" })),
};

const state = useScenarioState(() => ns.name, () => scenario);

describe("job engine: the child", () => {
  test("the Job has the restricted pod profile, env as a list with valueFrom, the Operation as owner", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    const op = await createOperation(client, ns.name, "shape", scenario.spec());
    await waitForPhase(client, ns.name, "shape", "Running");
    const job = (await getOptional(client, JOB, jobName("shape"), ns.name)) as KubeObject & { spec: any };
    expect(job.metadata.labels).toMatchObject({
      "app.vworkspace.io/managed-by": "vworkspace-operator",
      "ops.vworkspace.io/operation": op.metadata.uid,
      "app.vworkspace.io/application-instance": "app",
    });
    expect(job.metadata.ownerReferences).toEqual([{ apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Operation", name: "shape", uid: op.metadata.uid!, controller: true, blockOwnerDeletion: true }]);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(1800);
    expect(job.spec.ttlSecondsAfterFinished).toBe(86400);
    const pod = job.spec.template.spec;
    expect(job.spec.template.metadata.labels["ops.vworkspace.io/operation"]).toBe(op.metadata.uid);
    expect(pod.serviceAccountName).toBe("vworkspace-operation-runner");
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0]).toMatchObject({
      name: "runner",
      image: "busybox:1.36",
      command: ["sh", "-c"],
      args: ["echo $DB_HOST"],
      env: ENV,
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    });
  });

  test("a RunCommand against a placeholder without release creates its Job in the instance's namespace", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client); // the harness target is a placeholder without spec.release
    await state.start();
    await createOperation(client, ns.name, "placeholder", scenario.spec());
    const running = await waitForPhase(client, ns.name, "placeholder", "Running");
    expect(running.status?.engineRef).toEqual({ kind: "Job", name: jobName("placeholder"), namespace: ns.name });
  });
});

describe("job engine: lifecycle", () => {
  registerLifecycle(() => ns.name, () => scenario, state);
});
