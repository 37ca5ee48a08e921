/**
 * Turns an admin job request into the envelope the agent receives: id and createdAt filled, payload encrypted to
 * the cluster key when asked (docs/connectivity.md#encrypted-payloads), then signed over the JCS form (docs/connectivity.md#signed-jobs). Encrypt-then-sign.
 */
import * as v from "valibot";
import { rfc3339 } from "../protocol/common";
import type { ClusterPublicKey } from "../security/keys";
import { encryptJobPayload } from "../security/jwe";
import { signJob } from "../security/jws";
import type { ActiveSigningKey } from "./store/signing-keys";

/**
 * Only what makes a job undeliverable is refused here; a semantically bad payload (unknown intent, incomplete
 * manifest) is accepted on purpose, so the agent's own rejections can be exercised with properly signed jobs.
 */
export const adminJobRequestSchema = v.strictObject({
  job: v.strictObject({
    kind: v.pipe(v.string(), v.minLength(1, "job.kind is required")),
    payload: v.pipe(v.unknown(), v.check((payload) => payload !== undefined && payload !== null, "job.payload is required")),
    id: v.optional(v.pipe(v.string(), v.minLength(1))),
    idempotencyKey: v.optional(v.string()),
    expiresAt: v.optional(rfc3339),
    ttlSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  }),
  sign: v.optional(v.boolean()),
  encrypt: v.optional(v.boolean()),
  signature: v.optional(v.string()),
});
export type AdminJobRequest = v.InferOutput<typeof adminJobRequestSchema>;

export interface BuildJobContext {
  clusterId: string;
  now: Date;
  /** The cluster's published key, when it has one. */
  clusterKey: ClusterPublicKey | null;
  sign: boolean;
  encrypt: boolean;
  signingKey: () => Promise<ActiveSigningKey>;
}

export class ClusterKeyMissingError extends Error {
  override name = "ClusterKeyMissingError";
}

export async function buildJobEnvelope(request: AdminJobRequest, context: BuildJobContext): Promise<Record<string, unknown>> {
  const { job } = request;
  const envelope: Record<string, unknown> = {
    id: job.id ?? crypto.randomUUID(),
    kind: job.kind,
    payload: job.payload,
    createdAt: context.now.toISOString(),
  };
  if (job.idempotencyKey !== undefined) envelope.idempotencyKey = job.idempotencyKey;
  if (job.expiresAt !== undefined) envelope.expiresAt = job.expiresAt;
  else if (job.ttlSeconds !== undefined) envelope.expiresAt = new Date(context.now.getTime() + job.ttlSeconds * 1000).toISOString();
  if (context.encrypt) {
    if (!context.clusterKey) throw new ClusterKeyMissingError(`cluster ${context.clusterId} has no published public key`);
    envelope.encryptedPayload = await encryptJobPayload(job.payload, context.clusterKey);
    delete envelope.payload;
  }
  if (request.signature !== undefined) envelope.signature = request.signature;
  else if (context.sign) {
    const key = await context.signingKey();
    envelope.signature = await signJob(envelope, {
      privateKey: key.privateKey,
      kid: key.kid,
      alg: key.alg,
      clusterId: context.clusterId,
      iat: Math.floor(context.now.getTime() / 1000),
    });
  }
  return envelope;
}
