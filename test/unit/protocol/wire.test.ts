/** Wire shapes of docs/connectivity.md#pull-mode-wire-protocol: lenient where the agent reads, strict where the control plane refuses. */
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import {
  AGENT_MEDIA_TYPE,
  agentEventStrictSchema,
  auditKey,
  bufferOverflowKey,
  conditionTransitionKey,
  credentialRotatedKey,
  deletePayloadSchema,
  EXPIRED_ERROR,
  intentPayloadSchemas,
  jobActionPath,
  jobEnvelopeSchema,
  jobResult,
  jobResultStrictSchema,
  jobsResponseSchema,
  pollPath,
  registerRequestStrictSchema,
  registerResponseSchema,
  rotateResponseSchema,
  trimBaseUrl,
} from "../../../src/protocol";

describe("endpoints", () => {
  test("paths, media type and percent-encoded job ids", () => {
    expect(AGENT_MEDIA_TYPE).toBe("application/vnd.vworkspace.agent.v1+json");
    expect(pollPath("c-1", 30.9)).toBe("/api/agent/jobs?cluster=c-1&wait=30");
    expect(jobActionPath("a/b c", "ack")).toBe("/api/agent/jobs/a%2Fb%20c/ack");
    expect(trimBaseUrl("https://cp.example//")).toBe("https://cp.example");
  });
});

describe("jobs response (agent, lenient)", () => {
  test.each([
    ['{"jobs":null}', 0],
    ["{}", 0],
    ['{"jobs":[],"cursor":"x"}', 0],
    ['{"jobs":[{"id":"a","kind":"apply","payload":{},"future":{"nested":true}}]}', 1],
  ])("%s parses to %d jobs", (body, count) => {
    expect(v.parse(jobsResponseSchema, JSON.parse(body)).jobs).toHaveLength(count);
  });

  test("an envelope keeps unknown members and accepts an unknown kind", () => {
    const parsed = v.parse(jobEnvelopeSchema, { id: "a", kind: "reboot", extra: 1 });
    expect(parsed).toEqual({ id: "a", kind: "reboot", extra: 1 });
    expect(v.safeParse(jobEnvelopeSchema, { kind: "apply" }).success).toBe(false);
  });
});

describe("payloads", () => {
  test("delete and intent payload schemas require their members", () => {
    expect(v.safeParse(deletePayloadSchema, { apiVersion: "v1", kind: "ConfigMap", name: "x" }).success).toBe(false);
    const deleteIntent = intentPayloadSchemas["delete-application-instance"];
    expect(v.safeParse(deleteIntent, { intent: "delete-application-instance", name: "x" }).success).toBe(false);
    expect(v.safeParse(deleteIntent, { intent: "delete-application-instance", name: "x", namespace: "y" }).success).toBe(true);
    expect(v.safeParse(intentPayloadSchemas["rotate-operator-credentials"], { intent: "rotate-operator-credentials", ignored: 1 }).success).toBe(true);
  });
});

describe("results (docs/connectivity.md#results-and-status)", () => {
  const at = new Date("2026-01-01T00:00:00Z");

  test("golden JSON: expiry, plain noop, replay, rejection, conflict", () => {
    expect(JSON.stringify(jobResult({ outcome: "noop", error: EXPIRED_ERROR, errorCode: "JobExpired", timestamp: at }))).toBe(
      '{"outcome":"noop","timestamp":"2026-01-01T00:00:00.000Z","error":"expired","errorCode":"JobExpired"}',
    );
    expect(JSON.stringify(jobResult({ outcome: "noop", timestamp: at }))).toBe('{"outcome":"noop","timestamp":"2026-01-01T00:00:00.000Z"}');
    expect(JSON.stringify(jobResult({ outcome: "failed", errorCode: "KindNotAllowed", error: "KindNotAllowed: Secret is not allowed", conflicts: [], timestamp: at }))).toBe(
      '{"outcome":"failed","timestamp":"2026-01-01T00:00:00.000Z","error":"KindNotAllowed: Secret is not allowed","errorCode":"KindNotAllowed"}',
    );
    const conflict = jobResult({ outcome: "conflict", errorCode: "FieldManagerConflict", error: "FieldManagerConflict: 1 field", conflicts: [{ manager: "kubectl", field: ".data.a" }], timestamp: at });
    expect(conflict.conflicts).toEqual([{ manager: "kubectl", field: ".data.a" }]);
    expect(v.safeParse(jobResultStrictSchema, conflict).success).toBe(true);
  });

  test("the plane refuses unknown members and unknown outcomes", () => {
    expect(v.safeParse(jobResultStrictSchema, { outcome: "noop", timestamp: at.toISOString(), extra: 1 }).success).toBe(false);
    expect(v.safeParse(jobResultStrictSchema, { outcome: "maybe", timestamp: at.toISOString() }).success).toBe(false);
  });
});

describe("event keys (docs/connectivity.md#events), byte for byte", () => {
  test("namespaced object with uid", () => {
    const ref = { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", namespace: "team-a", name: "wiki", uid: "0f1e" };
    expect(conditionTransitionKey(ref, { type: "Ready", status: "True" }, 3)).toBe("condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/team-a/wiki/0f1e/Ready/True@3");
  });

  test("cluster-scoped object and object without uid use _", () => {
    const cluster = { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", namespace: "", name: "main", uid: "9a" };
    expect(conditionTransitionKey(cluster, { type: "Connected", status: "False" }, 1)).toBe("condition/ops.vworkspace.io/v1alpha1/Cluster/_/main/9a/Connected/False@1");
    const noUid = { apiVersion: "v1", kind: "ConfigMap", namespace: "team-a", name: "cfg" };
    expect(conditionTransitionKey(noUid, { type: "Ready", status: "True" }, 0)).toBe("condition/v1/ConfigMap/team-a/cfg/_/Ready/True@0");
  });

  test("rotation, audit and overflow keys", () => {
    expect(credentialRotatedKey("uid-1", "0123456789abcdef")).toBe("CredentialRotated/uid-1/Authenticated/0123456789abcdef");
    expect(auditKey("JobPayloadSignatureInvalid", "job-1")).toBe("audit/JobPayloadSignatureInvalid/job-1");
    expect(bufferOverflowKey("uid-1", 1767225600.9)).toBe("BufferOverflow/uid-1/1767225600");
  });

  test("the plane's event shape is strict", () => {
    const event = { kind: "ClusterHeartbeat", resourceRef: { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", namespace: "", name: "c" }, timestamp: "2026-01-01T00:00:00Z" };
    expect(v.safeParse(agentEventStrictSchema, event).success).toBe(true);
    expect(v.safeParse(agentEventStrictSchema, { ...event, resourceRef: { ...event.resourceRef, namespace: undefined } }).success).toBe(false);
    expect(v.safeParse(agentEventStrictSchema, { ...event, note: "x" }).success).toBe(false);
  });
});

describe("registration (docs/connectivity.md#registration-and-rotation-requests)", () => {
  test("responses: token and clusterId non-empty after trimming; extras ignored", () => {
    expect(v.parse(registerResponseSchema, { clusterId: " c-1 ", token: "t", extra: true })).toMatchObject({ clusterId: "c-1", token: "t" });
    expect(v.safeParse(registerResponseSchema, { clusterId: "c", token: "   " }).success).toBe(false);
    expect(v.safeParse(rotateResponseSchema, { token: "", expiresAt: null }).success).toBe(false);
    expect(v.parse(rotateResponseSchema, { token: "n", expiresAt: null }).expiresAt).toBeNull();
  });

  test("requests: the public key may not carry private material", () => {
    const publicKey = { kty: "OKP" as const, crv: "X25519" as const, x: "3_lBVTqo_3P-aKU5cAZ_qci2i3HXVHawAE7KEntSQ2I", kid: "k" };
    expect(v.parse(registerRequestStrictSchema, { registrationToken: "r", publicKey }).publicKey).toEqual({ ...publicKey, use: "enc", alg: "ECDH-ES+A256KW" });
    expect(v.safeParse(registerRequestStrictSchema, { registrationToken: "r", publicKey: { ...publicKey, d: "secret" } }).success).toBe(false);
  });
});
