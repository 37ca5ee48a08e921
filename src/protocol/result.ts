/** JobResult and StatusUpdate (docs/connectivity.md#results-and-status), with the error-code table. */
import * as v from "valibot";
import { appliedRefStrictSchema, rfc3339, wireConditionStrictSchema } from "./common";

export const JOB_OUTCOMES = ["succeeded", "failed", "noop", "conflict"] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

export const JOB_ERROR_CODES = [
  "JobExpired",
  "JobReplayed",
  "JobPayloadSignatureInvalid",
  "JobPayloadDecryptionFailed",
  "JobPayloadNotEncrypted",
  "InvalidPayload",
  "UnsupportedJobKind",
  "UnsupportedIntent",
  "KindNotAllowed",
  "NamespaceNotFound",
  "NamespaceNotGated",
  "NotManaged",
  "ProtectedField",
  "Forbidden",
  "ApplyFailed",
  "FieldManagerConflict",
  "RotationFailed",
] as const;
export type JobErrorCode = (typeof JOB_ERROR_CODES)[number];

/** `error` for an expired job is exactly this (Go-compatible), with `outcome: noop`. */
export const EXPIRED_ERROR = "expired";

export const STATUS_PHASES = ["Progressing", "Ready", "Failed", "Deleted", "Abandoned"] as const;
export type StatusPhase = (typeof STATUS_PHASES)[number];

const conflictSchema = v.strictObject({ manager: v.string(), field: v.string() });

const resultEntries = {
  outcome: v.picklist(JOB_OUTCOMES),
  error: v.optional(v.string()),
  errorCode: v.optional(v.string()),
  conflicts: v.optional(v.array(conflictSchema)),
  appliedRef: v.optional(appliedRefStrictSchema),
  timestamp: rfc3339,
};

/** What the control plane accepts on `POST …/result`: known members only. */
export const jobResultStrictSchema = v.strictObject(resultEntries);
export type JobResult = v.InferOutput<typeof jobResultStrictSchema>;

/** Builds a result with empty members omitted, as the wire contract asks. */
export function jobResult(fields: {
  outcome: JobOutcome;
  errorCode?: JobErrorCode;
  error?: string;
  conflicts?: { manager: string; field: string }[];
  appliedRef?: JobResult["appliedRef"];
  timestamp?: Date;
}): JobResult {
  const result: JobResult = { outcome: fields.outcome, timestamp: (fields.timestamp ?? new Date()).toISOString() };
  if (fields.error) result.error = fields.error;
  if (fields.errorCode) result.errorCode = fields.errorCode;
  if (fields.conflicts && fields.conflicts.length > 0) result.conflicts = fields.conflicts;
  if (fields.appliedRef) result.appliedRef = fields.appliedRef;
  return result;
}

export const statusUpdateStrictSchema = v.strictObject({
  phase: v.pipe(v.string(), v.minLength(1)),
  conditions: v.optional(v.array(wireConditionStrictSchema)),
  message: v.optional(v.string()),
  timestamp: rfc3339,
});
export type StatusUpdate = v.InferOutput<typeof statusUpdateStrictSchema>;
