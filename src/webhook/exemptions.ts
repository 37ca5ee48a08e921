/**
 * docs/operations.md#responses-and-exemptions exemptions, checked before any rule: an UPDATE of an object being deleted, or one that
 * leaves `spec` deep-equal (metadata, finalizers, status), is always allowed so that cleanup never wedges.
 */
import { isDeepStrictEqual } from "node:util";
import type { AdmissionRequest } from "./review";

export function isExempt(request: Pick<AdmissionRequest, "operation" | "object" | "oldObject">): boolean {
  if (request.operation !== "UPDATE") return false;
  const { object, oldObject } = request;
  if (isDeleting(object) || isDeleting(oldObject)) return true;
  return isDeepStrictEqual(field(object, "spec"), field(oldObject, "spec"));
}

function isDeleting(object: unknown): boolean {
  const deletionTimestamp = field(field(object, "metadata"), "deletionTimestamp");
  return typeof deletionTimestamp === "string" && deletionTimestamp !== "";
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}
