import { describe, expect, test } from "bun:test";
import { jobOrder } from "../../../src/agent/jobs/job-order";

const manifest = (kind: string, name: string, apiVersion = "apps.vworkspace.io/v1alpha1", namespace = "team-a") => ({ apiVersion, kind, metadata: { name, namespace } });

describe("ordering keys of a job (docs/connectivity.md#job-pipeline)", () => {
  test("an apply is keyed by its id and its object's group, kind and name", () => {
    expect(jobOrder({ id: "j1", kind: "apply", payload: manifest("ApplicationInstance", "web") })).toEqual({
      barrier: false,
      keys: ["id:j1", "object:apps.vworkspace.io/ApplicationInstance/web"],
    });
  });

  test("an idempotency key is a key of its own", () => {
    expect(jobOrder({ id: "j1", kind: "apply", idempotencyKey: "k", payload: manifest("ConfigMap", "c", "v1") })).toEqual({
      barrier: false,
      keys: ["id:j1", "object:/ConfigMap/c", "key:k"],
    });
  });

  test("apply, delete and the typed intents of one object share its key, whatever version or namespace they name", () => {
    const object = "object:apps.vworkspace.io/ApplicationInstance/web";
    const keysOf = (job: Record<string, unknown>) => {
      const order = jobOrder(job);
      return order.barrier ? [] : order.keys;
    };
    expect(keysOf({ id: "a", kind: "apply", payload: manifest("ApplicationInstance", "web", "apps.vworkspace.io/v1") })).toContain(object);
    expect(keysOf({ id: "b", kind: "delete", payload: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "web", namespace: "other" } })).toContain(object);
    expect(keysOf({ id: "c", kind: "intent", payload: { intent: "ensure-application-instance", applicationInstance: { metadata: { name: "web", namespace: "team-a" } } } })).toContain(object);
    expect(keysOf({ id: "d", kind: "intent", payload: { intent: "delete-application-instance", name: "web", namespace: "team-a" } })).toContain(object);
    // An intent writes its pinned kind: a payload naming another kind cannot move it to another key.
    expect(keysOf({ id: "e", kind: "intent", payload: { intent: "ensure-application-instance", applicationInstance: { kind: "ConfigMap", metadata: { name: "web" } } } })).toContain(object);
    expect(keysOf({ id: "f", kind: "intent", payload: { intent: "request-operation", operation: { metadata: { name: "web" } } } })).toContain("object:ops.vworkspace.io/Operation/web");
  });

  test("jobs whose object cannot be read from the envelope, rotations and Cluster writes are barriers", () => {
    const barriers: unknown[] = [
      { id: "e", kind: "apply", encryptedPayload: "opaque" },
      { id: "r", kind: "intent", payload: { intent: "rotate-operator-credentials" } },
      { id: "c", kind: "apply", payload: manifest("Cluster", "main", "ops.vworkspace.io/v1alpha1", "") },
      { id: "u", kind: "unknown", payload: manifest("ConfigMap", "c", "v1") },
      { id: "m", kind: "apply", payload: { apiVersion: "v1", kind: "ConfigMap", metadata: {} } },
      { id: "n", kind: "apply", payload: null },
      { id: "", kind: "apply", payload: manifest("ConfigMap", "c", "v1") },
      { kind: "apply", payload: manifest("ConfigMap", "c", "v1") },
      "not an object",
      null,
    ];
    for (const job of barriers) expect(jobOrder(job)).toEqual({ barrier: true });
  });

  test("a plaintext payload next to an encrypted one is still a barrier", () => {
    expect(jobOrder({ id: "x", kind: "apply", encryptedPayload: "opaque", payload: manifest("ConfigMap", "c", "v1") })).toEqual({ barrier: true });
  });
});
