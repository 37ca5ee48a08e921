import { describe, expect, test } from "bun:test";
import { conditionTransitionEvents, heartbeatEvent, snapshotEvents } from "../../../src/agent/status/event-factory";
import { progressConditions } from "../../../src/agent/status/readiness";
import type { KubeObject } from "../../../src/kube/types";

const at = new Date("2026-11-22T08:00:00Z");
const condition = (type: string, status: string, reason = "R", message = "m") => ({ type, status, reason, message, lastTransitionTime: "2026-11-22T07:00:00Z" });
const instance = (conditions: unknown[], extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
  apiVersion: "apps.vworkspace.io/v1alpha1",
  kind: "ApplicationInstance",
  metadata: { name: "shop", namespace: "team-a", uid: "uid-1", generation: 3, ...extra },
  status: { conditions },
});

describe("event keys and transitions (docs/connectivity.md#events)", () => {
  test("golden keys: namespaced object, cluster-scoped Cluster, object without uid", () => {
    expect(snapshotEvents(instance([condition("Ready", "True")]), at)[0]?.eventKey).toBe("condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/team-a/shop/uid-1/Ready/True@3");
    const cluster: KubeObject = { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: "prod", uid: "c-uid", generation: 1 }, status: { conditions: [condition("Connected", "False")] } };
    expect(snapshotEvents(cluster, at)[0]?.eventKey).toBe("condition/ops.vworkspace.io/v1alpha1/Cluster/_/prod/c-uid/Connected/False@1");
    expect(snapshotEvents(instance([condition("Ready", "True")], { uid: undefined }), at)[0]?.eventKey).toBe("condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/team-a/shop/_/Ready/True@3");
  });

  test("a condition counts as changed when new or its status, reason or message differ", () => {
    const before = instance([condition("Ready", "False"), condition("Reconciling", "True")]);
    expect(conditionTransitionEvents(before, before, at)).toEqual([]);
    const after = instance([condition("Ready", "False", "R", "other message"), condition("Reconciling", "True"), condition("Degraded", "False")]);
    expect(conditionTransitionEvents(before, after, at).map((event) => event.conditions?.[0]?.type)).toEqual(["Ready", "Degraded"]);
    expect(conditionTransitionEvents(undefined, after, at)).toHaveLength(3);
  });

  test("condition messages are redacted before they leave the cluster (the ApplicationInstance path's function)", () => {
    const leaky = condition("Ready", "False", "InstallFailed", 'Helm install failed: values: {"password":"hunter2-secret","replicas":2} token=abc.def -----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----');
    const release: KubeObject = { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "web", namespace: "team-a" }, status: { conditions: [leaky] } };
    const [event] = snapshotEvents(release, at);
    const message = event?.conditions?.[0]?.message ?? "";
    expect(message).toContain("Helm install failed");
    expect(message).toContain("[REDACTED]");
    for (const secret of ["hunter2-secret", "abc.def", "MIIB"]) expect(message).not.toContain(secret);
    const [progress] = progressConditions(release, "Failed");
    expect(progress?.message).toBe(message);
  });

  test("the heartbeat names the CP cluster id and carries ControllersHealthy", () => {
    const event = heartbeatEvent("cp-id", { type: "ControllersHealthy", status: "True", reason: "AllControllersReady" }, at);
    expect(event).toEqual({
      kind: "ClusterHeartbeat",
      resourceRef: { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", namespace: "", name: "cp-id" },
      conditions: [{ type: "ControllersHealthy", status: "True", reason: "AllControllersReady" }],
      timestamp: at.toISOString(),
    });
  });
});
