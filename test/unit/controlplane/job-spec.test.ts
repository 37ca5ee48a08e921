/** How `control-plane enqueue` flags become a job (docs/connectivity.md#cli-helpers). */
import { describe, expect, test } from "bun:test";
import { buildNewJob, deletePayload, intentPayload, JobSpecError, parseDocument } from "../../../src/controlplane/cli/job-spec";

describe("--delete", () => {
  test("GROUP/KIND/NAMESPACE/NAME resolves the version; core and empty group give v1", () => {
    expect(deletePayload("apps.vworkspace.io/ApplicationInstance/team-a/wiki")).toEqual({ apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", namespace: "team-a", name: "wiki" });
    expect(deletePayload("core/ConfigMap/team-a/cfg")).toEqual({ apiVersion: "v1", kind: "ConfigMap", namespace: "team-a", name: "cfg" });
    expect(deletePayload("/ConfigMap/team-a/cfg").apiVersion).toBe("v1");
  });

  test("GROUP/VERSION/KIND/NAMESPACE/NAME keeps the given version; unknown groups need it", () => {
    expect(deletePayload("example.io/v2/Thing/ns/x").apiVersion).toBe("example.io/v2");
    expect(() => deletePayload("example.io/Thing/ns/x")).toThrow(JobSpecError);
    expect(() => deletePayload("a/b")).toThrow("GROUP/KIND/NAMESPACE/NAME");
  });
});

describe("--intent", () => {
  const instance = { metadata: { name: "wiki", namespace: "team-a" }, spec: {} };

  test("each intent wraps the object under its member", () => {
    expect(intentPayload("ensure-application-instance", instance)).toEqual({ intent: "ensure-application-instance", applicationInstance: instance });
    expect(intentPayload("request-operation", instance)).toEqual({ intent: "request-operation", operation: instance });
    expect(intentPayload("delete-application-instance", instance)).toEqual({ intent: "delete-application-instance", name: "wiki", namespace: "team-a" });
    expect(intentPayload("rotate-operator-credentials", undefined)).toEqual({ intent: "rotate-operator-credentials" });
  });

  test("intents that need an object say so", () => {
    expect(() => intentPayload("ensure-application-instance", undefined)).toThrow("--file");
    expect(() => intentPayload("delete-application-instance", { metadata: { name: "x" } })).toThrow("name and namespace");
  });
});

describe("buildNewJob", () => {
  test("exactly one source; key and ttl carried", () => {
    expect(() => buildNewJob({})).toThrow("exactly one");
    expect(() => buildNewJob({ delete: "core/ConfigMap/a/b", intent: "x" })).toThrow("exactly one");
    const job = buildNewJob({ apply: { apiVersion: "v1", kind: "ConfigMap" }, idempotencyKey: "k", ttlSeconds: 60 });
    expect(job).toEqual({ kind: "apply", payload: { apiVersion: "v1", kind: "ConfigMap" }, idempotencyKey: "k", ttlSeconds: 60 });
    expect(buildNewJob({ job: { kind: "delete", payload: { a: 1 }, id: "fixed" } })).toEqual({ kind: "delete", payload: { a: 1 }, id: "fixed" });
  });

  test("manifests are read as one YAML or JSON document", () => {
    expect(parseDocument("apiVersion: v1\nkind: ConfigMap\n", "m")).toEqual({ apiVersion: "v1", kind: "ConfigMap" });
    expect(parseDocument('{"a": 1}', "m")).toEqual({ a: 1 });
    expect(() => parseDocument("a: 1\n---\nb: 2\n", "m")).toThrow("exactly one document");
    expect(() => parseDocument("- 1\n", "m")).toThrow("expected an object");
  });
});
