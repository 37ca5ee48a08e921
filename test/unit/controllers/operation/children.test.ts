/** Child creation outcomes of docs/operations.md#how-an-operation-runs: adopt, ownership conflict, permanent and transient errors. */
import { describe, expect, test } from "bun:test";
import { PermanentStartError, writeChildren } from "../../../../src/controllers/operation/children";
import type { OperationReconcilerDeps } from "../../../../src/controllers/operation/deps";
import type { DesiredChild } from "../../../../src/engines/types";
import { KubeApiError, KubeTransportError } from "../../../../src/kube/errors";
import type { KubeObject } from "../../../../src/kube/types";

const JOB = { group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true };
const desired: DesiredChild = { type: JOB, mode: "create", object: { apiVersion: "batch/v1", kind: "Job", metadata: { name: "ns--op", namespace: "ns", labels: { "ops.vworkspace.io/operation": "uid-1" } } } };
const signal = new AbortController().signal;
const apiError = (status: number, reason: string) => new KubeApiError(status, { kind: "Status", code: status, reason, message: `simulated ${reason}` }, { verb: "create", path: "/apis/batch/v1/namespaces/ns/jobs" });

/** A client whose create fails with `error` and whose get returns `existing`. */
function deps(error: unknown, existing?: KubeObject): OperationReconcilerDeps {
  const client = {
    create: async () => Promise.reject(error),
    get: async () => existing,
  };
  return { client } as unknown as OperationReconcilerDeps;
}

describe("writeChildren", () => {
  test("already exists with this Operation's UID: adopted", async () => {
    const existing = { ...desired.object, metadata: { ...desired.object.metadata, resourceVersion: "7" } };
    expect(await writeChildren(deps(apiError(409, "AlreadyExists"), existing), "uid-1", [desired], signal)).toEqual([existing]);
  });

  test("already exists with another UID: WorkloadOwnershipConflict", async () => {
    const foreign = { ...desired.object, metadata: { ...desired.object.metadata, labels: { "ops.vworkspace.io/operation": "uid-2" } } };
    const err = await writeChildren(deps(apiError(409, "AlreadyExists"), foreign), "uid-1", [desired], signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentStartError);
    expect((err as PermanentStartError).reason).toBe("WorkloadOwnershipConflict");
  });

  test.each([
    [400, "BadRequest"],
    [403, "Forbidden"],
    [404, "NotFound"],
    [422, "Invalid"],
  ])("%d is permanent: EngineFailed", async (status, reason) => {
    const err = await writeChildren(deps(apiError(status, reason)), "uid-1", [desired], signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentStartError);
    expect((err as PermanentStartError).reason).toBe("EngineFailed");
    expect((err as Error).message).toStartWith("create Job ns/ns--op: ");
  });

  test.each([
    ["503", apiError(503, "ServiceUnavailable")],
    ["429", apiError(429, "TooManyRequests")],
    ["409 conflict", apiError(409, "Conflict")],
    ["transport", new KubeTransportError("ECONNREFUSED", { verb: "create", path: "/apis/batch/v1/namespaces/ns/jobs" }, new Error("refused"))],
  ])("%s is transient: retried, not failed", async (_name, error) => {
    const err = await writeChildren(deps(error), "uid-1", [desired], signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PermanentStartError);
  });
});
