import { describe, expect, test } from "bun:test";
import { checkClusterApply, checkKindAllowed, checkNamespace, checkOwnership, withControlPlaneLabels } from "../../../src/agent/jobs/authorise";

describe("write rules (docs/connectivity.md#write-rules)", () => {
  test("the default allow-list, and a spec list replacing it", () => {
    expect(checkKindAllowed({ group: "apps.vworkspace.io", kind: "ApplicationInstance" }, undefined)).toBeUndefined();
    expect(checkKindAllowed({ group: "", kind: "ConfigMap" }, undefined)).toBeUndefined();
    expect(checkKindAllowed({ group: "", kind: "Secret" }, undefined)?.code).toBe("KindNotAllowed");
    expect(checkKindAllowed({ group: "", kind: "ConfigMap" }, [{ group: "", kind: "Service" }])?.code).toBe("KindNotAllowed");
    expect(checkKindAllowed({ group: "", kind: "Service" }, [{ group: "", kind: "Service" }])).toBeUndefined();
  });

  test("namespaces must exist and be gated; Velero kinds only in the Velero namespace", () => {
    const namespaces = { labels: (name: string) => ({ gated: { "managed-by": "vworkspace" }, plain: null, velero: null })[name] as Record<string, string> | null | undefined };
    expect(checkNamespace({ group: "", kind: "ConfigMap", namespace: "gated" }, namespaces, "velero")).toBeUndefined();
    expect(checkNamespace({ group: "", kind: "ConfigMap", namespace: "plain" }, namespaces, "velero")?.code).toBe("NamespaceNotGated");
    expect(checkNamespace({ group: "", kind: "ConfigMap", namespace: "absent" }, namespaces, "velero")?.code).toBe("NamespaceNotFound");
    expect(checkNamespace({ group: "velero.io", kind: "Schedule", namespace: "velero" }, namespaces, "velero")).toBeUndefined();
    expect(checkNamespace({ group: "velero.io", kind: "Schedule", namespace: "gated" }, namespaces, "velero")?.code).toBe("NamespaceNotGated");
  });

  test("only CP-managed objects may be overwritten", () => {
    expect(checkOwnership(undefined, "ConfigMap", "x")).toBeUndefined();
    expect(checkOwnership({ metadata: { labels: { "app.vworkspace.io/managed-by": "control-plane" } } }, "ConfigMap", "x")).toBeUndefined();
    expect(checkOwnership({ metadata: {} }, "ConfigMap", "x")?.code).toBe("NotManaged");
  });

  test("the Cluster guard lets the CP set only heartbeat, capabilities, rotation, labels and annotations", () => {
    const cluster = (spec: Record<string, unknown>, name = "c") => ({ apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name, labels: { a: "b" } }, spec });
    expect(checkClusterApply(cluster({ heartbeatIntervalSeconds: 60, rotateCredentials: true, capabilities: { flux: true } }), "c")).toBeUndefined();
    expect(checkClusterApply(cluster({ security: {} }), "c")).toMatchObject({ code: "ProtectedField", detail: expect.stringContaining("spec.security") });
    expect(checkClusterApply(cluster({ connectivityMode: "push" }), "c")?.code).toBe("ProtectedField");
    expect(checkClusterApply(cluster({}, "other"), "c")?.code).toBe("ProtectedField");
    expect(checkClusterApply({ ...cluster({}), status: {} }, "c")?.code).toBe("ProtectedField");
  });

  test("the control-plane labels override the payload's", () => {
    const labelled = withControlPlaneLabels({ metadata: { name: "x", labels: { "app.vworkspace.io/managed-by": "someone", keep: "1" } } }, "cluster-1");
    expect(labelled.metadata.labels as Record<string, string>).toEqual({ "app.vworkspace.io/managed-by": "control-plane", "app.vworkspace.io/cluster-id": "cluster-1", keep: "1" });
  });
});
