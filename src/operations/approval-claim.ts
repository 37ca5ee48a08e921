/**
 * The `vws1` approval claim (docs/operations.md#approvals): `vws1.<body>.<digest>`, body = unpadded base64url of
 * sorted-key compact JSON, digest = hex HMAC-SHA256 over the body bytes as received. Wire-compatible
 * with the control plane's issuer; verification steps and their error texts are normative.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export interface ClaimBody {
  at: string;
  by: string;
  exp: number;
  op: string;
  rid: number;
  v: number;
}

export type ClaimVerification = { ok: true; claim: ClaimBody } | { ok: false; error: string };

export const SECRET_NOT_CONFIGURED = "approval claim present but operator approval-claim-secret is not configured";
const MALFORMED = "malformed claim";
const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;

/** Verifies `claim` for the Operation named `operationName` at `now`; never throws. */
export function verifyClaim(rawClaim: string, rawSecret: string | undefined, operationName: string, now: Date): ClaimVerification {
  // Both are trimmed as the Go operator does: a Secret created from a file usually ends in a newline.
  const secret = rawSecret?.trim();
  const claim = rawClaim.trim();
  if (!secret) return { ok: false, error: SECRET_NOT_CONFIGURED };
  if (claim === "") return { ok: false, error: "empty claim" };
  const parts = claim.split(".");
  if (parts.length !== 3 || parts[0] !== "vws1") return { ok: false, error: MALFORMED };
  const [, body = "", digest = ""] = parts;
  if (!digestMatches(body, digest, secret)) return { ok: false, error: "signature mismatch" };
  const decoded = decodeBody(body);
  if (!decoded) return { ok: false, error: MALFORMED };
  if (decoded.v !== 1) return { ok: false, error: "unsupported claim version" };
  if (decoded.op !== operationName.trim()) return { ok: false, error: `claim is for operation "${String(decoded.op)}"` };
  const exp = typeof decoded.exp === "number" ? decoded.exp : Number.NaN;
  if (!(now.getTime() / 1000 <= exp)) return { ok: false, error: `claim expired at ${expiryText(exp)}` };
  return { ok: true, claim: decoded as unknown as ClaimBody };
}

/** Issues a claim the way the control plane does (tests and tooling). */
export function issueClaim(body: ClaimBody, rawSecret: string): string {
  const secret = rawSecret.trim();
  const json = JSON.stringify({ at: body.at, by: body.by, exp: body.exp, op: body.op, rid: body.rid, v: body.v });
  const encoded = Buffer.from(json, "utf8").toString("base64url");
  return `vws1.${encoded}.${hmacHex(encoded, secret)}`;
}

function hmacHex(body: string, secret: string): string {
  return createHmac("sha256", secret).update(body, "ascii").digest("hex");
}

// Upper-case hex is accepted: the comparison is over the decoded bytes, in constant time.
function digestMatches(body: string, digest: string, secret: string): boolean {
  if (!HEX_DIGEST.test(digest)) return false;
  const expected = Buffer.from(hmacHex(body, secret), "hex");
  return timingSafeEqual(expected, Buffer.from(digest, "hex"));
}

function decodeBody(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function expiryText(exp: number): string {
  return Number.isFinite(exp) ? new Date(exp * 1000).toISOString().replace(/\.000Z$/, "Z") : String(exp);
}
