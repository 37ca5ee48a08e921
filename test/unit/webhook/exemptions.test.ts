import { describe, expect, test } from "bun:test";
import { isExempt } from "../../../src/webhook/exemptions";
import { applicationInstanceObject } from "../api/fixtures";

const object = applicationInstanceObject();
const withMeta = (metadata: Record<string, unknown>) => ({ ...object, metadata: { ...object.metadata, ...metadata } });

describe("exemptions (docs/operations.md#responses-and-exemptions)", () => {
  test("CREATE is never exempt", () => {
    expect(isExempt({ operation: "CREATE", object })).toBe(false);
  });

  test.each<[string, unknown, unknown]>([
    ["finalizer removal", withMeta({ finalizers: ["apps.vworkspace.io/finalizer"] }), withMeta({ finalizers: [] })],
    ["label and annotation change", object, withMeta({ labels: { a: "b" }, annotations: { "ops.vworkspace.io/cancel": "true" } })],
    ["status change", object, { ...object, status: { helmReleaseRef: { name: "x", namespace: "y" } } }],
    ["deleting new object with a spec change", object, { ...withMeta({ deletionTimestamp: "2026-01-01T00:00:00Z" }), spec: {} }],
    ["deleting old object with a spec change", withMeta({ deletionTimestamp: "2026-01-01T00:00:00Z" }), { ...object, spec: {} }],
  ])("UPDATE: %s is exempt", (_name, oldObject, updated) => {
    expect(isExempt({ operation: "UPDATE", oldObject, object: updated })).toBe(true);
  });

  test("UPDATE changing spec is not exempt", () => {
    expect(isExempt({ operation: "UPDATE", oldObject: object, object: { ...object, spec: { ...object.spec, suspend: true } } })).toBe(false);
  });
});
