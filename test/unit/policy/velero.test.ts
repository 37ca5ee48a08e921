import { describe, expect, test } from "bun:test";
import { checkBackupStorageLocationWrite, checkVeleroObject } from "../../../src/policy/velero";

const NAMESPACES: Record<string, Record<string, string> | null> = {
  "team-a": { "managed-by": "vworkspace" },
  "team-b": { "app.vworkspace.io/managed-by": "vworkspace" },
  "kube-system": null,
  plain: { other: "x" },
};
const facts = (allowBackupStorageLocations = false) => ({ namespaceLabels: (name: string) => NAMESPACES[name], allowBackupStorageLocations });

function schedule(template: Record<string, unknown>) {
  return { apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name: "nightly", namespace: "velero" }, spec: { schedule: "0 1 * * *", template } };
}
function backup(spec: Record<string, unknown>) {
  return { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: "b", namespace: "velero" }, spec };
}
function restore(spec: Record<string, unknown>) {
  return { apiVersion: "velero.io/v1", kind: "Restore", metadata: { name: "r", namespace: "velero" }, spec: { backupName: "b", ...spec } };
}

describe("Velero policy", () => {
  test("Schedules, Backups and Restores over listed gated namespaces pass", () => {
    expect(checkVeleroObject(schedule({ includedNamespaces: ["team-a", "team-b"] }), facts())).toBeUndefined();
    expect(checkVeleroObject(backup({ includedNamespaces: ["team-a"], includeClusterResources: false }), facts())).toBeUndefined();
    expect(checkVeleroObject(restore({ includedNamespaces: ["team-a"], namespaceMapping: { "team-a": "team-b" } }), facts())).toBeUndefined();
  });

  test.each([
    ["all namespaces by wildcard", ["*"], "NamespaceNotGated"],
    ["a wildcard next to a gated namespace", ["team-a", "*"], "NamespaceNotGated"],
    ["a glob", ["team-*"], "NamespaceNotGated"],
    ["an empty list", [], "NamespaceNotGated"],
    ["an absent list", undefined, "NamespaceNotGated"],
    ["a string instead of a list", "team-a", "NamespaceNotGated"],
    ["an ungated namespace", ["team-a", "plain"], "NamespaceNotGated"],
    ["kube-system", ["kube-system"], "NamespaceNotGated"],
    ["a missing namespace", ["gone"], "NamespaceNotFound"],
    ["a non-string entry", [7], "NamespaceNotGated"],
  ])("a Schedule over %s is refused", (_what, includedNamespaces, code) => {
    const template = includedNamespaces === undefined ? {} : { includedNamespaces };
    expect(checkVeleroObject(schedule(template), facts())?.code).toBe(code as never);
    expect(checkVeleroObject(backup(template), facts())?.code).toBe(code as never);
    expect(checkVeleroObject(restore(template), facts())?.code).toBe(code as never);
  });

  test("a Schedule without a template or spec covers all namespaces and is refused", () => {
    expect(checkVeleroObject({ apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name: "s" } }, facts())?.code).toBe("NamespaceNotGated");
    expect(checkVeleroObject({ ...schedule({}), spec: { template: "x" } }, facts())?.code).toBe("NamespaceNotGated");
  });

  test("cluster-scoped resources are refused", () => {
    expect(checkVeleroObject(schedule({ includedNamespaces: ["team-a"], includeClusterResources: true }), facts())).toMatchObject({ code: "ProtectedField", detail: expect.stringContaining("spec.template.includeClusterResources") });
    expect(checkVeleroObject(backup({ includedNamespaces: ["team-a"], includedClusterScopedResources: ["*"] }), facts())?.code).toBe("ProtectedField");
    expect(checkVeleroObject(restore({ includedNamespaces: ["team-a"], includeClusterResources: true }), facts())?.code).toBe("ProtectedField");
  });

  test("Restore namespaceMapping targets must be gated", () => {
    expect(checkVeleroObject(restore({ includedNamespaces: ["team-a"], namespaceMapping: { "team-a": "kube-system" } }), facts())?.code).toBe("NamespaceNotGated");
    expect(checkVeleroObject(restore({ includedNamespaces: ["team-a"], namespaceMapping: { "team-a": "new-ns" } }), facts())?.code).toBe("NamespaceNotFound");
    expect(checkVeleroObject(restore({ includedNamespaces: ["team-a"], namespaceMapping: { "team-a": "*" } }), facts())?.code).toBe("NamespaceNotGated");
    expect(checkVeleroObject(restore({ includedNamespaces: ["team-a"], namespaceMapping: ["team-b"] }), facts())?.code).toBe("InvalidPayload");
  });

  test("BackupStorageLocations need the operator flag", () => {
    const location = { apiVersion: "velero.io/v1", kind: "BackupStorageLocation", metadata: { name: "default" }, spec: { provider: "aws" } };
    expect(checkVeleroObject(location, facts())).toMatchObject({ code: "KindNotAllowed", detail: expect.stringContaining("--allow-job-backup-storage-locations") });
    expect(checkVeleroObject(location, facts(true))).toBeUndefined();
    expect(checkBackupStorageLocationWrite("BackupStorageLocation", "default", false)?.code).toBe("KindNotAllowed");
    expect(checkBackupStorageLocationWrite("BackupStorageLocation", "default", true)).toBeUndefined();
    expect(checkBackupStorageLocationWrite("Schedule", "nightly", false)).toBeUndefined();
  });

  test("other Velero kinds admitted by an allow-list have no namespace selection to check", () => {
    expect(checkVeleroObject({ apiVersion: "velero.io/v1", kind: "VolumeSnapshotLocation", metadata: { name: "v" } }, facts())).toBeUndefined();
  });
});
