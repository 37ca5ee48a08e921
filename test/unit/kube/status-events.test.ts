import { describe, expect, test } from "bun:test";
import type { KubeClient, Patch, PatchOptions } from "../../../src/kube/client";
import { ManualClock } from "../../../src/kube/clock";
import { KubeApiError } from "../../../src/kube/errors";
import { EventRecorder } from "../../../src/kube/events";
import { StatusWriter, statusEqual } from "../../../src/kube/status";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { settle } from "./helpers";

const AI: ResourceType = { group: "apps.vworkspace.io", version: "v1alpha1", kind: "ApplicationInstance", plural: "applicationinstances", namespaced: true };

function instance(status?: Record<string, unknown>): KubeObject {
  return { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", metadata: { name: "ai", namespace: "ns", uid: "u1", resourceVersion: "5", generation: 2 }, status };
}

interface Call {
  verb: "create" | "patch";
  name: string;
  body: unknown;
  options?: PatchOptions;
  patchType?: Patch["type"];
}

function recordingClient(failWith?: (call: Call) => unknown) {
  const calls: Call[] = [];
  const client = {
    async create(_type: ResourceType, body: KubeObject) {
      const call: Call = { verb: "create", name: body.metadata.name, body };
      calls.push(call);
      const failure = failWith?.(call);
      if (failure) throw failure;
      return body;
    },
    async patch(_type: ResourceType, name: string, patch: Patch, options?: PatchOptions) {
      const body = patch.type === "json" ? patch.ops : patch.body;
      const call: Call = { verb: "patch", name, body, options, patchType: patch.type };
      calls.push(call);
      const failure = failWith?.(call);
      if (failure) throw failure;
      return { ...instance(), ...(body as object) };
    },
    async patchStatus(type: ResourceType, name: string, patch: Patch, options?: PatchOptions) {
      return client.patch(type, name, patch, { ...options, subresource: "status" });
    },
  };
  return { client: client as unknown as KubeClient, calls };
}

describe("StatusWriter", () => {
  const conditions = [{ type: "Ready", status: "True", reason: "Ok", message: "", lastTransitionTime: "2030-01-01T00:00:00Z", observedGeneration: 2 }];

  test("applies the status subresource with the operator's field manager and force", async () => {
    const { client, calls } = recordingClient();
    let writes = 0;
    const writer = new StatusWriter({ client, onWrite: () => writes++ });
    const result = await writer.apply(AI, instance(), { observedGeneration: 2, conditions });
    expect(result.written).toBe(true);
    expect(writes).toBe(1);
    expect(calls[0]).toMatchObject({
      verb: "patch",
      patchType: "apply",
      options: { subresource: "status", fieldManager: "vworkspace-operator", force: true, namespace: "ns" },
      body: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", metadata: { name: "ai", namespace: "ns" }, status: { observedGeneration: 2, conditions } },
    });
  });

  test("skips the write when only ignored fields differ", async () => {
    const { client, calls } = recordingClient();
    let writes = 0;
    const writer = new StatusWriter({ client, onWrite: () => writes++ });
    const stored = instance({ observedGeneration: 2, conditions, lastReconcileTime: "2030-01-01T00:00:00Z" });
    const result = await writer.apply(AI, stored, { conditions, observedGeneration: 2, lastReconcileTime: "2030-02-01T00:00:00Z" });
    expect(result).toEqual({ written: false, object: stored });
    expect(writes).toBe(0);
    expect(calls).toHaveLength(0);
  });

  test("merge patch is guarded by resourceVersion and removes fields no longer desired", async () => {
    const { client, calls } = recordingClient();
    const writer = new StatusWriter({ client });
    await writer.mergePatch(AI, instance({ observedGeneration: 1, helmReleaseRef: { name: "x" } }), { observedGeneration: 2 });
    expect(calls[0]).toMatchObject({
      patchType: "merge",
      options: { subresource: "status" },
      body: { metadata: { resourceVersion: "5" }, status: { observedGeneration: 2, helmReleaseRef: null } },
    });
  });

  test("a pass that still reads the version its own write went over does not repeat an identical write", async () => {
    const { client, calls } = recordingClient();
    const writer = new StatusWriter({ client });
    const stale = instance();
    const desired = { observedGeneration: 2, conditions };
    expect((await writer.apply(AI, stale, desired)).written).toBe(true);
    expect(await writer.apply(AI, stale, { ...desired, lastReconcileTime: "2030-02-01T00:00:00Z" })).toEqual({ written: false, object: stale });
    // Not seeing our conditions, the stale pass stamps them anew: still the status we wrote.
    const restamped = { ...desired, conditions: [{ ...conditions[0]!, lastTransitionTime: "2030-02-01T00:00:00Z" }] };
    expect((await writer.apply(AI, stale, restamped)).written).toBe(false);
    const changed = { observedGeneration: 2, conditions: [{ ...conditions[0]!, status: "False", reason: "Failed" }] };
    expect((await writer.apply(AI, stale, changed)).written).toBe(true);
    // Someone else wrote in between: the stored object is newer, so it alone decides.
    const newer = { ...stale, metadata: { ...stale.metadata, resourceVersion: "9" }, status: {} };
    expect((await writer.apply(AI, newer, changed)).written).toBe(true);
    expect(calls).toHaveLength(3);
  });

  test("statusEqual ignores key order and undefined fields", () => {
    expect(statusEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1, d: undefined })).toBe(true);
    expect(statusEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(statusEqual(undefined, {})).toBe(true);
  });
});

describe("EventRecorder", () => {
  const warning = { type: "Warning" as const, reason: "UpgradeFailed", action: "Ready", note: "Ready=False: upgrade failed" };

  function recorder(client = recordingClient(), clock = new ManualClock()) {
    const metrics = { created: 0, series: 0, failed: 0, dropped: 0 };
    const events = new EventRecorder({
      client: client.client,
      reportingInstance: "operator-0",
      clock,
      maxPending: 3,
      redact: (note) => note.replace(/hunter2/g, "[REDACTED]"),
      metrics: {
        written: (kind) => (kind === "created" ? metrics.created++ : metrics.series++),
        failed: () => metrics.failed++,
        dropped: () => metrics.dropped++,
      },
    });
    return { events, calls: client.calls, clock, metrics };
  }

  test("writes an events.k8s.io/v1 Event about the object", async () => {
    const { events, calls } = recorder();
    events.record(instance(), warning);
    await events.flush();
    expect(calls).toHaveLength(1);
    const body = calls[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { namespace: "ns" },
      reportingController: "vworkspace-operator",
      reportingInstance: "operator-0",
      type: "Warning",
      reason: "UpgradeFailed",
      action: "Ready",
      note: "Ready=False: upgrade failed",
      regarding: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "ai", namespace: "ns", uid: "u1" },
      eventTime: "2030-01-01T00:00:00.000000Z",
    });
    expect((body.metadata as { name: string }).name).toStartWith("ai.");
    expect(body.series).toBeUndefined();
  });

  test("repeats within the window extend one Event's series instead of creating new ones", async () => {
    const { events, calls, clock, metrics } = recorder();
    events.record(instance(), warning);
    events.record(instance(), warning);
    events.record(instance(), warning);
    await events.flush();
    clock.advance(60_000);
    events.record(instance(), warning);
    await events.flush();
    expect(calls.map((call) => call.verb)).toEqual(["create", "patch", "patch"]);
    expect(calls[1]!.body).toMatchObject({ series: { count: 3 } });
    expect(calls[2]!.body).toMatchObject({ series: { count: 4, lastObservedTime: "2030-01-01T00:01:00.000000Z" } });
    expect(calls[2]!.name).toBe(calls[0]!.name);
    expect(metrics).toMatchObject({ created: 1, series: 2 });
  });

  test("after the window, or with another note, a new Event is created", async () => {
    const { events, calls, clock } = recorder();
    events.record(instance(), warning);
    await events.flush();
    clock.advance(11 * 60_000);
    events.record(instance(), warning);
    events.record(instance(), { ...warning, note: "different" });
    await events.flush();
    expect(calls.map((call) => call.verb)).toEqual(["create", "create", "create"]);
  });

  test("notes are redacted and truncated to 1024 characters", async () => {
    const { events, calls } = recorder();
    events.record(instance(), { ...warning, note: `password hunter2 ${"x".repeat(2_000)}` });
    await events.flush();
    const note = (calls[0]!.body as { note: string }).note;
    expect(note).toStartWith("password [REDACTED] ");
    expect(note).toHaveLength(1024);
  });

  test("Events about cluster-scoped objects go to the default namespace", async () => {
    const { events, calls } = recorder();
    events.record({ apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: "c", uid: "u" } }, warning);
    await events.flush();
    expect(calls[0]!.body).toMatchObject({ metadata: { namespace: "default" }, regarding: { name: "c" } });
    expect((calls[0]!.body as { regarding: object }).regarding).not.toHaveProperty("namespace");
  });

  test("failures are counted and swallowed; a vanished Event starts a new one", async () => {
    const failing = recordingClient((call) =>
      call.verb === "patch" ? new KubeApiError(404, { reason: "NotFound" }, { verb: "patch", path: "/x" }) : undefined,
    );
    const { events, calls, metrics } = recorder(failing);
    events.record(instance(), warning);
    await events.flush();
    events.record(instance(), warning);
    await events.flush();
    expect(calls.map((call) => call.verb)).toEqual(["create", "patch", "create"]);
    const broken = recorder(recordingClient(() => new Error("apiserver down")));
    expect(() => broken.events.record(instance(), warning)).not.toThrow();
    await broken.events.flush();
    expect(broken.metrics.failed).toBe(1);
    expect(metrics.failed).toBe(0);
  });

  test("a full queue drops new Events instead of blocking", async () => {
    const { events, metrics } = recorder();
    for (let index = 0; index < 10; index++) events.record(instance(), { ...warning, note: `n${index}` });
    await events.flush();
    expect(metrics.dropped).toBeGreaterThan(0);
    expect(metrics.created + metrics.dropped).toBe(10);
  });

  test("after stop nothing is recorded", async () => {
    const { events, calls } = recorder();
    await events.stop();
    events.record(instance(), warning);
    await settle();
    expect(calls).toHaveLength(0);
  });
});
