/**
 * AdmissionReview v1 codec (pure): decodes what the API server posts and builds the answer of
 * docs/operations.md#responses-and-exemptions. A body that is not an AdmissionReview v1 with a request uid is a client error (400),
 * never a denial: the API server only ever sends well-formed reviews.
 */
import * as v from "valibot";
import { formatDecodeIssues, decodeWith } from "../api/decode";

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

const groupVersionKind = v.object({ group: v.string(), version: v.string(), kind: v.string() });

const admissionRequestSchema = v.object({
  uid: v.pipe(v.string(), v.minLength(1, "is required")),
  kind: groupVersionKind,
  operation: v.picklist(["CREATE", "UPDATE", "DELETE", "CONNECT"]),
  namespace: v.optional(v.string()),
  name: v.optional(v.string()),
  object: v.optional(v.unknown()),
  oldObject: v.optional(v.unknown()),
  dryRun: v.optional(v.boolean()),
  userInfo: v.optional(v.object({ username: v.optional(v.string()) })),
});

const admissionReviewSchema = v.object({
  apiVersion: v.literal(ADMISSION_API_VERSION, `must be ${ADMISSION_API_VERSION}`),
  kind: v.literal("AdmissionReview", "must be AdmissionReview"),
  request: admissionRequestSchema,
});

export type AdmissionRequest = v.InferOutput<typeof admissionRequestSchema>;
export type AdmissionOperation = AdmissionRequest["operation"];

export type DecodedReview = { ok: true; request: AdmissionRequest } | { ok: false; error: string };

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes raw body bytes: UTF-8, then JSON, then the AdmissionReview shape. Never throws. */
export function decodeReview(body: Uint8Array): DecodedReview {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    return { ok: false, error: "request body is not valid UTF-8" };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `request body is not JSON: ${(err as Error).message}` };
  }
  const decoded = decodeWith(admissionReviewSchema, json);
  if (!decoded.ok) return { ok: false, error: `request body is not an AdmissionReview v1: ${formatDecodeIssues(decoded.issues)}` };
  return { ok: true, request: decoded.value.request };
}

/** A denial: reason code, exact message and the HTTP-style code of docs/operations.md#responses-and-exemptions. */
export interface Denial {
  readonly reason: string;
  readonly message: string;
  readonly code: number;
}

export interface Verdict {
  readonly denial?: Denial;
  readonly warnings?: readonly string[];
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: "AdmissionReview";
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; reason: string; message: string };
    warnings?: string[];
  };
}

export function reviewResponse(uid: string, verdict: Verdict): AdmissionReviewResponse {
  const { denial, warnings } = verdict;
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: "AdmissionReview",
    response: {
      uid,
      allowed: denial === undefined,
      ...(denial ? { status: { code: denial.code, reason: denial.reason, message: denial.message } } : {}),
      ...(warnings && warnings.length > 0 ? { warnings: [...warnings] } : {}),
    },
  };
}

/** docs/operations.md#responses-and-exemptions: 403 for reasons about who may write where, 500 for our own failure, 422 for everything else. */
const FORBIDDEN_REASONS = new Set([
  "NamespaceNotGated",
  "ClusterMismatch",
  "OperationTypeNotAllowed",
  "CapabilityMissing",
  "ApprovalClaimInvalid",
  "BackupNotOwned",
]);

export function denial(reason: string, message: string): Denial {
  const code = reason === "InternalError" ? 500 : FORBIDDEN_REASONS.has(reason) ? 403 : 422;
  return { reason, message, code };
}
