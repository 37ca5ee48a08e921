/**
 * The job envelope and its payloads (docs/connectivity.md#jobs). The agent reads envelopes leniently and keeps the
 * raw parsed JSON for signature checks (docs/connectivity.md#signed-jobs).
 */
import * as v from "valibot";

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
