import { describe, expect, test } from "bun:test";
import { checkPinnedKind, PINNED_INTENT_KINDS, pinnedApiVersion, withPinnedTypeMeta } from "../../../src/policy/kinds";

const instance = PINNED_INTENT_KINDS["ensure-application-instance"];
const operation = PINNED_INTENT_KINDS["request-operation"];

describe("pinned intent kinds", () => {
  test("each intent writes one kind", () => {
    expect(pinnedApiVersion(instance)).toBe("apps.vworkspace.io/v1alpha1");
    expect(instance.kind).toBe("ApplicationInstance");
    expect(pinnedApiVersion(operation)).toBe("ops.vworkspace.io/v1alpha1");
    expect(operation.kind).toBe("Operation");
    expect(PINNED_INTENT_KINDS["delete-application-instance"]).toEqual(instance);
  });

  test("absent or empty type meta is filled; present type meta is kept for the check", () => {
    expect(withPinnedTypeMeta({ metadata: { name: "a" } }, instance)).toMatchObject({ apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance" });
    expect(withPinnedTypeMeta({ apiVersion: "", kind: "" }, operation)).toMatchObject({ apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Operation" });
    expect(withPinnedTypeMeta({ apiVersion: "batch/v1", kind: "Job" }, instance)).toMatchObject({ apiVersion: "batch/v1", kind: "Job" });
  });

  test("only the exact group, version and kind pass", () => {
    expect(checkPinnedKind(instance, { group: "apps.vworkspace.io", version: "v1alpha1", kind: "ApplicationInstance" })).toBeUndefined();
    expect(checkPinnedKind(operation, { group: "ops.vworkspace.io", version: "v1alpha1", kind: "Operation" })).toBeUndefined();
    for (const target of [
      { group: "batch", version: "v1", kind: "Job" },
      { group: "velero.io", version: "v1", kind: "Restore" },
      { group: "apps.vworkspace.io", version: "v1beta1", kind: "ApplicationInstance" },
      { group: "apps.vworkspace.io", version: "v1alpha1", kind: "Operation" },
      { group: "ops.vworkspace.io", version: "v1alpha1", kind: "Cluster" },
      { group: "", version: "v1", kind: "ConfigMap" },
    ]) {
      expect(checkPinnedKind(instance, target)?.code).toBe("KindNotAllowed");
    }
    expect(checkPinnedKind(operation, { group: "apps.vworkspace.io", version: "v1alpha1", kind: "ApplicationInstance" })?.code).toBe("KindNotAllowed");
  });
});
