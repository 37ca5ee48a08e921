import { describe, expect, test } from "bun:test";
import {
  addFinalizerOps,
  controllerReference,
  isControlledBy,
  removeFinalizerOps,
} from "../../../src/kube/owners";
import type { KubeObject } from "../../../src/kube/types";

const FINALIZER = "apps.vworkspace.io/finalizer";

function object(finalizers?: string[]): KubeObject {
  return { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", metadata: { name: "ai", namespace: "ns", uid: "u-1", resourceVersion: "12", finalizers } };
}

describe("owner references", () => {
  test("the controller reference points at the owner and blocks its deletion", () => {
    expect(controllerReference(object())).toEqual({
      apiVersion: "apps.vworkspace.io/v1alpha1",
      kind: "ApplicationInstance",
      name: "ai",
      uid: "u-1",
      controller: true,
      blockOwnerDeletion: true,
    });
    const child: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", ownerReferences: [controllerReference(object())] } };
    expect(isControlledBy(child, object())).toBe(true);
    expect(isControlledBy(child, { metadata: { name: "ai", uid: "u-2" } })).toBe(false);
  });
});

describe("finalizer patches", () => {
  test("adding creates the list or appends, guarded by resourceVersion", () => {
    expect(addFinalizerOps(object(), FINALIZER)).toEqual([
      { op: "replace", path: "/metadata/resourceVersion", value: "12" },
      { op: "add", path: "/metadata/finalizers", value: [FINALIZER] },
    ]);
    expect(addFinalizerOps(object(["other"]), FINALIZER)?.[1]).toEqual({ op: "add", path: "/metadata/finalizers/-", value: FINALIZER });
    expect(addFinalizerOps(object([FINALIZER]), FINALIZER)).toBeUndefined();
  });

  test("removing tests the entry at its index first", () => {
    expect(removeFinalizerOps(object(["other", FINALIZER]), FINALIZER)).toEqual([
      { op: "replace", path: "/metadata/resourceVersion", value: "12" },
      { op: "test", path: "/metadata/finalizers/1", value: FINALIZER },
      { op: "remove", path: "/metadata/finalizers/1" },
    ]);
    expect(removeFinalizerOps(object(["other"]), FINALIZER)).toBeUndefined();
  });
});
