/** The shared Operation rules (docs/operations.md#operation-rules, docs/operations.md#capabilities-and-the-namespace-allow-list) on fixed facts, admission and reconcile modes. */
import { describe, expect, test } from "bun:test";
import type { ApplicationInstance } from "../../../src/api/applicationinstance";
import type { KubeObject } from "../../../src/kube/types";
import { capabilityProblem, typeAllowedInNamespace } from "../../../src/operations/capability";
import { evaluateOperationRules, operationWarnings, type LooseSpec, type RuleFacts } from "../../../src/operations/rules";
import { findTemplate } from "../../../src/operations/templates";
import { updateViolation } from "../../../src/webhook/operation-update";

const signal = new AbortController().signal;

function target(annotations: Record<string, string>, spec: Partial<ApplicationInstance["spec"]> = {}, deleting = false): ApplicationInstance {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name: "app", namespace: "ns", annotations, ...(deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
    spec: { appRef: { catalogId: "c" }, mode: "managed", suspend: false, release: { name: "app", namespace: "ns" }, ...spec },
  };
}

function facts(instance: ApplicationInstance | undefined, namespaceAnnotations: Record<string, string> = {}): RuleFacts {
  return {
    namespace: async (name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, annotations: namespaceAnnotations } }) as KubeObject,
    target: async () => instance,
    veleroBackup: async () => undefined,
    veleroNamespace: "velero",
  };
}

const spec = (type: string, engine: string, parameters?: Record<string, unknown>): LooseSpec => ({
  targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app" },
  type,
  engine,
  ...(parameters ? { parameters } : {}),
});

const violation = async (s: LooseSpec, f: RuleFacts, mode: "admission" | "reconcile" = "admission") => {
  const outcome = await evaluateOperationRules("ns", s, f, mode, signal);
  return outcome.ok ? undefined : outcome.violation;
};

describe("rules", () => {
  test("OP-6 missing fields, OP-7 unknown type", async () => {
    const f = facts(target({ "ops.vworkspace.io/backup": "velero" }));
    expect(await violation({ ...spec("Backup", "velero"), type: "" }, f)).toEqual({ reason: "ValidationFailed", message: "spec.type is required" });
    expect(await violation({ ...spec("Backup", "velero"), engine: undefined }, f)).toEqual({ reason: "ValidationFailed", message: "spec.engine is required" });
    expect(await violation({ ...spec("Backup", "velero"), targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: " " } }, f)).toEqual({ reason: "ValidationFailed", message: "spec.targetRef.name is required" });
    expect(await violation(spec("Defrag", "velero"), f)).toEqual({ reason: "ValidationFailed", message: 'unsupported operation type "Defrag"' });
  });

  test("OP-10 in admission is TargetNotFound; in the reconciler TargetNotReady, and a suspended target holds an Upgrade", async () => {
    expect((await violation(spec("Backup", "velero"), facts(undefined)))?.reason).toBe("TargetNotFound");
    expect((await violation(spec("Backup", "velero"), facts(undefined), "reconcile"))?.reason).toBe("TargetNotReady");
    expect(await violation(spec("Backup", "velero"), facts(target({}, {}, true)), "reconcile")).toEqual({ reason: "TargetNotReady", message: 'target ApplicationInstance "app" is being deleted' });
    const suspended = facts(target({ "ops.vworkspace.io/upgrade": "helm" }, { suspend: true, values: { source: "inline", inline: {} } }));
    expect((await violation(spec("Upgrade", "helm", { targetVersion: "1.0.1" }), suspended, "reconcile"))?.message).toBe('target ApplicationInstance "app" is suspended');
    expect(await violation(spec("Upgrade", "helm", { targetVersion: "1.0.1" }), suspended, "admission")).toBeUndefined();
  });

  test("OP-13 reports the first finding in key order; OP-14 valuesPatch needs inline values", async () => {
    const f = facts(target({ "ops.vworkspace.io/upgrade": "helm" }, { values: { source: "secretRef", secretRef: { name: "s", key: "k" } } }));
    expect(await violation(spec("Upgrade", "helm", { valuesPatch: { b: { password: "x" }, a: { token: "y" } } }), f)).toEqual({
      reason: "InlineSecretMaterialRejected",
      message: 'inline secret material rejected at "parameters.valuesPatch.a.token": use a Secret reference',
    });
    expect(await violation(spec("Upgrade", "helm", { valuesPatch: { replicas: 2 } }), f)).toEqual({ reason: "TargetIncompatible", message: 'parameters.valuesPatch requires target "app" to use spec.values.source=inline' });
  });

  test("warnings: deprecated parameters and a futile approvals.required=false", () => {
    const runbook = findTemplate("Runbook", "workflow")!;
    expect(operationWarnings(runbook, spec("Runbook", "workflow", { template: "t", failureAction: "x", timeoutSeconds: 5 }))).toEqual([
      "parameters.timeoutSeconds is deprecated; use spec.timeoutSeconds",
      "parameters.failureAction is deprecated and ignored",
    ]);
    const restore = findTemplate("Restore", "velero")!;
    expect(operationWarnings(restore, { ...spec("Restore", "velero", { backupName: "b" }), approvals: { required: false } })).toEqual(["template restore.velero always requires approval"]);
  });
});

describe("capability annotations and the allow-list (docs/operations.md#capabilities-and-the-namespace-allow-list)", () => {
  const backupVelero = findTemplate("Backup", "velero")!;
  const backupSnapshot = findTemplate("Backup", "snapshot")!;

  test("a comma-separated list admits each engine it names, trimmed and case-sensitive", () => {
    const annotations = { "ops.vworkspace.io/backup": " velero , snapshot" };
    expect(capabilityProblem("app", annotations, backupVelero)).toBeUndefined();
    expect(capabilityProblem("app", annotations, backupSnapshot)).toBeUndefined();
    expect(capabilityProblem("app", { "ops.vworkspace.io/backup": "Velero" }, backupVelero)).toBe('target "app" capability ops.vworkspace.io/backup="Velero" does not match operation engine "velero" (template backup.velero)');
    expect(capabilityProblem("app", {}, backupVelero)).toBe('target "app" missing capability annotation ops.vworkspace.io/backup="velero" required for template backup.velero');
  });

  test("allowed-types: absent or blank allows all; otherwise a trimmed list", () => {
    expect(typeAllowedInNamespace("Backup", undefined)).toBe(true);
    expect(typeAllowedInNamespace("Backup", { "ops.vworkspace.io/allowed-types": "  " })).toBe(true);
    expect(typeAllowedInNamespace("Backup", { "ops.vworkspace.io/allowed-types": "Restore, Backup" })).toBe(true);
    expect(typeAllowedInNamespace("Upgrade", { "ops.vworkspace.io/allowed-types": "Restore, Backup" })).toBe(false);
  });
});

describe("UPDATE rules (OP-3 … OP-5)", () => {
  const base = { ...spec("RunCommand", "job", { image: "a" }), approvals: { required: true } };

  test("OP-3: a finished Operation's spec is frozen", () => {
    expect(updateViolation(base, { ...base, timeoutSeconds: 5 }, "Cancelled")).toEqual({ reason: "OperationFinished", message: "spec is immutable once the operation has finished (phase=Cancelled)" });
  });

  test("OP-4: identity fields, in order", () => {
    expect(updateViolation(base, { ...base, targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "other" } }, "")?.message).toBe("spec.targetRef.name is immutable");
    expect(updateViolation(base, { ...base, type: "Runbook" }, "Pending")?.message).toBe("spec.type is immutable");
    expect(updateViolation(base, { ...base, engine: "helmHookJob" }, "Pending")?.message).toBe("spec.engine is immutable");
  });

  test("OP-5: parameters and approvals change freely before start, never after", () => {
    expect(updateViolation(base, { ...base, parameters: { image: "b" } }, "Pending")).toBeUndefined();
    expect(updateViolation(base, { ...base, parameters: { image: "b" } }, "Running")?.message).toBe("spec.parameters is immutable once operation has started (phase=Running)");
    expect(updateViolation(base, { ...base, approvals: { required: true, claim: "c" } }, "Running")?.message).toBe("spec.approvals is immutable once operation has started (phase=Running)");
  });
});
