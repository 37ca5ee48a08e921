import { describe, expect, test } from "bun:test";
import { decodeReview, denial, reviewResponse } from "../../../src/webhook/review";
import { review } from "./support";

const bytes = (value: unknown) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));

describe("AdmissionReview codec", () => {
  test("decodes a v1 review", () => {
    const decoded = decodeReview(bytes(review({})));
    expect(decoded.ok && decoded.request.uid).toBe("u-1");
  });

  test.each<[string, Uint8Array, string]>([
    ["malformed JSON", bytes("{"), "request body is not JSON"],
    ["non-UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), "request body is not valid UTF-8"],
    ["wrong apiVersion", bytes({ ...review({}), apiVersion: "admission.k8s.io/v1beta1" }), "apiVersion: must be admission.k8s.io/v1"],
    ["wrong kind", bytes({ ...review({}), kind: "Pod" }), "kind: must be AdmissionReview"],
    ["missing uid", bytes(review({ uid: undefined })), "request.uid"],
    ["empty uid", bytes(review({ uid: "" })), "request.uid: is required"],
    ["no request", bytes({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }), "request"],
    ["an array", bytes([1, 2]), "not an AdmissionReview v1"],
  ])("%s is rejected with a clear error", (_name, body, fragment) => {
    const decoded = decodeReview(body);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error).toContain(fragment);
  });

  test("denials carry reason, exact message and the docs/operations.md#responses-and-exemptions code", () => {
    expect(denial("NamespaceNotGated", "m").code).toBe(403);
    expect(denial("ClusterMismatch", "m").code).toBe(403);
    expect(denial("InternalError", "m").code).toBe(500);
    expect(denial("ImmutableField", "m").code).toBe(422);
    expect(reviewResponse("u", { denial: denial("ValidationFailed", "spec.chart is required") })).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "u", allowed: false, status: { code: 422, reason: "ValidationFailed", message: "spec.chart is required" } },
    });
  });

  test("allowed responses carry warnings only when there are some", () => {
    expect(reviewResponse("u", {}).response).toEqual({ uid: "u", allowed: true });
    expect(reviewResponse("u", { warnings: ["w"] }).response).toEqual({ uid: "u", allowed: true, warnings: ["w"] });
  });
});
