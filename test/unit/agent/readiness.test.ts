import { describe, expect, test } from "bun:test";
import { progressConditions, readinessOf } from "../../../src/agent/status/readiness";
import type { KubeObject } from "../../../src/kube/types";

const object = (kind: string, status: Record<string, unknown>): KubeObject => ({ apiVersion: "x/v1", kind, metadata: { name: "n", generation: 2 }, status });
const cond = (type: string, status: string) => ({ type, status, reason: "R", message: "", lastTransitionTime: "2026-11-22T08:00:00Z" });

describe("readiness view (docs/connectivity.md#results-and-progress)", () => {
  test("ApplicationInstance: Ready at the applied generation; Blocked or settled not-Ready fails", () => {
    expect(readinessOf(object("ApplicationInstance", { observedGeneration: 2, conditions: [cond("Ready", "True")] }), 2)).toBe("Ready");
    expect(readinessOf(object("ApplicationInstance", { observedGeneration: 1, conditions: [cond("Ready", "True")] }), 2)).toBe("Progressing");
    expect(readinessOf(object("ApplicationInstance", { conditions: [cond("Blocked", "True")] }), 2)).toBe("Failed");
    expect(readinessOf(object("ApplicationInstance", { conditions: [cond("Ready", "False"), cond("Reconciling", "False")] }), 2)).toBe("Failed");
  });
  test("Operation, Flux kinds, Velero phases and immediate kinds", () => {
    expect(readinessOf(object("Operation", { conditions: [cond("Succeeded", "True")] }), 1)).toBe("Ready");
    expect(readinessOf(object("Operation", { conditions: [cond("Failed", "True")] }), 1)).toBe("Failed");
    expect(readinessOf(object("HelmRelease", { observedGeneration: 2, conditions: [cond("Ready", "True")] }), 2)).toBe("Ready");
    expect(readinessOf(object("HelmRelease", { conditions: [cond("Stalled", "True")] }), 2)).toBe("Failed");
    expect(readinessOf(object("BackupStorageLocation", { phase: "Unavailable" }), 1)).toBe("Failed");
    expect(readinessOf(object("Schedule", { phase: "Enabled" }), 1)).toBe("Ready");
    expect(readinessOf(object("ConfigMap", {}), 1)).toBe("Ready");
  });
  test("phase-only kinds get a synthetic Ready condition", () => {
    expect(progressConditions(object("BackupStorageLocation", { phase: "Available" }), "Ready")).toEqual([{ type: "Ready", status: "True", reason: "Ready", message: "phase Available" }]);
  });
});
