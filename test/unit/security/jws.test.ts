/** Detached JWS over the JCS form of a job (docs/connectivity.md#signed-jobs): fixed vectors and every verification cause. */
import { describe, expect, test } from "bun:test";
import { base64url, importJWK } from "jose";
import { jobSigningContent } from "../../../src/security/jcs";
import { signJob, verifyJobSignature, type VerifyJobOptions } from "../../../src/security/jws";
import { parseTrustedKeys, type SigningAlgorithm } from "../../../src/security/trusted-keys";

// RFC 8037 §A.1 Ed25519 key; a fixed P-256 test key. Test material only.
const ED_PRIVATE = { kty: "OKP", crv: "Ed25519", d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };
const EC_PRIVATE = { kty: "EC", crv: "P-256", d: "N94vWc8FjWVB0Rln2ida1kU0TJ-qq7xIz_z8KVsHanQ", x: "6KFtSq_h55_U11j3HLJY9Sd47hjbFih68be-5UxqrK4", y: "IArnReNTc7Xz5DWE4BFwg85ishXSa1i5wgAxAz_0YSc" };
const publicOf = ({ d: _d, ...rest }: Record<string, string>, kid: string) => ({ ...rest, kid });
const JWKS = { keys: [publicOf(ED_PRIVATE, "ed-1"), publicOf(EC_PRIVATE, "ec-1")] };

const IAT = 1_767_225_600; // 2026-01-01T00:00:00Z
const JOB = {
  id: "job-1",
  kind: "apply",
  createdAt: "2026-01-01T00:00:00Z",
  payload: { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "team-a", name: "demo" }, data: { "€": "1" } },
};

function options(overrides: Partial<VerifyJobOptions> = {}): VerifyJobOptions {
  return { trustedKeys: parseTrustedKeys(JWKS), clusterId: "c-1", now: new Date(IAT * 1000 + 5_000), maxAgeSeconds: 86_400, clockSkewSeconds: 60, ...overrides };
}

async function signed(job: Record<string, unknown>, alg: SigningAlgorithm = "EdDSA", header: { kid?: string; clusterId?: string; iat?: number } = {}) {
  const key = alg === "EdDSA" ? await importJWK(ED_PRIVATE, "EdDSA") : await importJWK(EC_PRIVATE, "ES256");
  const signature = await signJob(job, { privateKey: key, kid: header.kid ?? (alg === "EdDSA" ? "ed-1" : "ec-1"), alg, clusterId: header.clusterId ?? "c-1", iat: header.iat ?? IAT });
  return { ...job, signature };
}

/** A signature with a hand-made protected header, signed properly with the Ed25519 key. */
async function withHeader(job: Record<string, unknown>, header: Record<string, unknown>): Promise<Record<string, unknown>> {
  const encodedHeader = base64url.encode(JSON.stringify(header));
  const input = new TextEncoder().encode(`${encodedHeader}.${base64url.encode(jobSigningContent(job))}`);
  const key = (await importJWK(ED_PRIVATE, "EdDSA")) as CryptoKey;
  const raw = new Uint8Array(await crypto.subtle.sign("Ed25519", key, input));
  return { ...job, signature: `${encodedHeader}..${base64url.encode(raw)}` };
}

const goodHeader = { alg: "EdDSA", kid: "ed-1", typ: "vworkspace-job+jws", crit: ["vws.cid"], "vws.cid": "c-1", iat: IAT };

describe("vectors", () => {
  test("the fixed envelope has a stable JCS form and a stable Ed25519 signature", async () => {
    expect(jobSigningContent(JOB)).toBe(
      '{"createdAt":"2026-01-01T00:00:00Z","id":"job-1","kind":"apply","payload":{"apiVersion":"v1","data":{"€":"1"},"kind":"ConfigMap","metadata":{"name":"demo","namespace":"team-a"}}}',
    );
    const job = await signed(JOB);
    expect(job.signature).toBe(
      "eyJhbGciOiJFZERTQSIsImtpZCI6ImVkLTEiLCJ0eXAiOiJ2d29ya3NwYWNlLWpvYitqd3MiLCJjcml0IjpbInZ3cy5jaWQiXSwidndzLmNpZCI6ImMtMSIsImlhdCI6MTc2NzIyNTYwMH0..KVH2ffLy5nppsRyezt4StajWP-eD9rItVJYWYCtCMsqUGugEAyoWXHYAp6vA-DmFuLB3oMdr5pkjSMpgHsdjAw",
    );
    expect(await verifyJobSignature(job, options())).toEqual({ valid: true, kid: "ed-1" });
  });

  test("ES256 signatures verify; the header carries typ, crit, vws.cid and iat", async () => {
    const job = await signed(JOB, "ES256");
    expect(await verifyJobSignature(job, options())).toEqual({ valid: true, kid: "ec-1" });
    const header = JSON.parse(new TextDecoder().decode(base64url.decode(job.signature.split(".")[0] as string)));
    expect(header).toEqual({ alg: "ES256", kid: "ec-1", typ: "vworkspace-job+jws", crit: ["vws.cid"], "vws.cid": "c-1", iat: IAT });
  });

  test("verification canonicalises the received value: member order and whitespace do not matter", async () => {
    const job = await signed(JOB);
    const reordered = JSON.parse(`{"signature":${JSON.stringify(job.signature)},  "payload": ${JSON.stringify(JOB.payload)}, "kind":"apply","id":"job-1","createdAt":"2026-01-01T00:00:00Z"}`);
    expect(await verifyJobSignature(reordered, options())).toMatchObject({ valid: true });
  });
});

describe("causes, in the order of docs/connectivity.md#signed-jobs", () => {
  test("missing", async () => {
    expect(await verifyJobSignature(JOB, options())).toEqual({ valid: false, cause: "missing" });
  });

  test.each([
    ["not three parts", "abc.def"],
    ["attached payload", "eyJ9.cGF5bG9hZA.c2ln"],
    ["header not JSON", "bm9wZQ..c2ln"],
  ])("malformed: %s", async (_name, signature) => {
    expect(await verifyJobSignature({ ...JOB, signature }, options())).toEqual({ valid: false, cause: "malformed" });
  });

  test("malformed: crit other than [vws.cid], a b64 parameter, iat not an integer", async () => {
    for (const header of [{ ...goodHeader, b64: false }, { ...goodHeader, b64: true }, { ...goodHeader, crit: ["vws.cid", "b64"] }, { ...goodHeader, crit: undefined }, { ...goodHeader, iat: 1.5 }, { ...goodHeader, iat: "1" }]) {
      expect(await verifyJobSignature(await withHeader(JOB, header), options())).toEqual({ valid: false, cause: "malformed" });
    }
  });

  test("typ-mismatch", async () => {
    expect(await verifyJobSignature(await withHeader(JOB, { ...goodHeader, typ: "JWT" }), options())).toEqual({ valid: false, cause: "typ-mismatch" });
  });

  test("alg-not-allowed: an algorithm outside the list, or a key that does not fit the alg", async () => {
    expect(await verifyJobSignature(await withHeader(JOB, { ...goodHeader, alg: "HS256" }), options())).toEqual({ valid: false, cause: "alg-not-allowed" });
    expect(await verifyJobSignature(await withHeader(JOB, { ...goodHeader, alg: "ES256" }), options())).toEqual({ valid: false, cause: "alg-not-allowed" });
  });

  test("no-trusted-keys", async () => {
    const job = await signed(JOB);
    expect(await verifyJobSignature(job, options({ trustedKeys: undefined }))).toEqual({ valid: false, cause: "no-trusted-keys" });
    expect(await verifyJobSignature(job, options({ trustedKeys: { keys: [] } }))).toEqual({ valid: false, cause: "no-trusted-keys" });
  });

  test("unknown-kid", async () => {
    expect(await verifyJobSignature(await signed(JOB, "EdDSA", { kid: "other" }), options())).toEqual({ valid: false, cause: "unknown-kid" });
  });

  test("cluster-mismatch", async () => {
    expect(await verifyJobSignature(await signed(JOB, "EdDSA", { clusterId: "c-2" }), options())).toEqual({ valid: false, cause: "cluster-mismatch" });
  });

  test("not-yet-valid and stale honour the skew", async () => {
    const future = await signed(JOB, "EdDSA", { iat: IAT + 120 });
    expect(await verifyJobSignature(future, options())).toEqual({ valid: false, cause: "not-yet-valid" });
    expect(await verifyJobSignature(future, options({ clockSkewSeconds: 600 }))).toMatchObject({ valid: true });
    const old = await signed(JOB);
    const later = new Date((IAT + 86_400 + 61) * 1000);
    expect(await verifyJobSignature(old, options({ now: later }))).toEqual({ valid: false, cause: "stale" });
    expect(await verifyJobSignature(old, options({ now: new Date((IAT + 86_400 + 59) * 1000) }))).toMatchObject({ valid: true });
  });

  test("bad-signature: a member added after signing, or encryptedPayload altered", async () => {
    const { payload: _payload, ...withoutPayload } = JOB;
    const job = await signed({ ...withoutPayload, encryptedPayload: "aaa.bbb.ccc.ddd.eee" });
    expect(await verifyJobSignature(job, options())).toMatchObject({ valid: true });
    expect(await verifyJobSignature({ ...job, encryptedPayload: "aaa.bbb.ccX.ddd.eee" }, options())).toEqual({ valid: false, cause: "bad-signature" });
    const plain = await signed(JOB);
    expect(await verifyJobSignature({ ...plain, extra: true }, options())).toEqual({ valid: false, cause: "bad-signature" });
    const signedWithExtra = await signed({ ...JOB, extra: true });
    expect(await verifyJobSignature(signedWithExtra, options())).toMatchObject({ valid: true });
  });
});

describe("trusted keys (docs/connectivity.md#trusted-keys)", () => {
  test("keys without kid, with private members or of another type are ignored", () => {
    const set = parseTrustedKeys({
      keys: [
        { kty: "OKP", crv: "Ed25519", x: ED_PRIVATE.x },
        { ...ED_PRIVATE, kid: "private" },
        { kty: "RSA", n: "abc", e: "AQAB", kid: "rsa" },
        { kty: "OKP", crv: "X25519", x: ED_PRIVATE.x, kid: "x" },
        publicOf(ED_PRIVATE, "kept"),
      ],
    });
    expect(set.keys.map((key) => key.kid)).toEqual(["kept"]);
  });

  test("invalid JSON or a document without keys is an error", () => {
    expect(() => parseTrustedKeys("{oops")).toThrow("not valid JSON");
    expect(() => parseTrustedKeys({ nope: [] })).toThrow('"keys" array');
  });
});
