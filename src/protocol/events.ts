/** The events batch and its event keys (docs/connectivity.md#events). Key formats are kept byte-for-byte. */
import * as v from "valibot";
import { appliedRefStrictSchema, rfc3339, wireConditionStrictSchema, type AppliedRef } from "./common";

export const EVENT_KINDS = ["ConditionTransition", "ClusterHeartbeat", "CredentialRotated", "Audit", "BufferOverflow"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const MAX_EVENTS_PER_BATCH = 100;
export const MAX_EVENTS_BODY_BYTES = 1024 * 1024;

const endpointSchema = v.strictObject({ name: v.string(), url: v.string() });
const managedStorageSchema = v.strictObject({ accessKeyId: v.string(), secretAccessKey: v.string(), bucketName: v.string() });

export const agentEventStrictSchema = v.strictObject({
  eventKey: v.optional(v.string()),
  kind: v.picklist(EVENT_KINDS),
  resourceRef: appliedRefStrictSchema,
  conditions: v.optional(v.array(wireConditionStrictSchema)),
  endpoints: v.optional(v.array(endpointSchema)),
  managedStorage: v.optional(managedStorageSchema),
  jobId: v.optional(v.string()),
  timestamp: rfc3339,
});
export type AgentEvent = v.InferOutput<typeof agentEventStrictSchema>;

/** The control plane's shape check; the item count limit is checked first so it gets its own answer. */
export const eventsBatchStrictSchema = v.strictObject({
  events: v.pipe(v.array(agentEventStrictSchema), v.minLength(1, "events must not be empty")),
});
export type EventsBatch = v.InferOutput<typeof eventsBatchStrictSchema>;

function orUnderscore(value: string | undefined): string {
  return value === undefined || value === "" ? "_" : value;
}

/** `condition/<apiVersion>/<kind>/<namespace or _>/<name>/<uid or _>/<type>/<status>@<generation>`. */
export function conditionTransitionKey(ref: AppliedRef, condition: { type: string; status: string }, generation: number): string {
  return `condition/${ref.apiVersion}/${ref.kind}/${orUnderscore(ref.namespace)}/${ref.name}/${orUnderscore(ref.uid)}/${condition.type}/${condition.status}@${generation}`;
}

/** Unique per rotation: the fingerprint is of the new token (16 hex of SHA-256). */
export function credentialRotatedKey(clusterUid: string, newTokenFingerprint: string): string {
  return `CredentialRotated/${clusterUid}/Authenticated/${newTokenFingerprint}`;
}

export function auditKey(reason: string, jobId: string): string {
  return `audit/${reason}/${jobId}`;
}

export function bufferOverflowKey(clusterUid: string, overflowStartUnixSeconds: number): string {
  return `BufferOverflow/${clusterUid}/${Math.trunc(overflowStartUnixSeconds)}`;
}
