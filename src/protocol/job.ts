/**
 * The job envelope and its payloads (connectivity.md §2.3–§2.4). The agent reads envelopes leniently and keeps the
 * raw parsed JSON for signature checks (§4.1); the control plane validates what an admin enqueues strictly.
 */
import * as v from "valibot";
import { rfc3339 } from "./common";

export const JOB_KINDS = ["apply", "delete", "intent"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const INTENTS = [
  "ensure-application-instance",
  "request-operation",
  "delete-application-instance",
  "rotate-operator-credentials",
] as const;
export type IntentName = (typeof INTENTS)[number];

export function isJobKind(kind: unknown): kind is JobKind {
  return typeof kind === "string" && (JOB_KINDS as readonly string[]).includes(kind);
}

export function isIntentName(intent: unknown): intent is IntentName {
  return typeof intent === "string" && (INTENTS as readonly string[]).includes(intent);
}

const envelopeEntries = {
  id: v.string(),
  kind: v.string(),
  payload: v.optional(v.unknown()),
  idempotencyKey: v.optional(v.string()),
  createdAt: v.optional(v.string()),
  expiresAt: v.optional(v.string()),
  signature: v.optional(v.string()),
  encryptedPayload: v.optional(v.string()),
};

/**
 * An envelope as the agent reads it: unknown members kept, `kind` any string (an unknown kind is answered
 * `UnsupportedJobKind`, not a parse error). A job without a string `id` fails here and is skipped.
 */
export const jobEnvelopeSchema = v.looseObject(envelopeEntries);
export type JobEnvelope = v.InferOutput<typeof jobEnvelopeSchema>;

/** An envelope the control plane is willing to store and deliver. */
export const jobEnvelopeStrictSchema = v.pipe(
  v.looseObject({
    ...envelopeEntries,
    id: v.pipe(v.string(), v.minLength(1, "id must not be empty")),
    kind: v.picklist(JOB_KINDS, "kind must be apply, delete or intent"),
    createdAt: v.optional(rfc3339),
    expiresAt: v.optional(rfc3339),
  }),
  v.check(
    (job) => job.encryptedPayload === undefined || job.payload === undefined || job.payload === null,
    "a job with encryptedPayload must not also carry a payload",
  ),
  v.check(
    (job) => job.encryptedPayload !== undefined || (job.payload !== undefined && job.payload !== null),
    "payload is required unless encryptedPayload is set",
  ),
);

/** `GET /jobs` answer: `jobs` may be null or absent (= empty). Items stay raw JSON until each is checked. */
export const jobsResponseSchema = v.pipe(
  v.looseObject({ jobs: v.nullish(v.array(v.unknown())) }),
  v.transform((body) => ({ jobs: body.jobs ?? [] })),
);

const nonEmpty = v.pipe(v.string(), v.minLength(1));

/** `apply`: one complete manifest. Namespace is absent for cluster-scoped kinds; the agent decides. */
export const applyPayloadSchema = v.looseObject({
  apiVersion: nonEmpty,
  kind: nonEmpty,
  metadata: v.looseObject({ name: nonEmpty, namespace: v.optional(v.string()) }),
});
export type ApplyPayload = v.InferOutput<typeof applyPayloadSchema>;

/** `delete`: all four members required; `namespace` is "" for cluster-scoped objects. */
export const deletePayloadSchema = v.looseObject({
  apiVersion: nonEmpty,
  kind: nonEmpty,
  name: nonEmpty,
  namespace: v.string(),
});
export type DeletePayload = v.InferOutput<typeof deletePayloadSchema>;

/** Any intent payload: the name decides which of the schemas below applies. */
export const intentPayloadSchema = v.looseObject({ intent: v.string() });

const objectWithMetadata = v.looseObject({
  apiVersion: v.optional(v.string()),
  kind: v.optional(v.string()),
  metadata: v.looseObject({ name: nonEmpty, namespace: nonEmpty }),
});

export const intentPayloadSchemas = {
  "ensure-application-instance": v.looseObject({ intent: v.literal("ensure-application-instance"), applicationInstance: objectWithMetadata }),
  "request-operation": v.looseObject({ intent: v.literal("request-operation"), operation: objectWithMetadata }),
  "delete-application-instance": v.looseObject({ intent: v.literal("delete-application-instance"), name: nonEmpty, namespace: nonEmpty }),
  "rotate-operator-credentials": v.looseObject({ intent: v.literal("rotate-operator-credentials") }),
} as const;

export type IntentPayload<N extends IntentName> = v.InferOutput<(typeof intentPayloadSchemas)[N]>;

/** The payload schema for a job kind (and intent name), for the control plane's admission of new jobs. */
export function payloadSchemaFor(kind: JobKind, payload: unknown): v.GenericSchema<unknown, unknown> | undefined {
  if (kind === "apply") return applyPayloadSchema;
  if (kind === "delete") return deletePayloadSchema;
  const intent = typeof payload === "object" && payload !== null ? (payload as { intent?: unknown }).intent : undefined;
  return isIntentName(intent) ? intentPayloadSchemas[intent] : undefined;
}
