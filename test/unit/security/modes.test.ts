/** The mode decisions of docs/connectivity.md#signing-modes, docs/connectivity.md#encryption-modes, and the replay-first screening of docs/connectivity.md#job-pipeline. */
import { describe, expect, test } from "bun:test";
import { importJWK } from "jose";
import { decideDecryptionFailure, decidePlaintext, decideSignature } from "../../../src/security/modes";
import { signJob } from "../../../src/security/jws";
import { screenJob } from "../../../src/security/screen";
import { parseTrustedKeys } from "../../../src/security/trusted-keys";

describe("signature modes", () => {
  test("disabled: nothing evaluated, condition removed", () => {
    expect(decideSignature("disabled", undefined, "j")).toEqual({ proceed: true, audit: false, condition: "remove" });
    expect(decideSignature("disabled", { valid: false, cause: "missing" }, "j").proceed).toBe(true);
  });

  test("a valid signature proceeds with SignatureVerified in warn and enforce", () => {
    for (const mode of ["warn", "enforce"] as const) {
      const decision = decideSignature(mode, { valid: true, kid: "k" }, "j");
      expect(decision).toMatchObject({ proceed: true, audit: false, condition: { status: "True", reason: "SignatureVerified" } });
    }
  });

  test("warn: an invalid signature proceeds with an Audit and JobPayloadSignatureInvalid", () => {
    const decision = decideSignature("warn", { valid: false, cause: "stale" }, "job-9");
    expect(decision).toEqual({
      proceed: true,
      audit: true,
      condition: { status: "False", reason: "JobPayloadSignatureInvalid", message: "job job-9: stale" },
    });
  });

  test("enforce: an invalid signature is rejected with the exact error text", () => {
    const decision = decideSignature("enforce", { valid: false, cause: "unknown-kid" }, "job-9");
    expect(decision.proceed).toBe(false);
    expect(decision.rejection).toEqual({ errorCode: "JobPayloadSignatureInvalid", error: "JobPayloadSignatureInvalid: unknown-kid" });
  });
});

describe("encryption modes", () => {
  test("encrypted jobs always go on to decryption; plaintext per mode", () => {
    for (const mode of ["disabled", "warn", "enforce"] as const) expect(decidePlaintext(mode, true, "j").proceed).toBe(true);
    expect(decidePlaintext("disabled", false, "j")).toEqual({ proceed: true, audit: false, condition: undefined });
    expect(decidePlaintext("warn", false, "j")).toMatchObject({ proceed: true, audit: true, condition: { reason: "JobPayloadNotEncrypted" } });
    expect(decidePlaintext("enforce", false, "j")).toMatchObject({ proceed: false, rejection: { errorCode: "JobPayloadNotEncrypted" } });
  });

  test("a decryption failure is never applied", () => {
    expect(decideDecryptionFailure("bad tag", "j")).toMatchObject({
      proceed: false,
      audit: true,
      condition: { status: "False", reason: "JobPayloadDecryptionFailed" },
      rejection: { errorCode: "JobPayloadDecryptionFailed", error: "JobPayloadDecryptionFailed: bad tag" },
    });
  });
});

describe("screening", () => {
  const ED = { kty: "OKP", crv: "Ed25519", d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };
  const now = new Date();
  const base = { trustedKeys: parseTrustedKeys({ keys: [{ kty: "OKP", crv: "Ed25519", x: ED.x, kid: "k" }] }), clusterId: "c", now, maxAgeSeconds: 3600, clockSkewSeconds: 60 };

  test("a processed job id is answered as a replay before any signature check", async () => {
    const job = { id: "done-1", kind: "apply", payload: {} };
    let asked = "";
    const outcome = await screenJob(job, { ...base, mode: "enforce", alreadyProcessed: (id) => ((asked = id), true) });
    expect(outcome).toEqual({ kind: "replayed" });
    expect(asked).toBe("done-1");
  });

  test("a fresh job is verified under the mode", async () => {
    const job = { id: "new-1", kind: "apply", payload: {} };
    const signature = await signJob(job, { privateKey: await importJWK(ED, "EdDSA"), kid: "k", alg: "EdDSA", clusterId: "c", iat: Math.floor(now.getTime() / 1000) });
    const valid = await screenJob({ ...job, signature }, { ...base, mode: "enforce", alreadyProcessed: () => false });
    expect(valid).toMatchObject({ kind: "screened", verdict: { valid: true }, decision: { proceed: true } });
    // The replay window the ledger must keep the id for: iat + max age + skew.
    const windowEnd = (Math.floor(now.getTime() / 1000) + base.maxAgeSeconds + base.clockSkewSeconds) * 1000;
    expect(valid.kind === "screened" ? valid.signedUntil?.getTime() : undefined).toBe(windowEnd);
    const forged = await screenJob({ ...job, signature, payload: { changed: true } }, { ...base, mode: "enforce", alreadyProcessed: async () => false });
    expect(forged).toMatchObject({ kind: "screened", verdict: { valid: false, cause: "bad-signature" }, decision: { proceed: false } });
    expect(forged.kind === "screened" ? forged.signedUntil : "replayed").toBeUndefined();
    const off = await screenJob(job, { ...base, mode: "disabled", alreadyProcessed: () => false });
    expect(off).toEqual({ kind: "screened", verdict: undefined, decision: { proceed: true, audit: false, condition: "remove" } });
  });
});
