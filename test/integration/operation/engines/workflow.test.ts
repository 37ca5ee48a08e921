/** The `workflow` engine against the real Argo CRDs (docs/operations.md#workflow); the test plays the Argo controller. */
import { describe, expect, test } from "bun:test";
import { WORKFLOW, WORKFLOW_TEMPLATE } from "../../../../src/engines/common/resources";
import type { KubeObject } from "../../../../src/kube/types";
import { useNamespace } from "../../../support/namespace";
import { createOperation, createRunnerAccount, createTarget, getOptional, waitForPhase } from "../../../support/operation";
import { actAsEngine } from "./act";
import { registerLifecycle, useScenarioState, type EngineScenario } from "./scenarios";

const ns = useNamespace({ slug: "engine-workflow" });
const workflowName = (operation: string) => `${ns.name}--${operation}`;

const scenario: EngineScenario = {
  async prepare(client) {
    await createTarget(client, ns.name, "app", { capabilities: { runbook: "workflow" } });
    await createRunnerAccount(client, ns.name);
    await client.create(WORKFLOW_TEMPLATE, { apiVersion: "argoproj.io/v1alpha1", kind: "WorkflowTemplate", metadata: { name: "restart-app", namespace: ns.name }, spec: { entrypoint: "main", templates: [{ name: "main", container: { image: "busybox:1.36" } }] } });
  },
  spec: (extra = {}) => ({
    targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app" },
    type: "Runbook",
    engine: "workflow",
    parameters: { template: "restart-app", workflowTemplateParameters: { replicas: "2", mode: "rolling" }, failureAction: "rollback" },
    ...extra,
  }),
  harnessOptions: () => ({}),
  child: (operation) => ({ type: WORKFLOW, namespace: ns.name, name: workflowName(operation) }),
  succeed: async (client, op) => void (await actAsEngine(client, WORKFLOW, ns.name, workflowName(op.metadata.name), { phase: "Succeeded", startedAt: "2026-11-22T08:00:00Z", finishedAt: "2026-11-22T08:01:00Z" })),
  fail: async (client, op) => void (await actAsEngine(client, WORKFLOW, ns.name, workflowName(op.metadata.name), { phase: "Failed", message: "child 'main' failed" })),
  reasons: { progress: "WorkflowRunning", success: "WorkflowSucceeded", failure: "WorkflowFailed" },
  cancelled: async (client, op) => {
    const workflow = (await getOptional(client, WORKFLOW, workflowName(op.metadata.name), ns.name)) as (KubeObject & { spec: { shutdown?: string } }) | undefined;
    return workflow?.spec.shutdown === "Terminate";
  },
  failedChildKept: async (client, op) => (await getOptional(client, WORKFLOW, workflowName(op.metadata.name), ns.name)) !== undefined,
  removeChildren: async (client, op) => void (await client.delete(WORKFLOW, workflowName(op.metadata.name), { namespace: ns.name })),
};

const state = useScenarioState(() => ns.name, () => scenario);

describe("workflow engine: the child", () => {
  test("exact shape: template reference, sorted arguments, restricted pod profile, deadline, TTL; deprecated parameters ignored", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    const op = await createOperation(client, ns.name, "runbook", scenario.spec({ timeoutSeconds: 900 }));
    const running = await waitForPhase(client, ns.name, "runbook", "Running");
    const workflow = (await client.get(WORKFLOW, workflowName("runbook"), { namespace: ns.name })) as KubeObject & { spec: Record<string, unknown> };
    const labels = {
      "app.vworkspace.io/managed-by": "vworkspace-operator",
      "ops.vworkspace.io/operation": op.metadata.uid!,
      "app.vworkspace.io/application-instance": "app",
    };
    expect(workflow.metadata.labels).toEqual(labels);
    expect(workflow.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Operation", name: "runbook", uid: op.metadata.uid, controller: true });
    expect(workflow.spec).toEqual({
      workflowTemplateRef: { name: "restart-app", clusterScope: false },
      arguments: { parameters: [{ name: "mode", value: "rolling" }, { name: "replicas", value: "2" }] },
      serviceAccountName: "vworkspace-operation-runner",
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      podMetadata: { labels },
      activeDeadlineSeconds: 900,
      ttlStrategy: { secondsAfterCompletion: 86400 },
    });
    expect(JSON.stringify(workflow)).not.toContain("rollback");
    expect(running.status?.engineRef).toEqual({ kind: "Workflow", name: workflowName("runbook"), namespace: ns.name });
    expect(running.status?.logsRef).toEqual({ kind: "Workflow", name: workflowName("runbook"), namespace: ns.name, url: "" });
    expect(running.status?.outputs).toEqual({ workflowName: workflowName("runbook") });
  });

  test("Error fails with the Workflow's message", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    await createOperation(client, ns.name, "broken", scenario.spec());
    await waitForPhase(client, ns.name, "broken", "Running");
    await actAsEngine(client, WORKFLOW, ns.name, workflowName("broken"), { phase: "Error", message: "pod deleted" });
    const failed = await waitForPhase(client, ns.name, "broken", "Failed");
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")).toMatchObject({ status: "True", reason: "WorkflowFailed", message: `Workflow ${workflowName("broken")} Error: pod deleted` });
  });
});

describe("workflow engine: lifecycle", () => {
  registerLifecycle(() => ns.name, () => scenario, state);
});
