/**
 * RFC 8785 JSON Canonicalization Scheme over the parsed JSON value (docs/connectivity.md#signed-jobs), using the vetted
 * `canonicalize` package. Job envelopes additionally refuse numbers beyond ±(2^53−1) so both sides agree.
 */
import canonicalize from "canonicalize";

export class CanonicalizationError extends Error {
  override name = "CanonicalizationError";
}

function assertJson(value: unknown, path: string, safeRange: boolean): void {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new CanonicalizationError(`${path || "value"}: number is not finite`);
    if (safeRange && Math.abs(value) > Number.MAX_SAFE_INTEGER) {
      throw new CanonicalizationError(`${path || "value"}: number is outside the I-JSON safe range ±(2^53−1)`);
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertJson(item, `${path}[${index}]`, safeRange));
    return;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) assertJson(item, path ? `${path}.${key}` : key, safeRange);
    return;
  }
  if (value === undefined || typeof value === "function" || typeof value === "bigint" || typeof value === "symbol") {
    throw new CanonicalizationError(`${path || "value"}: ${typeof value} is not a JSON value`);
  }
}

/** The RFC 8785 canonical text of a parsed JSON value. */
export function canonicalJson(value: unknown): string {
  assertJson(value, "", false);
  const text = canonicalize(value);
  if (text === undefined) throw new CanonicalizationError("value has no JSON form");
  return text;
}

/** The signed content of a job: the envelope exactly as received, minus `signature` (docs/connectivity.md#signed-jobs). */
export function jobSigningContent(rawJob: Record<string, unknown>): string {
  const { signature: _signature, ...content } = rawJob;
  assertJson(content, "", true);
  return canonicalJson(content);
}
