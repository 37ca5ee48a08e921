import { describe, expect, test } from "bun:test";
import { workflowEngine } from "../../../src/engines/workflow/engine";
import { workflowProgress } from "../../../src/engines/workflow/verdict";
import type { KubeObject } from "../../../src/kube/types";
import { CHILD_LABELS, context, OWNER_REF } from "./fixtures";

const PARAMETERS = { template: "restart-app", clusterScope: false, workflowTemplateParameters: { zeta: "z", alpha: "a" }, serviceAccountName: "vworkspace-operation-runner" as const, ttlSecondsAfterFinished: 86400 };
const ctx = context("Runbook", "workflow", PARAMETERS);
const REASONS = ctx.template.reasons;

function workflow(status: object): KubeObject {
  return { apiVersion: "argoproj.io/v1alpha1", kind: "Workflow", metadata: { name: "team-a--nightly", namespace: "team-a", labels: CHILD_LABELS }, status };
}

describe("the Runbook Workflow", () => {
  test("references the template with sorted arguments, the restricted profile and the timeout", () => {
    const [child] = workflowEngine.desiredChildren(ctx, null);
    expect(child?.object).toEqual({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Workflow",
      metadata: { name: "team-a--nightly", namespace: "team-a", labels: CHILD_LABELS, ownerReferences: [{ ...OWNER_REF }] },
      spec: {
        workflowTemplateRef: { name: "restart-app", clusterScope: false },
        arguments: { parameters: [{ name: "alpha", value: "a" }, { name: "zeta", value: "z" }] },
        serviceAccountName: "vworkspace-operation-runner",
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        podMetadata: { labels: CHILD_LABELS },
        activeDeadlineSeconds: 3600,
        ttlStrategy: { secondsAfterCompletion: 86400 },
      },
    });
    expect(JSON.stringify(child?.object)).not.toContain("failureAction");
    expect(workflowEngine.started(ctx, [child!.object])).toEqual({
      engineRef: { kind: "Workflow", name: "team-a--nightly", namespace: "team-a" },
      logsRef: { kind: "Workflow", name: "team-a--nightly", namespace: "team-a", url: "" },
      outputs: { workflowName: "team-a--nightly" },
    });
  });

  test("the workflowTemplate alias names the template too", () => {
    const aliased = context("Runbook", "workflow", { ...PARAMETERS, template: undefined, workflowTemplate: "other", clusterScope: true });
    expect(workflowEngine.desiredChildren(aliased, null)[0]?.object.spec).toMatchObject({ workflowTemplateRef: { name: "other", clusterScope: true } });
  });

  test("phases map to progress", () => {
    expect(workflowProgress(workflow({}), REASONS)).toEqual({ state: "running", message: "Workflow team-a--nightly Pending" });
    expect(workflowProgress(workflow({ phase: "Running", progress: "1/3" }), REASONS)).toEqual({ state: "running", message: "Workflow team-a--nightly Running (1/3)" });
    expect(workflowProgress(workflow({ phase: "Succeeded" }), REASONS)).toEqual({ state: "succeeded", message: "Workflow team-a--nightly succeeded" });
    expect(workflowProgress(workflow({ phase: "Failed", message: "step x failed" }), REASONS)).toEqual({ state: "failed", reason: "WorkflowFailed", message: "Workflow team-a--nightly Failed: step x failed" });
    expect(workflowProgress(workflow({ phase: "Error" }), REASONS)).toEqual({ state: "failed", reason: "WorkflowFailed", message: "Workflow team-a--nightly Error" });
  });

  test("cancel terminates the Workflow and keeps it", () => {
    expect(workflowEngine.cancel(ctx, { owned: [workflow({ phase: "Running" })] })).toEqual([
      { action: "patch", type: expect.objectContaining({ kind: "Workflow" }), namespace: "team-a", name: "team-a--nightly", patch: { spec: { shutdown: "Terminate" } } },
    ]);
    expect(workflowEngine.observe(ctx, { owned: [] })).toMatchObject({ state: "missing" });
  });
});
