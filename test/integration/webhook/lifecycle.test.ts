/**
 * The webhook's life around the rules (docs/operations.md#admission-webhooks, docs/operations.md#serving-certificate): the Secret and caBundle it provisions,
 * `failurePolicy: Fail` while its process is down and recovery when it returns, and certificate rotation
 * with a forced short-lived serving certificate while writes keep being admitted.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import type { KubeObject } from "../../../src/kube/types";
import { createCertificates, DEFAULT_CERTIFICATE_POLICY, servingNames } from "../../../src/webhook/certificates";
import { certificatesFromSecret, SECRET_TYPE, secretFromCertificates } from "../../../src/webhook/cert-secret";
import { VALIDATING_WEBHOOK_CONFIGURATION } from "../../../src/webhook/configuration";
import { classifyError } from "../../../src/kube/errors";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { instance, newSystemNamespace, refusal, servedFingerprint, startReadyOperator, startWebhook, webhookActive, type WebhookHarness } from "./harness";

const SLUG = "webhook-life";
const ns = useNamespace({ slug: SLUG });
let cluster: TestCluster;
let webhook: WebhookHarness | undefined;

beforeAll(async () => {
  cluster = await getCluster();
});

afterEach(async () => {
  await webhook?.stop();
  webhook = undefined;
});

const admitValid = () => refusal(cluster.client.create(APPLICATION_INSTANCE, instance(ns.name), { dryRun: true }));

async function storedCertificates(harness: WebhookHarness) {
  const secret = await cluster.client.get(SECRET_TYPE, "vworkspace-operator-webhook-tls", { namespace: harness.systemNamespace });
  const certs = certificatesFromSecret(secret);
  if (!certs) throw new Error("certificate Secret is incomplete");
  return certs;
}

describe("self-signed provisioning (docs/operations.md#serving-certificate)", () => {
  test("an empty namespace gets the Secret; the configuration carries its CA, Fail, None and 5 s", async () => {
    webhook = await startWebhook(cluster, SLUG);
    const certs = await storedCertificates(webhook);
    expect(certs.caKeyPem).toStartWith("-----BEGIN PRIVATE KEY-----");
    const configuration = await cluster.client.get<KubeObject>(VALIDATING_WEBHOOK_CONFIGURATION, webhook.configName);
    const [first] = configuration.webhooks as Array<Record<string, any>>;
    expect(first?.clientConfig.caBundle).toBe(Buffer.from(certs.caPem).toString("base64"));
    expect(first?.clientConfig.url).toBe(`${webhook.operator.operator.webhookUrl}/validate-apps-vworkspace-io-v1alpha1-applicationinstance`);
    expect([first?.failurePolicy, first?.sideEffects, first?.timeoutSeconds, first?.matchPolicy]).toEqual(["Fail", "None", 5, "Equivalent"]);
    await webhookActive(cluster.client, ns.name);
    expect(await admitValid()).toBeUndefined();
  });
});

describe("replicas (docs/operations.md#serving-certificate: leader writes, all serve)", () => {
  test("a standby replica serves the leader's certificate and writes nothing", async () => {
    webhook = await startWebhook(cluster, SLUG, {}, { leaderElect: true, leaderElectionId: `vws-test-${cluster.runId}-webhook` });
    const secretVersion = async () =>
      (await cluster.client.get(SECRET_TYPE, "vworkspace-operator-webhook-tls", { namespace: webhook?.systemNamespace })).metadata.resourceVersion;
    const written = await secretVersion();
    const config = webhook.config;
    const replica = await startReadyOperator(cluster, { ...config, webhook: { ...config.webhook, port: 0 } });
    try {
      expect(replica.operator.isLeader()).toBe(false);
      const { caPem } = await storedCertificates(webhook);
      const leaderUrl = webhook.operator.operator.webhookUrl as string;
      const replicaUrl = replica.operator.webhookUrl as string;
      expect(await servedFingerprint(replicaUrl, caPem)).toBe(await servedFingerprint(leaderUrl, caPem));
      expect(await secretVersion()).toBe(written);
    } finally {
      await replica.stop();
    }
  });
});

describe("failurePolicy: Fail (docs/operations.md#admission-webhooks)", () => {
  test("with the webhook process stopped writes are refused; they are admitted again when it returns", async () => {
    webhook = await startWebhook(cluster, SLUG);
    await webhookActive(cluster.client, ns.name);
    await webhook.stopOperator();
    const err = await admitValid();
    expect(err?.serverMessage).toContain('failed calling webhook "vapplicationinstance.kb.io"');
    await webhook.startOperator();
    await eventually(async () => (await admitValid()) === undefined, { what: "writes admitted after the webhook returned" });
  });
});

describe("certificate rotation (docs/operations.md#serving-certificate)", () => {
  test("a short-lived serving certificate is renewed and served without restart; writes keep being admitted", async () => {
    webhook = await startWebhook(cluster, SLUG, { servingCertValidityMs: 20_000, servingCertRenewBeforeMs: 14_000, certCheckIntervalMs: 500 });
    await webhookActive(cluster.client, ns.name);
    const url = webhook.operator.operator.webhookUrl as string;
    const { caPem } = await storedCertificates(webhook);
    const seen = new Set([await servedFingerprint(url, caPem)]);
    const refused: string[] = [];
    let writes = 0;
    await eventually(
      async () => {
        const err = await admitValid();
        if (err) refused.push(err.message);
        writes++;
        seen.add(await servedFingerprint(url, caPem));
        return seen.size >= 3 || refused.length > 0;
      },
      { what: "two certificate renewals observed", timeoutMs: 90_000, intervalMs: 100 },
    );
    expect(refused).toEqual([]);
    expect(seen.size).toBe(3);
    expect(writes).toBeGreaterThan(2);
    expect((await storedCertificates(webhook)).caPem).toBe(caPem);
  });
});

describe("cert-manager mode (docs/operations.md#serving-certificate)", () => {
  test("loads the Secret someone else wrote and serves it, but never writes the configuration", async () => {
    const systemNamespace = newSystemNamespace(cluster, SLUG);
    const provided = await createCertificates(servingNames("svc", systemNamespace, ["127.0.0.1"]), new Date(), DEFAULT_CERTIFICATE_POLICY);
    const secret = secretFromCertificates("vworkspace-operator-webhook-tls", systemNamespace, provided);
    // The harness creates the namespace; the Secret must exist before the operator can become ready.
    const started = startWebhook(cluster, SLUG, { certMode: "cert-manager" }, {}, systemNamespace);
    await eventually(
      async () =>
        cluster.client.create(SECRET_TYPE, secret).then(
          () => true,
          (err: unknown) => classifyError(err) === "alreadyExists",
        ),
      { what: "provided certificate Secret created" },
    );
    webhook = await started;
    const { hostname, port } = new URL(webhook.operator.operator.webhookUrl as string);
    expect(await servedFingerprint(`https://${hostname}:${port}`, provided.caPem)).toBeString();
    const configuration = await refusal(cluster.client.get(VALIDATING_WEBHOOK_CONFIGURATION, webhook.configName));
    expect(configuration?.reason).toBe("NotFound");
  });
});
