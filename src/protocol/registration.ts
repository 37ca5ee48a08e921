/** Registration and rotation messages (docs/connectivity.md#registration-and-rotation-requests) and the cluster's public JWK (docs/connectivity.md#encrypted-payloads). */
import * as v from "valibot";

/** The cluster's X25519 public key as published: never carries `d`. */
export const clusterPublicJwkSchema = v.strictObject({
  kty: v.literal("OKP"),
  crv: v.literal("X25519"),
  x: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, "x must be a base64url X25519 public key")),
  kid: v.pipe(v.string(), v.minLength(1)),
  use: v.optional(v.literal("enc"), "enc"),
  alg: v.optional(v.literal("ECDH-ES+A256KW"), "ECDH-ES+A256KW"),
});
export type ClusterPublicJwk = v.InferOutput<typeof clusterPublicJwkSchema>;

export const registerRequestStrictSchema = v.strictObject({
  registrationToken: v.pipe(v.string(), v.minLength(1)),
  clusterId: v.optional(v.pipe(v.string(), v.minLength(1))),
  displayName: v.optional(v.string()),
  publicKey: v.optional(clusterPublicJwkSchema),
});
export type RegisterRequest = v.InferOutput<typeof registerRequestStrictSchema>;

const trimmedNonEmpty = v.pipe(v.string(), v.trim(), v.minLength(1));

/** A JWKS as sent on the wire; individual keys are filtered by the trusted-key rules (docs/connectivity.md#trusted-keys), not here. */
export const jwksSchema = v.looseObject({ keys: v.array(v.looseObject({})) });
export type Jwks = { keys: Record<string, unknown>[] };

/** What the agent accepts back from `register`: `clusterId` and `token` non-empty after trimming. */
export const registerResponseSchema = v.looseObject({
  clusterId: trimmedNonEmpty,
  token: trimmedNonEmpty,
  expiresAt: v.optional(v.nullable(v.string())),
  signingKeys: v.optional(v.nullable(jwksSchema)),
});
export type RegisterResponse = v.InferOutput<typeof registerResponseSchema>;

export const rotateRequestStrictSchema = v.strictObject({ publicKey: v.optional(clusterPublicJwkSchema) });
export type RotateRequest = v.InferOutput<typeof rotateRequestStrictSchema>;

export const rotateResponseSchema = v.looseObject({
  token: trimmedNonEmpty,
  expiresAt: v.optional(v.nullable(v.string())),
});
export type RotateResponse = v.InferOutput<typeof rotateResponseSchema>;
