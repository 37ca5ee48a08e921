import { describe, expect, test } from "bun:test";
import { findInlineSecret } from "../../../src/api/validation/inline-secrets";

const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----";

describe("findInlineSecret (docs/operations.md#inline-secret-material)", () => {
  test.each<[string, Record<string, unknown>]>([
    ["reference-name key existingSecret", { existingSecret: "db-creds" }],
    ["key ending in secretName", { tls: { secretName: "web-tls" } }],
    ["key ending in secretRef, any case", { backupSECRETREF: "x" }],
    ["key ending in secretKeyRef", { db: { passwordSecretKeyRef: "k" } }],
    ["plural passwords", { passwords: ["x"] }],
    ["external-secret placeholder", { password: "<set via externalsecret>" }],
    ["external-secret placeholder, other spelling and case", { password: "  <Set Via External-Secret> " }],
    ["blank value", { password: "   " }],
    ["numbers, booleans and null", { password: 1234, token: true, apiKey: null }],
    ["ordinary values", { image: "nginx", replicas: 2, tokenTTL: "1h" }],
  ])("allows %s", (_name, values) => {
    expect(findInlineSecret(values)).toBeUndefined();
  });

  test.each<[string, Record<string, unknown>, string, string]>([
    ["key ending in password", { db: { adminPassword: "x" } }, "db.adminPassword", "secret-key"],
    ["key ending in secret, any case", { clientSECRET: "x" }, "clientSECRET", "secret-key"],
    ["key accesskey", { s3: { accessKey: "AKIA" } }, "s3.accessKey", "secret-key"],
    ["key secretkey", { secretKey: "x" }, "secretKey", "secret-key"],
    ["key apikey", { apiKey: "x" }, "apiKey", "secret-key"],
    ["key token", { auth: { token: "x" } }, "auth.token", "secret-key"],
    ["array element under a secret key", { adminPassword: ["x"] }, "adminPassword[0]", "secret-key"],
    ["objects inside arrays", { users: [{ name: "a" }, { password: "p" }] }, "users[1].password", "secret-key"],
    ["PEM under a reference-name key", { tls: { secretName: PEM } }, "tls.secretName", "pem-private-key"],
    ["PEM with leading whitespace", { cert: `\n  ${PEM}` }, "cert", "pem-private-key"],
    ["PEM under a secret key (PEM wins)", { password: PEM }, "password", "pem-private-key"],
  ])("finds %s", (_name, values, path, kind) => {
    expect(findInlineSecret(values)).toEqual({ path, kind } as never);
  });

  test("reports the first violation in key order, not insertion order", () => {
    expect(findInlineSecret({ b: { password: "x" }, a: { token: "y" } })?.path).toBe("a.token");
  });

  test("orders keys by code point", () => {
    // U+1F511 sorts after U+FF21 by code point, before it by UTF-16 code unit.
    expect(findInlineSecret({ "\u{1F511}password": "x", "\uFF21password": "y" })?.path).toBe("\uFF21password");
  });

  test("env items: the item's name is the key in force for value, when asked", () => {
    const parameters = { env: [{ name: "DB_HOST", value: "db" }, { name: "DB_PASSWORD", value: "hunter2" }] };
    expect(findInlineSecret(parameters, { envItemNames: true })).toEqual({ path: "env[1].value", kind: "secret-key" });
    expect(findInlineSecret(parameters)).toBeUndefined();
  });
});
