/**
 * The Operation webhook's own paths (docs/operations.md#operation-rules): rules the CRD already refuses through the API
 * server (OP-4 identity, OP-7 unknown type), claim verification only when the claim changes (OP-16),
 * warnings, exemptions, and the InternalError without facts.
 */
import { describe, expect, test } from "bun:test";
import type { ApplicationInstance } from "../../../src/api/applicationinstance";
import { issueClaim } from "../../../src/operations/approval-claim";
import { operationWebhook } from "../../../src/webhook/operation";
import type { OperationAdmissionFacts } from "../../../src/webhook/operation-facts";
import type { AdmissionReviewResponse } from "../../../src/webhook/review";
import { review, testApp } from "../webhook/support";

const SECRET = "unit-secret";
const NOW = new Date("2026-01-01T00:00:00Z");
const KIND = { group: "ops.vworkspace.io", version: "v1alpha1", kind: "Operation" };

const target: ApplicationInstance = {
  apiVersion: "apps.vworkspace.io/v1alpha1",
  kind: "ApplicationInstance",
  metadata: { name: "app", namespace: "team-a", annotations: { "ops.vworkspace.io/runcommand": "job", "ops.vworkspace.io/runbook": "workflow", "ops.vworkspace.io/restore": "velero" } },
  spec: { appRef: { catalogId: "c" }, mode: "placeholder", suspend: false },
};

const operations: OperationAdmissionFacts = {
  namespace: async (name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }),
  target: async () => target,
  veleroBackup: async (name) => ({ apiVersion: "velero.io/v1", kind: "Backup", metadata: { name, namespace: "velero", labels: { "ops.vworkspace.io/source-namespace": "team-a" } } }),
  veleroNamespace: "velero",
  approvalClaimSecret: SECRET,
  now: () => NOW,
};

const spec = (extra: Record<string, unknown> = {}) => ({
  targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app" },
  type: "RunCommand",
  engine: "job",
  parameters: { image: "busybox" },
  ...extra,
});
const object = (s: Record<string, unknown>, status?: Record<string, unknown>) => ({ apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Operation", metadata: { name: "op", namespace: "team-a" }, spec: s, ...(status ? { status } : {}) });

async function admit(request: Record<string, unknown>, facts = { operations }) {
  const res = await testApp(facts).postJson(operationWebhook.path, review({ kind: KIND, ...request }));
  expect(res.status).toBe(200);
  return ((await res.json()) as AdmissionReviewResponse).response;
}

const expired = issueClaim({ at: "2025-01-01T00:00:00Z", by: "a", exp: NOW.getTime() / 1000 - 60, op: "op", rid: 1, v: 1 }, SECRET);

describe("Operation webhook", () => {
  test("OP-7: an unknown type (refused by the CRD enum before the webhook) is refused here too", async () => {
    const res = await admit({ object: object(spec({ type: "Defrag" })) });
    expect(res.status).toEqual({ code: 422, reason: "ValidationFailed", message: 'unsupported operation type "Defrag"' });
  });

  test("OP-4: identity changes on UPDATE", async () => {
    const res = await admit({ operation: "UPDATE", oldObject: object(spec()), object: object(spec({ engine: "helmHookJob" })) });
    expect(res.status).toEqual({ code: 422, reason: "ImmutableField", message: "spec.engine is immutable" });
  });

  test("OP-16: the claim is verified on CREATE and when it changes, not when other spec fields change", async () => {
    const created = await admit({ object: object(spec({ approvals: { claim: expired } })) });
    expect(created.status).toEqual({ code: 403, reason: "ApprovalClaimInvalid", message: "spec.approvals.claim: claim expired at 2025-12-31T23:59:00Z" });
    const unchangedClaim = await admit({ operation: "UPDATE", oldObject: object(spec({ approvals: { claim: expired } })), object: object(spec({ approvals: { claim: expired }, timeoutSeconds: 60 })) });
    expect(unchangedClaim.allowed).toBe(true);
    const changedClaim = await admit({ operation: "UPDATE", oldObject: object(spec()), object: object(spec({ approvals: { claim: expired } })) });
    expect(changedClaim.status?.reason).toBe("ApprovalClaimInvalid");
  });

  test("warnings: deprecated parameters and approvals.required=false on a template that requires approval", async () => {
    const runbook = await admit({ object: object(spec({ type: "Runbook", engine: "workflow", parameters: { template: "t", failureAction: "rollback" } })) });
    expect(runbook).toMatchObject({ allowed: true, warnings: ["parameters.failureAction is deprecated and ignored"] });
    const claim = issueClaim({ at: "2026-01-01T00:00:00Z", by: "a", exp: NOW.getTime() / 1000 + 60, op: "op", rid: 1, v: 1 }, SECRET);
    const restore = await admit({ object: object(spec({ type: "Restore", engine: "velero", parameters: { backupName: "b" }, approvals: { required: false, claim } })) });
    expect(restore).toMatchObject({ allowed: true, warnings: ["template restore.velero always requires approval"] });
  });

  test("exemptions: metadata-only updates of finished Operations and updates while deleting pass even with an expired claim", async () => {
    const finished = object(spec({ approvals: { claim: expired } }), { phase: "Succeeded" });
    expect((await admit({ operation: "UPDATE", oldObject: finished, object: { ...finished, metadata: { ...finished.metadata, finalizers: [] } } })).allowed).toBe(true);
    const deleting = { ...finished, metadata: { ...finished.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } };
    expect((await admit({ operation: "UPDATE", oldObject: deleting, object: { ...deleting, spec: spec({ timeoutSeconds: 5 }) } })).allowed).toBe(true);
  });

  test("without cluster facts the answer is InternalError, never a silent pass", async () => {
    const res = await admit({ object: object(spec()) }, {} as { operations: OperationAdmissionFacts });
    expect(res.status?.reason).toBe("InternalError");
  });
});
