/**
 * AdmissionReview bad input over real HTTPS (docs/development.md#fault-and-bad-input-tests): oversized, malformed, wrong apiVersion and
 * uid-less bodies get 413/400 and never take the server down; an expired serving certificate is refused by
 * clients with the classified transport error. Loopback only, no cluster needed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { classifyError, transportCode } from "../../src/kube/errors";
import { createLogger } from "../../src/observability/logger";
import { OperatorMetrics } from "../../src/observability/metrics";
import { admissionApp } from "../../src/webhook/app";
import { applicationInstanceWebhook } from "../../src/webhook/applicationinstance";
import { TlsServer } from "../../src/webhook/server";
import { createCa, issueCert, type CertificateAuthority } from "../../scripts/lib/pki";
import { applicationInstanceObject } from "../unit/api/fixtures";

let ca: CertificateAuthority;
let server: TlsServer;
let url: string;

const app = admissionApp({
  webhooks: [applicationInstanceWebhook],
  facts: { namespaceGated: async () => true, namespaceLabels: async () => ({}), clusterId: () => "c1" },
  handlerTimeoutMs: 4_000,
  metrics: new OperatorMetrics(),
  logger: createLogger({ level: "silent" }),
});

const validReview = JSON.stringify({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: { uid: "u-1", kind: { group: "apps.vworkspace.io", version: "v1alpha1", kind: "ApplicationInstance" }, operation: "CREATE", object: applicationInstanceObject() },
});

beforeAll(async () => {
  ca = await createCa({ cn: "admission-fault-ca" });
  server = new TlsServer({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
  server.serve(await issueCert(ca, { cn: "webhook", sans: { ips: ["127.0.0.1"] }, usage: "server" }));
  url = `https://127.0.0.1:${server.port}${applicationInstanceWebhook.path}`;
});

afterAll(async () => {
  await server?.stop();
});

const post = (body: string | Uint8Array) => fetch(url, { method: "POST", body, headers: { "content-type": "application/json" }, tls: { ca: ca.certPem } });

describe("AdmissionReview bad input over HTTPS", () => {
  test("4 MiB → 413", async () => {
    const res = await post("x".repeat(4 * 1024 * 1024));
    expect(res.status).toBe(413);
  });

  test.each<[string, string | Uint8Array]>([
    ["malformed JSON", "{]"],
    ["wrong apiVersion", validReview.replace("admission.k8s.io/v1", "admission.k8s.io/v1beta1")],
    ["missing uid", validReview.replace('"uid":"u-1",', "")],
    ["non-UTF-8", new Uint8Array([0x7b, 0xff, 0x7d])],
  ])("%s → 400", async (_name, body) => {
    expect((await post(body)).status).toBe(400);
  });

  test("after 200 bad requests a valid review still succeeds", async () => {
    const bad = await Promise.all(Array.from({ length: 200 }, (_, i) => post(i % 3 === 0 ? "{" : i % 3 === 1 ? "[]" : "null").then((res) => res.status)));
    expect(new Set(bad)).toEqual(new Set([400]));
    const res = await post(validReview);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { response: { allowed: boolean } }).response.allowed).toBe(true);
  });

  test("an expired serving certificate is refused with CERT_HAS_EXPIRED", async () => {
    const expired = new TlsServer({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
    const now = Date.now();
    expired.serve(await issueCert(ca, { cn: "webhook", sans: { ips: ["127.0.0.1"] }, usage: "server", notBefore: new Date(now - 7_200_000), notAfter: new Date(now - 3_600_000) }));
    try {
      const err = await fetch(`https://127.0.0.1:${expired.port}/`, { tls: { ca: ca.certPem } }).then(() => undefined, (e: unknown) => e);
      expect(transportCode(err)).toBe("CERT_HAS_EXPIRED");
      expect(classifyError(err)).toBe("transport");
    } finally {
      await expired.stop();
    }
  });
});
