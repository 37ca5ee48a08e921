/** The vws1 approval claim (docs/operations.md#approvals): reference issuer bytes, every verification step and its text. */
import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { issueClaim, SECRET_NOT_CONFIGURED, verifyClaim, type ClaimBody } from "../../../src/operations/approval-claim";

const SECRET = "s3cr3t-for-tests";
const NOW = new Date("2026-01-01T00:00:00Z");
const body: ClaimBody = { at: "2026-01-01T00:00:00Z", by: "alice@example.com", exp: Math.floor(NOW.getTime() / 1000) + 600, op: "restore-1", rid: 42, v: 1 };

// The reference issuer, written independently: sorted keys, compact JSON, unpadded base64url, hex HMAC.
function referenceClaim(fields: Record<string, unknown>, secret = SECRET): string {
  const sorted = Object.fromEntries(Object.keys(fields).sort().map((key) => [key, fields[key]]));
  const encoded = Buffer.from(JSON.stringify(sorted)).toString("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `vws1.${encoded}.${createHmac("sha256", secret).update(encoded).digest("hex")}`;
}

describe("vws1 claims", () => {
  test("the issuer's bytes equal the reference issuer's, and the claim verifies", () => {
    const claim = issueClaim(body, SECRET);
    expect(claim).toBe(referenceClaim({ ...body }));
    expect(claim.split(".")[1]).not.toContain("=");
    expect(verifyClaim(claim, SECRET, "restore-1", NOW)).toEqual({ ok: true, claim: body });
  });

  test("a fixed byte fixture verifies (shared with the control plane's tests)", () => {
    const fixture = "vws1.eyJhdCI6IjIwMjYtMDEtMDFUMDA6MDA6MDBaIiwiYnkiOiJhbGljZUBleGFtcGxlLmNvbSIsImV4cCI6MTc2NzIyNjIwMCwib3AiOiJyZXN0b3JlLTEiLCJyaWQiOjQyLCJ2IjoxfQ";
    const claim = issueClaim(body, SECRET);
    expect(claim.startsWith(`${fixture}.`)).toBe(true);
  });

  test("secret and claim are trimmed (a Secret from a file ends in a newline)", () => {
    expect(verifyClaim(` ${issueClaim(body, SECRET)}\n`, `${SECRET}\n`, "restore-1", NOW).ok).toBe(true);
    expect(verifyClaim(issueClaim(body, SECRET), " \n", "restore-1", NOW)).toEqual({ ok: false, error: SECRET_NOT_CONFIGURED });
  });

  test("the operation name is compared trimmed", () => {
    expect(verifyClaim(issueClaim(body, SECRET), SECRET, "  restore-1 ", NOW).ok).toBe(true);
  });

  test("an upper-case hex digest is accepted", () => {
    const [prefix, encoded, digest] = issueClaim(body, SECRET).split(".");
    expect(verifyClaim(`${prefix}.${encoded}.${digest?.toUpperCase()}`, SECRET, "restore-1", NOW).ok).toBe(true);
  });

  test.each([
    ["no secret configured", issueClaim(body, SECRET), "", SECRET_NOT_CONFIGURED],
    ["empty", "", SECRET, "empty claim"],
    ["two parts", "vws1.abc", SECRET, "malformed claim"],
    ["four parts", `${issueClaim(body, SECRET)}.x`, SECRET, "malformed claim"],
    ["wrong prefix", issueClaim(body, SECRET).replace(/^vws1/, "vws2"), SECRET, "malformed claim"],
    ["other secret", issueClaim(body, "other"), SECRET, "signature mismatch"],
    ["tampered body", issueClaim(body, SECRET).replace(/^vws1\.e/, "vws1.f"), SECRET, "signature mismatch"],
    ["body not JSON", referenceClaimRaw("not json"), SECRET, "malformed claim"],
    ["version 2", referenceClaim({ ...body, v: 2 }), SECRET, "unsupported claim version"],
    ["other operation", referenceClaim({ ...body, op: "restore-2" }), SECRET, 'claim is for operation "restore-2"'],
    ["expired one second ago", referenceClaim({ ...body, exp: NOW.getTime() / 1000 - 1 }), SECRET, "claim expired at 2025-12-31T23:59:59Z"],
  ])("%s → %s", (_name, claim, secret, error) => {
    expect(verifyClaim(claim, secret, "restore-1", NOW)).toEqual({ ok: false, error });
  });

  test("exp equal to now still verifies (now ≤ exp)", () => {
    expect(verifyClaim(referenceClaim({ ...body, exp: NOW.getTime() / 1000 }), SECRET, "restore-1", NOW).ok).toBe(true);
  });
});

function referenceClaimRaw(text: string): string {
  const encoded = Buffer.from(text).toString("base64url");
  return `vws1.${encoded}.${createHmac("sha256", SECRET).update(encoded).digest("hex")}`;
}
