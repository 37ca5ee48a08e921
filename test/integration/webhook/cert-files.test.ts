/**
 * Files mode (`--webhook-cert-mode=files`, docs/operations.md#serving-certificate): certificates from a directory laid out as the
 * kubelet writes a Secret volume (files are symlinks into `..data`, swapped atomically), registered with
 * the real API server, served without restart when they change, and errors that name the file.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import { parseFlags } from "../../../src/commandline/flags";
import type { KubeObject } from "../../../src/kube/types";
import { configFromFlags, RUN_FLAGS } from "../../../src/manager/config";
import { SECRET_TYPE } from "../../../src/webhook/cert-secret";
import { createCertificates, DEFAULT_CERTIFICATE_POLICY, servingNames, type WebhookCertificates } from "../../../src/webhook/certificates";
import { DEFAULT_WEBHOOK_CONFIG } from "../../../src/webhook/config";
import { VALIDATING_WEBHOOK_CONFIGURATION } from "../../../src/webhook/configuration";
import { findRendered, helmTemplate } from "../../support/chart";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { jsonLine } from "../../support/logs";
import { TEST_LABEL, useNamespace } from "../../support/namespace";
import { startOperatorInProcess } from "../../support/operator";
import { denied, instance, refusal, servedFingerprint, startWebhook, webhookActive, type WebhookHarness } from "./harness";

const SLUG = "webhook-files";
const ns = useNamespace({ slug: SLUG });
let cluster: TestCluster;
let webhook: WebhookHarness | undefined;
let dir: string;

beforeAll(async () => {
  cluster = await getCluster();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vws-webhook-certs-"));
});

afterEach(async () => {
  await webhook?.stop();
  webhook = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const issue = () => createCertificates(servingNames("vworkspace-operator-webhook", "vworkspace-system", ["127.0.0.1"]), new Date(), DEFAULT_CERTIFICATE_POLICY);
const fingerprint = (certPem: string) => new X509Certificate(certPem).fingerprint256;
const base64 = (text: string) => Buffer.from(text).toString("base64");
const admitValid = () => refusal(cluster.client.create(APPLICATION_INSTANCE, instance(ns.name), { dryRun: true }));

/** Publishes `files` the way the kubelet updates a Secret volume: a new `..<generation>` dir, then one atomic `..data` swap. */
function publish(files: Record<string, string>): void {
  const generation = `..${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  mkdirSync(join(dir, generation));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, generation, name), text);
  const data = join(dir, "..data");
  const previous = existsSync(data) ? readlinkSync(data) : undefined;
  symlinkSync(generation, join(dir, "..data_tmp"));
  renameSync(join(dir, "..data_tmp"), data);
  for (const name of Object.keys(files)) if (!existsSync(join(dir, name))) symlinkSync(join("..data", name), join(dir, name));
  if (previous) rmSync(join(dir, previous), { recursive: true });
}

const pemFiles = (certs: WebhookCertificates, caPem?: string) => ({ "tls.crt": certs.certPem, "tls.key": certs.keyPem, ...(caPem ? { "ca.crt": caPem } : {}) });

/** Interior lines of each key: a log line quoting any part of a key contains one. */
const keyLines = (...all: WebhookCertificates[]) => all.flatMap((certs) => certs.keyPem.split("\n").filter((line) => line.length >= 16 && !line.startsWith("-----")));

async function caBundle(configName: string): Promise<string | undefined> {
  const configuration = await cluster.client.get<KubeObject>(VALIDATING_WEBHOOK_CONFIGURATION, configName);
  return (configuration.webhooks as Array<{ clientConfig: { caBundle?: string } }>)[0]?.clientConfig.caBundle;
}

/** Keeps writing (at least three times) until `done`; returns every refusal, since admission must never lapse on a swap. */
async function writeUntil(done: () => Promise<boolean>, what: string): Promise<string[]> {
  const refused: string[] = [];
  let writes = 0;
  await eventually(
    async () => {
      const err = await admitValid();
      writes++;
      if (err) refused.push(err.message);
      return refused.length > 0 || (writes >= 3 && (await done()));
    },
    { what, intervalMs: 100 },
  );
  return refused;
}

describe("files mode (docs/operations.md#serving-certificate)", () => {
  test("serves the mounted pair, keeps caBundle from ca.crt, writes no Secret, and rolls to a new CA without restart or refusal", async () => {
    const first = await issue();
    publish(pemFiles(first, first.caPem));
    webhook = await startWebhook(cluster, SLUG, { certMode: "files", certDir: dir, certWatchIntervalMs: 200 });
    const { configName } = webhook;
    const url = webhook.operator.operator.webhookUrl as string;
    await eventually(async () => (await caBundle(configName)) === base64(first.caPem), { what: "caBundle from ca.crt" });
    await webhookActive(cluster.client, ns.name);
    expect(await servedFingerprint(url, first.caPem)).toBe(fingerprint(first.certPem));
    expect(await admitValid()).toBeUndefined();
    const inlineSecret = instance(ns.name, { values: { source: "inline", inline: { adminPassword: "hunter2" } } });
    const err = await refusal(cluster.client.create(APPLICATION_INSTANCE, inlineSecret, { dryRun: true }));
    expect([err?.serverMessage, err?.reason]).toEqual([denied('inline secret material rejected at "adminPassword": use secretRef or configMapRef'), "InlineSecretMaterialRejected"]);

    // A CA rollover as cert-manager or trust-manager does it: trust both CAs, swap the pair, drop the old CA.
    const second = await issue();
    const bothCas = `${second.caPem}\n${first.caPem}`;
    publish(pemFiles(first, bothCas));
    const refusedTrusting = await writeUntil(async () => (await caBundle(configName)) === base64(bothCas), "caBundle holding both CAs");
    publish(pemFiles(second, bothCas));
    const refusedSwapping = await writeUntil(async () => (await servedFingerprint(url, bothCas)) === fingerprint(second.certPem), "the new pair served");
    publish(pemFiles(second, second.caPem));
    const refusedDropping = await writeUntil(async () => (await caBundle(configName)) === base64(second.caPem), "caBundle holding only the new CA");
    expect([refusedTrusting, refusedSwapping, refusedDropping]).toEqual([[], [], []]);
    expect(await admitValid()).toBeUndefined();
    expect(webhook.operator.operator.webhookUrl).toBe(url);

    const secret = await refusal(cluster.client.get(SECRET_TYPE, DEFAULT_WEBHOOK_CONFIG.certSecret, { namespace: webhook.systemNamespace }));
    expect(secret?.reason).toBe("NotFound");
    webhook.operator.logs.assertNoSecrets(keyLines(first, second));
  });

  test("missing files keep /readyz failing with the path; once they appear they are served; a broken update keeps the last good pair; without ca.crt the configuration is left alone", async () => {
    const configName = `vws-test-${cluster.runId}-${SLUG}-noca`;
    const launched = await startOperatorInProcess({
      kubeconfigPath: cluster.kubeconfigPath,
      config: {
        namespace: ns.name,
        clusterId: "c1",
        webhook: {
          ...DEFAULT_WEBHOOK_CONFIG,
          host: "127.0.0.1",
          port: 0,
          urlHost: "127.0.0.1",
          configName,
          namespaceSelector: { [TEST_LABEL]: SLUG },
          certMode: "files",
          certDir: dir,
          certWatchIntervalMs: 200,
        },
      },
    });
    const { operator, logs } = launched;
    try {
      const readyz = async () => {
        const response = await fetch(`${operator.healthUrl}/readyz?verbose`);
        return { status: response.status, body: await response.text() };
      };
      const missing = `[-]webhook failed: read ${join(dir, "tls.crt")}: no such file`;
      await eventually(async () => (await readyz()).body.includes(missing), { what: "readiness naming the missing file" });
      expect((await readyz()).status).toBe(500);
      expect(operator.webhookUrl).toBeUndefined();

      const first = await issue();
      publish(pemFiles(first));
      await eventually(async () => (await readyz()).status === 200, { what: "ready once the files appear" });
      const url = operator.webhookUrl as string;
      expect(await servedFingerprint(url, first.caPem)).toBe(fingerprint(first.certPem));

      const second = await issue();
      publish({ "tls.crt": first.certPem, "tls.key": second.keyPem });
      const mismatch = `${join(dir, "tls.key")} does not match the certificate in ${join(dir, "tls.crt")}`;
      // The watch loop finished loading (and any configuration write) of the good pair before this read.
      await logs.waitFor((line) => jsonLine(line)?.err === mismatch);
      expect((await readyz()).status).toBe(200);
      expect(await servedFingerprint(url, first.caPem)).toBe(fingerprint(first.certPem));
      const configuration = await refusal(cluster.client.get(VALIDATING_WEBHOOK_CONFIGURATION, configName));
      expect(configuration?.reason).toBe("NotFound");
      logs.assertNoSecrets(keyLines(first, second));
    } finally {
      await launched.stop();
      await refusal(cluster.client.delete(VALIDATING_WEBHOOK_CONFIGURATION, configName));
    }
  });
});

describe("chart, files mode", () => {
  interface PodSpec {
    containers: Array<{ args: string[]; volumeMounts?: Array<{ name: string; mountPath: string; readOnly: boolean }> }>;
    volumes?: Array<{ name: string; secret: { secretName: string } }>;
  }

  test("the Deployment mounts the Secret where its --webhook-cert-dir points; without a Secret name the chart refuses", () => {
    const { objects, stderr } = helmTemplate(ns.name, "webhooks.certMode=files", "webhooks.certFiles.secretName=operator-tls");
    expect(stderr).toBe("");
    const pod = (findRendered(objects, "Deployment") as KubeObject & { spec: { template: { spec: PodSpec } } }).spec.template.spec;
    const [container] = pod.containers;
    const config = configFromFlags(parseFlags(container!.args.slice(1), RUN_FLAGS, { POD_NAMESPACE: ns.name }));
    expect([config.webhook.certMode, config.webhook.caFile]).toEqual(["files", ""]);
    expect(container!.volumeMounts).toEqual([{ name: "webhook-certs", mountPath: config.webhook.certDir, readOnly: true }]);
    expect(pod.volumes).toEqual([{ name: "webhook-certs", secret: { secretName: "operator-tls" } }]);
    const configuration = findRendered(objects, "ValidatingWebhookConfiguration") as KubeObject & { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
    expect(configuration.webhooks.map((webhook) => webhook.clientConfig.caBundle)).toEqual([undefined, undefined]);
    expect(helmTemplate(ns.name, "webhooks.certMode=files").stderr).toContain("webhooks.certMode=files needs webhooks.certFiles.secretName");
  });
});
