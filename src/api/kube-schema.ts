/**
 * Building blocks for valibot schemas that double as CRD schemas. Kubernetes-specific OpenAPI extensions
 * ride along as valibot metadata under the `kube` key; the CRD generator (crd/openapi.ts) reads them back.
 */

import * as v from "valibot";

/** One `x-kubernetes-validations` entry: a CEL expression and the message the API server returns. */
export interface CelRule {
  readonly rule: string;
  readonly message: string;
}

export type KubeExtensions = {
  /** Integer width shown in the CRD; valibot has one number type. */
  readonly format?: "int32" | "int64";
  /** Keep fields the schema does not declare (`x-kubernetes-preserve-unknown-fields`). */
  readonly preserveUnknownFields?: true;
  readonly listType?: "atomic" | "map" | "set";
  readonly listMapKeys?: readonly string[];
  /** CEL rules evaluated by the API server only; their TypeScript twins live in validation/. */
  readonly validations?: readonly CelRule[];
};

/** TInput is inferred from the pipe the action is placed in, as for valibot's own actions. */
export function kube<TInput>(extensions: KubeExtensions) {
  return v.metadata<TInput, { readonly kube: KubeExtensions }>({ kube: extensions });
}

export function int32() {
  return v.pipe(v.number(), v.integer(), kube({ format: "int32" }));
}

export function int64() {
  return v.pipe(v.number(), v.integer(), kube({ format: "int64" }));
}

/** RFC 3339 time as written by the API server; becomes `format: date-time`. */
export function dateTime() {
  return v.pipe(v.string(), v.isoTimestamp());
}

/**
 * An object whose content the schema does not describe; the API server stores it unpruned.
 * A custom schema because valibot's record and object schemas accept arrays.
 */
export function freeformObject<TValue = unknown>(
  isValue: (value: unknown) => boolean = () => true,
  message = "must be an object",
) {
  const isFreeform = (input: unknown) =>
    typeof input === "object" && input !== null && !Array.isArray(input) && Object.values(input).every(isValue);
  return v.pipe(v.custom<Record<string, TValue>>(isFreeform, message), kube({ preserveUnknownFields: true }));
}
