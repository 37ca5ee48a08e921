/** Shapes shared by jobs, results and events (docs/connectivity.md#results-and-status): resource references and conditions. */
import * as v from "valibot";

/** RFC 3339 timestamp as sent on the wire; both sides only need it to parse with `Date`. */
export const rfc3339 = v.pipe(
  v.string(),
  v.check((text) => !Number.isNaN(Date.parse(text)), "must be an RFC 3339 timestamp"),
);

/** I-JSON safe integer (|n| ≤ 2^53−1) so both sides canonicalise identically (docs/connectivity.md#signed-jobs). */
export const safeInteger = v.pipe(v.number(), v.safeInteger("must be an integer within ±(2^53−1)"));

const refEntries = {
  apiVersion: v.string(),
  kind: v.string(),
  /** Always present on the wire; "" for cluster-scoped objects. */
  namespace: v.string(),
  name: v.string(),
  uid: v.optional(v.string()),
  generation: v.optional(safeInteger),
};

/** AppliedRef as the control plane accepts it (strict: only known members, `namespace` required). */
export const appliedRefStrictSchema = v.strictObject({ ...refEntries, apiVersion: v.pipe(v.string(), v.minLength(1)), kind: v.pipe(v.string(), v.minLength(1)) });
export type AppliedRef = v.InferOutput<typeof appliedRefStrictSchema>;

const conditionEntries = {
  type: v.pipe(v.string(), v.minLength(1)),
  status: v.picklist(["True", "False", "Unknown"]),
  observedGeneration: v.optional(safeInteger),
  lastTransitionTime: v.optional(v.string()),
  reason: v.optional(v.string()),
  message: v.optional(v.string()),
};

export const wireConditionStrictSchema = v.strictObject(conditionEntries);
export type WireCondition = v.InferOutput<typeof wireConditionStrictSchema>;

/** `{"error","message","requestId"}`: every member optional for the agent (docs/connectivity.md#pull-mode-wire-protocol). */
export const errorBodySchema = v.looseObject({
  error: v.optional(v.string()),
  message: v.optional(v.string()),
  requestId: v.optional(v.string()),
});
export type ErrorBody = v.InferOutput<typeof errorBodySchema>;
