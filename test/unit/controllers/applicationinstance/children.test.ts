/** Which Flux objects an instance counts as its own, and so may delete (docs/applications.md#deletion). */
import { describe, expect, test } from "bun:test";
import { ownedBy } from "../../../../src/controllers/applicationinstance/children";
import type { KubeObject } from "../../../../src/kube/types";

const instance = { metadata: { name: "shop", namespace: "team-a", uid: "ai-uid" } };
const controller = { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "shop", uid: "ai-uid", controller: true };

function helmRelease(labels: Record<string, string>, ownerReferences = [controller]): KubeObject {
  return { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "shop", namespace: "team-a", labels, ownerReferences } };
}

describe("ownedBy", () => {
  test("controlled by the instance, or labelled with its name", () => {
    expect(ownedBy(helmRelease({ "app.vworkspace.io/managed-by": "vworkspace-operator" }), instance)).toBe(true);
    expect(ownedBy(helmRelease({ "app.vworkspace.io/application-instance": "shop" }, []), instance)).toBe(true);
    expect(ownedBy(helmRelease({}, []), instance)).toBe(false);
  });

  test("one the control plane committed is never the instance's, even with its ownerReference and label left over", () => {
    const committed = helmRelease({ "app.vworkspace.io/managed-by": "control-plane", "app.vworkspace.io/application-instance": "shop" });
    expect(ownedBy(committed, instance)).toBe(false);
  });
});
