import { describe, expect, test } from "bun:test";
import "reflect-metadata"; // before @peculiar/x509 (docs/development.md#pitfalls)
import * as x509 from "@peculiar/x509";
import {
  createCertificates,
  DEFAULT_CERTIFICATE_POLICY,
  renewalPlan,
  renewCertificates,
  servingNames,
} from "../../../src/webhook/certificates";
import { certificatesFromSecret, secretFromCertificates } from "../../../src/webhook/cert-secret";
import { renderConfiguration } from "../../../src/webhook/configuration";
import { applicationInstanceWebhook } from "../../../src/webhook/applicationinstance";
import { operationWebhook } from "../../../src/webhook/operation";

const DAY = 86_400_000;
const now = new Date("2026-06-01T00:00:00Z");
const names = servingNames("vworkspace-operator-webhook", "vworkspace-system", ["127.0.0.1"]);

describe("webhook certificates (docs/operations.md#serving-certificate)", () => {
  test("SANs: the four Service names and extra IPs", () => {
    expect(names).toEqual({
      dns: [
        "vworkspace-operator-webhook",
        "vworkspace-operator-webhook.vworkspace-system",
        "vworkspace-operator-webhook.vworkspace-system.svc",
        "vworkspace-operator-webhook.vworkspace-system.svc.cluster.local",
      ],
      ips: ["127.0.0.1"],
    });
  });

  test("a fresh CA and serving certificate: EC P-256, chained, kept until 30 days remain", async () => {
    const certs = await createCertificates(names, now, DEFAULT_CERTIFICATE_POLICY);
    const serving = new x509.X509Certificate(certs.certPem);
    expect(serving.issuer).toBe(new x509.X509Certificate(certs.caPem).subject);
    expect((serving.publicKey.algorithm as unknown as { namedCurve: string }).namedCurve).toBe("P-256");
    expect(renewalPlan(certs, names, now, DEFAULT_CERTIFICATE_POLICY)).toBe("keep");
    expect(renewalPlan(certs, names, new Date(now.getTime() + 336 * DAY), DEFAULT_CERTIFICATE_POLICY)).toBe("serving");
    expect(renewalPlan(certs, { ...names, ips: ["10.0.0.1"] }, now, DEFAULT_CERTIFICATE_POLICY)).toBe("serving");
    expect(renewalPlan(certs, names, new Date(now.getTime() + 3300 * DAY), DEFAULT_CERTIFICATE_POLICY)).toBe("ca");
  });

  test("CA rollover keeps the old CA in the bundle; serving renewal keeps the CA", async () => {
    const certs = await createCertificates(names, now, DEFAULT_CERTIFICATE_POLICY);
    const serving = await renewCertificates(certs, "serving", names, now, DEFAULT_CERTIFICATE_POLICY);
    expect(serving.caPem).toBe(certs.caPem);
    expect(serving.certPem).not.toBe(certs.certPem);
    const rolled = await renewCertificates(certs, "ca", names, now, DEFAULT_CERTIFICATE_POLICY);
    expect(x509.PemConverter.decode(rolled.caPem)).toHaveLength(2);
    expect(rolled.caPem).toContain(certs.caPem.trim());
  });

  test("Secret codec round-trips and reports incomplete Secrets", async () => {
    const certs = await createCertificates(names, now, DEFAULT_CERTIFICATE_POLICY);
    const secret = secretFromCertificates("tls", "ns", certs);
    expect(Object.keys(secret.data as object).sort()).toEqual(["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    expect(certificatesFromSecret(secret)).toEqual(certs);
    expect(certificatesFromSecret({ ...secret, data: { "tls.crt": "eA==" } })).toBeUndefined();
  });
});

describe("ValidatingWebhookConfiguration (docs/operations.md#admission-webhooks)", () => {
  test("both webhooks, Fail, None, 5 s, Equivalent, CREATE+UPDATE, Service reference", () => {
    const rendered = renderConfiguration({
      name: "vworkspace-operator-validating-webhook",
      webhooks: [applicationInstanceWebhook, operationWebhook],
      endpoint: { service: { name: "vworkspace-operator-webhook", namespace: "vworkspace-system", port: 443 } },
      caPem: "CA",
    });
    const webhooks = rendered.webhooks as Array<Record<string, unknown>>;
    expect(webhooks.map((webhook) => webhook.name)).toEqual(["vapplicationinstance.kb.io", "voperation.kb.io"]);
    expect(webhooks[0]).toEqual({
      name: "vapplicationinstance.kb.io",
      clientConfig: {
        service: { name: "vworkspace-operator-webhook", namespace: "vworkspace-system", port: 443, path: "/validate-apps-vworkspace-io-v1alpha1-applicationinstance" },
        caBundle: Buffer.from("CA").toString("base64"),
      },
      rules: [{ apiGroups: ["apps.vworkspace.io"], apiVersions: ["v1alpha1"], resources: ["applicationinstances"], operations: ["CREATE", "UPDATE"], scope: "Namespaced" }],
      failurePolicy: "Fail",
      sideEffects: "None",
      timeoutSeconds: 5,
      admissionReviewVersions: ["v1"],
      matchPolicy: "Equivalent",
    });
    expect((webhooks[1]?.clientConfig as { service: { path: string } }).service.path).toBe("/validate-ops-vworkspace-io-v1alpha1-operation");
  });

  test("local runs register a URL", () => {
    const rendered = renderConfiguration({ name: "c", webhooks: [operationWebhook], endpoint: { url: "https://127.0.0.1:9443" }, caPem: "CA" });
    expect((rendered.webhooks as Array<{ clientConfig: { url: string } }>)[0]?.clientConfig.url).toBe("https://127.0.0.1:9443/validate-ops-vworkspace-io-v1alpha1-operation");
  });
});
