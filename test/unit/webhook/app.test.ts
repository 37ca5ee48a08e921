import { describe, expect, test } from "bun:test";
import { operationWebhook } from "../../../src/webhook/operation";
import { applicationInstanceObject, operationObject } from "../api/fixtures";
import { AI_PATH, review, testApp } from "./support";

type Response = { response: { uid: string; allowed: boolean; status?: { code: number; reason: string; message: string } } };

async function verdict(res: globalThis.Response): Promise<Response["response"]> {
  expect(res.status).toBe(200);
  return ((await res.json()) as Response).response;
}

function nested(depth: number): unknown {
  let value: unknown = "x";
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe("admission app (docs/operations.md#admission-webhooks, docs/operations.md#responses-and-exemptions)", () => {
  test("allows a valid ApplicationInstance and echoes the uid", async () => {
    const { postJson } = testApp();
    expect(await verdict(await postJson(AI_PATH, review({ uid: "abc" })))).toEqual({ uid: "abc", allowed: true });
  });

  test("denies with reason, code and exact message", async () => {
    const { postJson } = testApp({ namespaceGated: async () => false });
    expect((await verdict(await postJson(AI_PATH, review({})))).status).toEqual({
      code: 403,
      reason: "NamespaceNotGated",
      message: 'namespace "team-a" is not managed by vworkspace (label managed-by=vworkspace missing)',
    });
  });

  test("4 MiB body → 413, exactly 3 MiB + 1 byte → 413", async () => {
    const { post } = testApp();
    expect((await post(AI_PATH, "x".repeat(4 * 1024 * 1024))).status).toBe(413);
    expect((await post(AI_PATH, "x".repeat(3 * 1024 * 1024 + 1))).status).toBe(413);
  });

  test("a body sent without a length (chunked) is measured too: 3 MiB + 1 byte → 413", async () => {
    const { app } = testApp();
    const chunk = new Uint8Array(1024 * 1024 + 1).fill(0x78);
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 3; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await app.request(AI_PATH, { method: "POST", body: chunked, headers: { "content-type": "application/json" } });
    expect(response.status).toBe(413);
  });

  test.each<[string, string | Uint8Array]>([
    ["malformed JSON", "{not json"],
    ["non-UTF-8", new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])],
    ["wrong apiVersion", JSON.stringify({ ...review({}), apiVersion: "v1" })],
    ["missing uid", JSON.stringify(review({ uid: undefined }))],
  ])("%s → 400", async (_name, body) => {
    const { post } = testApp();
    const res = await post(AI_PATH, body);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("request body");
  });

  test("after 200 bad requests a valid review still succeeds", async () => {
    const { post, postJson } = testApp();
    for (let i = 0; i < 200; i++) expect((await post(AI_PATH, i % 2 ? "{" : "[]")).status).toBe(400);
    expect((await verdict(await postJson(AI_PATH, review({})))).allowed).toBe(true);
  });

  test("a review of the wrong kind is denied", async () => {
    const { postJson } = testApp();
    const res = await verdict(await postJson(AI_PATH, review({ kind: { group: "", version: "v1", kind: "Pod" } })));
    expect(res.status?.message).toBe("webhook vapplicationinstance.kb.io admits apps.vworkspace.io/v1alpha1 ApplicationInstance, got /v1 Pod");
  });

  test.each<[string, unknown]>([
    ["a string object", "hello"],
    ["null object", null],
    ["an array object", [1, 2, 3]],
    ["a spec of the wrong type", { ...applicationInstanceObject(), spec: [] }],
  ])("hostile object (%s) is denied as ValidationFailed", async (_name, object) => {
    const { postJson } = testApp();
    const res = await verdict(await postJson(AI_PATH, review({ object })));
    expect(res.allowed).toBe(false);
    expect(res.status?.reason).toBe("ValidationFailed");
    expect(res.status?.message).toStartWith("request.object is not a valid ApplicationInstance:");
  });

  test("deeply nested and huge inline values are judged without crashing", async () => {
    const { postJson } = testApp();
    const deep = applicationInstanceObject({ values: { source: "inline", inline: { deep: nested(2_000) } } });
    expect((await verdict(await postJson(AI_PATH, review({ object: deep })))).allowed).toBe(true);
    const huge = applicationInstanceObject({ values: { source: "inline", inline: { items: Array.from({ length: 100_000 }, (_, i) => i), adminPassword: ["x"] } } });
    const res = await verdict(await postJson(AI_PATH, review({ object: huge })));
    expect(res.status?.message).toBe('inline secret material rejected at "adminPassword[0]": use secretRef or configMapRef');
  });

  test("500k-deep nesting is refused and never crashes the handler", async () => {
    const { post, postJson } = testApp();
    const depth = 500_000;
    const deepBody = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"apps.vworkspace.io","version":"v1alpha1","kind":"ApplicationInstance"},"operation":"CREATE","object":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
    expect((await verdict(await post(AI_PATH, deepBody))).status?.reason).toBe("ValidationFailed");
    const deepValues = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"apps.vworkspace.io","version":"v1alpha1","kind":"ApplicationInstance"},"operation":"CREATE","object":${JSON.stringify(applicationInstanceObject()).replace('"replicas":2', `"replicas":2,"deep":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`)}}}`;
    // Deeper than any stack: refused fail-closed as InternalError (the API server caps nesting far below this).
    expect((await verdict(await post(AI_PATH, deepValues))).status?.reason).toBe("InternalError");
    expect((await verdict(await postJson(AI_PATH, review({})))).allowed).toBe(true);
  });

  test("a cache that never answers → InternalError after the handler timeout", async () => {
    const { postJson, metrics } = testApp({ namespaceGated: () => new Promise<boolean>(() => undefined) }, 50);
    const res = await verdict(await postJson(AI_PATH, review({})));
    expect(res.status).toEqual({ code: 500, reason: "InternalError", message: "vapplicationinstance.kb.io: admission handler timed out after 50ms" });
    expect(await metrics.registry.getSingleMetricAsString("vworkspace_operator_webhook_denials_total")).toContain('reason="InternalError"');
  });

  test("spec-unchanged and deleting updates skip every rule, even the gate", async () => {
    const { postJson } = testApp({ namespaceGated: async () => false });
    const object = applicationInstanceObject();
    const finalizerRemoved = { ...object, metadata: { ...object.metadata, finalizers: [] } };
    expect((await verdict(await postJson(AI_PATH, review({ operation: "UPDATE", oldObject: object, object: finalizerRemoved })))).allowed).toBe(true);
  });

  test("UPDATE runs AI-3 against the old object", async () => {
    const { postJson } = testApp();
    const oldObject = applicationInstanceObject();
    const object = applicationInstanceObject({ release: { name: "other", namespace: "team-a" } });
    const res = await verdict(await postJson(AI_PATH, review({ operation: "UPDATE", oldObject, object })));
    expect(res.status).toEqual({ code: 422, reason: "ImmutableField", message: "spec.release.name is immutable" });
  });

  test("counts requests by webhook, operation and verdict", async () => {
    const { postJson, metrics } = testApp();
    await postJson(AI_PATH, review({}));
    const text = await metrics.registry.getSingleMetricAsString("vworkspace_operator_webhook_requests_total");
    expect(text).toContain('webhook="vapplicationinstance.kb.io",operation="CREATE",allowed="true"} 1');
  });
});

describe("rules the CRD schema shadows, over the webhook path (docs/operations.md#applicationinstance-rules)", () => {
  const chart = { sourceType: "helm", url: "https://charts.example.com", name: "odoo", version: "1.2.3" };
  test.each<[string, Record<string, unknown>, Record<string, unknown> | undefined, string, string]>([
    ["AI-3 release renamed", { release: { name: "other", namespace: "team-a" } }, {}, "ImmutableField", "spec.release.name is immutable"],
    ["AI-3 release removed", { release: undefined }, {}, "ImmutableField", "spec.release cannot be removed once set"],
    ["AI-6 placeholder with chart", { mode: "placeholder", values: undefined, release: undefined }, undefined, "ValidationFailed", "spec.chart must not be set in placeholder mode"],
    ["AI-7 placeholder with values", { mode: "placeholder", chart: undefined, release: undefined }, undefined, "ValidationFailed", "spec.values must not be set in placeholder mode"],
    ["AI-11 helm chart with oci URL", { chart: { ...chart, url: "oci://x/y" } }, undefined, "ValidationFailed", "spec.chart.url must start with http:// or https:// when spec.chart.sourceType is helm"],
    ["AI-12 version range", { chart: { ...chart, version: "^1.2" } }, undefined, "ValidationFailed", 'spec.chart.version must be an exact semantic version (no ranges, no "latest")'],
    ["AI-16 extra sibling", { values: { source: "inline", inline: {}, configMapRef: { name: "a", key: "b" } } }, undefined, "ValidationFailed", "spec.values.configMapRef must not be set when spec.values.source is inline"],
  ])("%s is denied; the valid neighbour is allowed", async (_name, spec, oldSpec, reason, message) => {
    const { postJson } = testApp();
    const update = oldSpec ? { operation: "UPDATE", oldObject: applicationInstanceObject(oldSpec) } : {};
    const res = await verdict(await postJson(AI_PATH, review({ ...update, object: applicationInstanceObject(spec) })));
    expect(res.status).toEqual({ code: 422, reason, message });
    const neighbour = await verdict(await postJson(AI_PATH, review({ ...update, object: applicationInstanceObject({ appRef: { catalogId: "other" } }) })));
    expect(neighbour.allowed).toBe(true);
  });
});

describe("Operation hook point (OP-1, OP-2)", () => {
  const opReview = (request: Record<string, unknown>) =>
    review({ kind: { group: "ops.vworkspace.io", version: "v1alpha1", kind: "Operation" }, object: operationObject(), ...request });

  // The target carries the backup capability, so OP-6 … OP-16 pass and only OP-1/OP-2 can deny.
  const operations = {
    namespace: async () => undefined,
    target: async (namespace: string, name: string) => ({ apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", metadata: { name, namespace, annotations: { "ops.vworkspace.io/backup": "velero" } }, spec: { appRef: { catalogId: "c" }, mode: "managed" as const, suspend: false } }),
    veleroBackup: async () => undefined,
    veleroNamespace: "velero",
    approvalClaimSecret: "",
    now: () => new Date(),
  };

  test("gate and cluster identity are enforced before the other rules", async () => {
    expect((await verdict(await testApp({ operations }).postJson(operationWebhook.path, opReview({})))).allowed).toBe(true);
    const ungated = await verdict(await testApp({ namespaceGated: async () => false }).postJson(operationWebhook.path, opReview({})));
    expect(ungated.status?.reason).toBe("NamespaceNotGated");
    const object = { ...operationObject(), metadata: { ...operationObject().metadata, labels: { "app.vworkspace.io/cluster-id": "other" } } };
    const foreign = await verdict(await testApp({ operations }).postJson(operationWebhook.path, opReview({ object })));
    expect(foreign.status).toEqual({ code: 403, reason: "ClusterMismatch", message: 'label app.vworkspace.io/cluster-id="other" does not match this cluster "c1"' });
  });
});
