import { describe, expect, test } from "bun:test";
import type { ApplicationInstance } from "../../../src/api/applicationinstance";
import { helmEngine } from "../../../src/engines/helm/engine";
import type { Condition } from "../../../src/kube/types";
import { context, NOW, target } from "./fixtures";

const STARTED = "2026-11-22T07:50:00Z";
const OUTPUTS = { previousVersion: "0.1.0", version: "0.2.0", helmReleaseName: "shop", targetGeneration: "4" };

function cond(type: string, status: "True" | "False", reason: string, observedGeneration = 4, lastTransitionTime = STARTED): Condition {
  return { type, status, reason, message: `${reason} message`, lastTransitionTime, observedGeneration };
}

function instance(conditions: Condition[], applied = "0.2.0", version = "0.2.0"): ApplicationInstance {
  const ai = target();
  ai.spec.chart = { ...ai.spec.chart!, version };
  ai.metadata.generation = 4;
  ai.status = { conditions, lastAppliedChart: { ...ai.spec.chart, version: applied } };
  return ai;
}

function observe(ai: ApplicationInstance | undefined, parameters: object = { targetVersion: "0.2.0" }) {
  const ctx = context("Upgrade", "helm", parameters, { target: ai, status: { phase: "Running", startedAt: STARTED, outputs: OUTPUTS } });
  return helmEngine.observe(ctx, { owned: [] });
}

describe("the helm engine's write", () => {
  test("one merge patch of the target's chart version and inline values under the upgrade field manager", () => {
    const ctx = context("Upgrade", "helm", { targetVersion: "0.2.0", valuesPatch: { nested: { a: 1, gone: null } } });
    expect(helmEngine.desiredChildren(ctx, null)).toEqual([
      {
        type: expect.objectContaining({ kind: "ApplicationInstance" }),
        mode: "merge",
        fieldManager: "vworkspace-operator-upgrade",
        object: {
          apiVersion: "apps.vworkspace.io/v1alpha1",
          kind: "ApplicationInstance",
          metadata: { name: "shop", namespace: "team-a" },
          spec: { chart: { version: "0.2.0" }, values: { inline: { nested: { a: 1, gone: null } } } },
        },
      },
    ]);
  });

  test("start records the previous version and the generation to wait for", () => {
    const ctx = context("Upgrade", "helm", { targetVersion: "0.2.0" });
    const after = instance([]);
    expect(helmEngine.started(ctx, [after])).toEqual({ engineRef: { kind: "ApplicationInstance", name: "shop", namespace: "team-a" }, outputs: OUTPUTS });
  });
});

describe("the helm engine's verdict", () => {
  test("Ready=True at the target generation and version succeeds", () => {
    expect(observe(instance([cond("Ready", "True", "ReconciliationSucceeded")]))).toMatchObject({ state: "succeeded", message: expect.stringContaining("0.2.0") });
  });

  test("conditions of an older generation never decide", () => {
    expect(observe(instance([cond("Ready", "True", "ReconciliationSucceeded", 3)], "0.1.0"))).toMatchObject({ state: "running" });
    expect(observe(instance([cond("Blocked", "True", "ValidationFailed", 3)]))).toMatchObject({ state: "running" });
  });

  test("Ready=True with the old version applied keeps waiting", () => {
    expect(observe(instance([cond("Ready", "True", "ReconciliationSucceeded")], "0.1.0"))).toMatchObject({ state: "running", message: expect.stringContaining("applied: 0.1.0") });
  });

  test("a release failure fails only once Flux stopped retrying", () => {
    expect(observe(instance([cond("Ready", "False", "UpgradeFailed"), cond("Reconciling", "True", "Progressing")]))).toMatchObject({ state: "running" });
    expect(observe(instance([cond("Ready", "False", "UpgradeFailed"), cond("Reconciling", "False", "Stable")]))).toMatchObject({
      state: "failed",
      reason: "HelmUpgradeFailed",
      message: "ApplicationInstance Ready=False UpgradeFailed: UpgradeFailed message",
    });
  });

  test("Blocked or Degraded fail at once", () => {
    expect(observe(instance([cond("Blocked", "True", "ValidationFailed")]))).toMatchObject({ state: "failed", message: expect.stringContaining("Blocked=True ValidationFailed") });
    expect(observe(instance([cond("Degraded", "True", "HelmReleaseFailed")]))).toMatchObject({ state: "failed" });
  });

  test("another Ready=False reason fails after --upgrade-stuck-after, and asks to be rechecked until then", () => {
    const recent = new Date(NOW.getTime() - 60_000).toISOString();
    expect(observe(instance([cond("Ready", "False", "ArtifactFailed", 4, recent)]))).toEqual({
      state: "running",
      message: "ApplicationInstance Ready=False ArtifactFailed: ArtifactFailed message",
      recheckAfterMs: 240_000,
    });
    const old = new Date(NOW.getTime() - 300_000).toISOString();
    expect(observe(instance([cond("Ready", "False", "ArtifactFailed", 4, old)]))).toMatchObject({ state: "failed", message: expect.stringContaining("unchanged for 300s") });
  });

  test("a version changed by another writer or a deleted target fails", () => {
    expect(observe(instance([], "0.1.0", "0.3.0"))).toMatchObject({ state: "failed", message: expect.stringContaining('changed to "0.3.0"') });
    expect(observe(undefined)).toMatchObject({ state: "failed", message: "target ApplicationInstance was deleted during the upgrade" });
  });

  test("a values-only upgrade succeeds on Ready=True at the generation", () => {
    expect(observe(instance([cond("Ready", "True", "ReconciliationSucceeded")], "0.1.0", "0.1.0"), { valuesPatch: { a: 1 } })).toMatchObject({ state: "succeeded" });
  });

  test("cancel and failure leave the instance alone", () => {
    const ctx = context("Upgrade", "helm", { targetVersion: "0.2.0" });
    expect(helmEngine.cancel(ctx, { owned: [] })).toEqual([]);
    expect(helmEngine.afterFailure(ctx, { owned: [] })).toEqual([]);
  });
});
