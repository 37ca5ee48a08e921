/** HelmRelease authority (docs/connectivity.md#helmrelease-authoritative-gitops): when it holds, and what of a committed HelmRelease is reported. */
import { describe, expect, test } from "bun:test";
import { helmReleasesAuthoritative, isControlPlaneManaged, reportedHelmRelease } from "../../../src/api/helmrelease-authority";
import { conditionTransitionEvents } from "../../../src/agent/status/event-factory";
import type { Condition, KubeObject } from "../../../src/kube/types";

const cluster = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: "c" }, spec });

describe("helmReleasesAuthoritative", () => {
  test.each<[string, KubeObject | undefined, boolean]>([
    ["gitops with the setting on", cluster({ connectivityMode: "gitops", gitops: { helmReleasesAuthoritative: true } }), true],
    ["gitops with the setting off", cluster({ connectivityMode: "gitops", gitops: { helmReleasesAuthoritative: false } }), false],
    ["gitops without the setting", cluster({ connectivityMode: "gitops" }), false],
    ["pull with the setting on: Git is not the source of intent", cluster({ connectivityMode: "pull", gitops: { helmReleasesAuthoritative: true } }), false],
    ["push with the setting on", cluster({ connectivityMode: "push", gitops: { helmReleasesAuthoritative: true } }), false],
    ["a string is not true", cluster({ connectivityMode: "gitops", gitops: { helmReleasesAuthoritative: "true" } }), false],
    ["no honoured Cluster", undefined, false],
  ])("%s", (_name, honoured, expected) => {
    expect(helmReleasesAuthoritative(honoured)).toBe(expected);
  });
});

const condition = (type: string, status: Condition["status"], reason: string): Condition => ({ type, status, reason, message: `${type} ${reason}`, lastTransitionTime: "2026-12-07T10:00:00Z" });

function helmRelease(conditions: Condition[], labels: Record<string, string> = { "app.vworkspace.io/managed-by": "control-plane" }): KubeObject {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: "shop", namespace: "team-a", uid: "hr-uid", generation: 2, labels },
    spec: { serviceAccountName: "vworkspace-tenant" },
    status: { observedGeneration: 2, conditions },
  };
}

describe("isControlPlaneManaged", () => {
  test("the control-plane label marks a committed HelmRelease; the operator's own label and none do not", () => {
    expect(isControlPlaneManaged(helmRelease([]))).toBe(true);
    expect(isControlPlaneManaged(helmRelease([], { "app.vworkspace.io/managed-by": "vworkspace-operator" }))).toBe(false);
    expect(isControlPlaneManaged(helmRelease([], {}))).toBe(false);
  });
});

describe("reported conditions of a committed HelmRelease", () => {
  test("only Ready and Released are kept", () => {
    const reported = reportedHelmRelease(helmRelease([condition("Reconciling", "True", "Progressing"), condition("Ready", "Unknown", "Progressing"), condition("Released", "True", "InstallSucceeded")]));
    expect((reported.status as { conditions: Condition[] }).conditions.map((c) => c.type)).toEqual(["Ready", "Released"]);
  });

  test("a status without conditions reports none", () => {
    expect(reportedHelmRelease({ ...helmRelease([]), status: undefined }).status).toEqual({ conditions: [] });
  });

  test("transitions become ConditionTransition events with the ApplicationInstance key format; a Reconciling flip alone sends nothing", () => {
    const before = helmRelease([condition("Reconciling", "True", "Progressing"), condition("Ready", "Unknown", "Progressing")]);
    const reconcilingOnly = helmRelease([condition("Reconciling", "False", "Succeeded"), condition("Ready", "Unknown", "Progressing")]);
    expect(conditionTransitionEvents(reportedHelmRelease(before), reportedHelmRelease(reconcilingOnly), new Date())).toEqual([]);

    const after = helmRelease([condition("Ready", "True", "InstallSucceeded"), condition("Released", "True", "InstallSucceeded")]);
    const events = conditionTransitionEvents(reportedHelmRelease(before), reportedHelmRelease(after), new Date("2026-12-07T10:00:01Z"));
    expect(events.map((event) => event.eventKey)).toEqual([
      "condition/helm.toolkit.fluxcd.io/v2/HelmRelease/team-a/shop/hr-uid/Ready/True@2",
      "condition/helm.toolkit.fluxcd.io/v2/HelmRelease/team-a/shop/hr-uid/Released/True@2",
    ]);
    expect(events[0]).toMatchObject({
      kind: "ConditionTransition",
      resourceRef: { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", namespace: "team-a", name: "shop", uid: "hr-uid", generation: 2 },
      conditions: [{ type: "Ready", status: "True", reason: "InstallSucceeded" }],
    });
  });
});
