/** The `helmHookJob` engine (Migration) against the real API server (docs/operations.md#helmhookjob). */
import { describe, expect, test } from "bun:test";
import { JOB } from "../../../../src/engines/common/resources";
import type { KubeObject } from "../../../../src/kube/types";
import { useNamespace } from "../../../support/namespace";
import { createOperation, createRunnerAccount, createTarget, finishJob, getOptional, waitForPhase } from "../../../support/operation";
import { registerLifecycle, useScenarioState, type EngineScenario } from "./scenarios";

const ns = useNamespace({ slug: "engine-hookjob" });
const jobName = (operation: string) => `${ns.name}--${operation}`;

const scenario: EngineScenario = {
  async prepare(client) {
    await createTarget(client, ns.name, "app", { managed: true, capabilities: { migration: "helmHookJob" } });
    await createRunnerAccount(client, ns.name);
  },
  spec: (extra = {}) => ({
    targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app" },
    type: "Migration",
    engine: "helmHookJob",
    parameters: { hookName: "db-migrate", image: "migrate:1.2", args: ["up"], env: [{ name: "DB_URL", valueFrom: { secretKeyRef: { name: "db", key: "url" } } }], runAsUser: 1001, runAsGroup: 1001 },
    ...extra,
  }),
  harnessOptions: () => ({}),
  child: (operation) => ({ type: JOB, namespace: ns.name, name: jobName(operation) }),
  succeed: async (client, op) => void (await finishJob(client, ns.name, jobName(op.metadata.name), "Complete")),
  fail: async (client, op) => void (await finishJob(client, ns.name, jobName(op.metadata.name), "Failed", "DeadlineExceeded", "Job was active longer than specified deadline")),
  reasons: { progress: "HelmHookJobRunning", success: "HelmHookJobSucceeded", failure: "HelmHookJobFailed" },
  cancelled: async (client, op) => {
    const job = await getOptional(client, JOB, jobName(op.metadata.name), ns.name);
    return job === undefined || job.metadata.deletionTimestamp !== undefined;
  },
  failedChildKept: async (client, op) => (await getOptional(client, JOB, jobName(op.metadata.name), ns.name)) !== undefined,
  removeChildren: async (client, op) => void (await client.delete(JOB, jobName(op.metadata.name), { namespace: ns.name, propagationPolicy: "Background" })),
};

const state = useScenarioState(() => ns.name, () => scenario);

describe("helmHookJob engine: the child", () => {
  test("a Job with container hook, the hook-name label on Job and pod, no Helm hook annotation", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    await createOperation(client, ns.name, "migrate", scenario.spec());
    const running = await waitForPhase(client, ns.name, "migrate", "Running");
    const job = (await client.get(JOB, jobName("migrate"), { namespace: ns.name })) as KubeObject & { spec: any };
    expect(job.metadata.labels?.["ops.vworkspace.io/hook-name"]).toBe("db-migrate");
    expect(job.spec.template.metadata.labels["ops.vworkspace.io/hook-name"]).toBe("db-migrate");
    expect(job.metadata.annotations?.["helm.sh/hook"]).toBeUndefined();
    const pod = job.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.containers[0]).toMatchObject({
      name: "hook",
      image: "migrate:1.2",
      args: ["up"],
      env: [{ name: "DB_URL", valueFrom: { secretKeyRef: { name: "db", key: "url" } } }],
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    });
    expect(running.status?.outputs).toEqual({ jobName: jobName("migrate"), hookName: "db-migrate" });
    await finishJob(client, ns.name, jobName("migrate"), "Failed", "DeadlineExceeded", "Job was active longer than specified deadline");
    const failed = await waitForPhase(client, ns.name, "migrate", "Failed");
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")?.message).toBe("DeadlineExceeded: Job was active longer than specified deadline");
  });
});

describe("helmHookJob engine: lifecycle", () => {
  registerLifecycle(() => ns.name, () => scenario, state);
});
