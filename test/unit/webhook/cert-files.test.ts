/** Files mode: controller-runtime's file names, the content checks and errors that name the file, never its key. */
import { afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCertificateFiles } from "../../../src/webhook/cert-file-watch";
import { certificateFilePaths, certificatesFromFiles } from "../../../src/webhook/cert-files";
import { createCertificates, DEFAULT_CERTIFICATE_POLICY, type WebhookCertificates } from "../../../src/webhook/certificates";

const names = { dns: ["vworkspace-operator-webhook"], ips: ["127.0.0.1"] };
const paths = certificateFilePaths("/certs", "");
let certs: WebhookCertificates;
let other: WebhookCertificates;

beforeAll(async () => {
  certs = await createCertificates(names, new Date(), DEFAULT_CERTIFICATE_POLICY);
  other = await createCertificates(names, new Date(), DEFAULT_CERTIFICATE_POLICY);
});

/** A line from inside the PEM body: an error quoting any of the key would contain it. */
const keyBody = (pem: string) => pem.split("\n")[1] as string;

describe("certificateFilePaths", () => {
  test("tls.crt and tls.key in the directory; ca.crt beside them is optional", () => {
    expect(paths).toEqual({ cert: "/certs/tls.crt", key: "/certs/tls.key", ca: { path: "/certs/ca.crt", required: false } });
  });

  test("an explicit CA file is required", () => {
    expect(certificateFilePaths("/certs", "/etc/ca/bundle.pem").ca).toEqual({ path: "/etc/ca/bundle.pem", required: true });
  });
});

describe("certificatesFromFiles", () => {
  test("a matching pair without a CA file leaves caPem unknown", () => {
    expect(certificatesFromFiles(paths, { cert: certs.certPem, key: certs.keyPem })).toEqual({ certPem: certs.certPem, keyPem: certs.keyPem });
  });

  test("a CA bundle of several certificates is taken whole", () => {
    const caPem = `${certs.caPem}\n${other.caPem}`;
    expect(certificatesFromFiles(paths, { cert: certs.certPem, key: certs.keyPem, ca: caPem }).caPem).toBe(caPem);
  });

  test.each([
    ["a certificate that is not PEM", () => ({ cert: "garbage", key: certs.keyPem }), "/certs/tls.crt: not a PEM certificate"],
    ["a key that is not PEM", () => ({ cert: certs.certPem, key: certs.keyPem.slice(0, 80) }), "/certs/tls.key: not a PEM private key"],
    ["a key from another pair (a half-finished rotation)", () => ({ cert: certs.certPem, key: other.keyPem }), "/certs/tls.key does not match the certificate in /certs/tls.crt"],
    ["a CA file without a certificate", () => ({ cert: certs.certPem, key: certs.keyPem, ca: "nothing here" }), "/certs/ca.crt: holds no PEM certificate"],
    [
      "a CA file with a broken certificate",
      () => ({ cert: certs.certPem, key: certs.keyPem, ca: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" }),
      "/certs/ca.crt: not a PEM certificate",
    ],
  ])("%s is refused with the path", (_name, contents, message) => {
    expect(() => certificatesFromFiles(paths, contents())).toThrow(message);
  });

  test("no error quotes key material", () => {
    for (const key of [other.keyPem, certs.keyPem.slice(0, 80)]) {
      let message = "";
      try {
        certificatesFromFiles(paths, { cert: certs.certPem, key });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).not.toBe("");
      expect(message).not.toContain(keyBody(key));
      expect(message).not.toContain("PRIVATE KEY");
    }
  });
});

describe("readCertificateFiles", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "vws-webhook-certs-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

  test("reads the pair, and ca.crt when it is there", async () => {
    write("tls.crt", certs.certPem);
    write("tls.key", certs.keyPem);
    expect(await readCertificateFiles(certificateFilePaths(dir, ""))).toEqual({ certPem: certs.certPem, keyPem: certs.keyPem });
    write("ca.crt", certs.caPem);
    expect((await readCertificateFiles(certificateFilePaths(dir, ""))).caPem).toBe(certs.caPem);
  });

  test("a missing file is named", async () => {
    write("tls.crt", certs.certPem);
    await expect(readCertificateFiles(certificateFilePaths(dir, ""))).rejects.toThrow(`read ${join(dir, "tls.key")}: no such file`);
  });

  test("a missing explicit CA file is named", async () => {
    write("tls.crt", certs.certPem);
    write("tls.key", certs.keyPem);
    const caFile = join(dir, "missing-ca.pem");
    await expect(readCertificateFiles(certificateFilePaths(dir, caFile))).rejects.toThrow(`read ${caFile}: no such file`);
  });

  test("a directory where a file should be is named", async () => {
    write("tls.crt", certs.certPem);
    write("tls.key", certs.keyPem);
    await expect(readCertificateFiles(certificateFilePaths(dir, dir))).rejects.toThrow(`read ${dir}: EISDIR`);
  });
});
