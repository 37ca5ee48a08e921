/**
 * Every ApplicationInstance rule the API server hands to the webhook, proven through the real admission
 * chain: one denied write (reason, code, exact message) and one admitted neighbour (docs/operations.md#applicationinstance-rules,
 * docs/concepts.md#namespace-gate, docs/concepts.md#cluster-identity). Writes the CRD schema or its CEL rules already refuse (AI-3, AI-6, AI-7, AI-11, AI-12,
 * AI-16) never reach the webhook through the API server; their webhook path is covered in test/unit/webhook.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import type { KubeObject } from "../../../src/kube/types";
import { getCluster, type TestCluster } from "../../support/cluster";
import { deleteNamespace, TEST_LABEL, TEST_RUN_LABEL, useNamespace } from "../../support/namespace";
import { metricSum } from "../../support/metrics";
import { denied, instance, NAMESPACES, refusal, startWebhook, webhookActive, type WebhookHarness } from "./harness";

const SLUG = "webhook-ai";
const ns = useNamespace({ slug: SLUG });
let cluster: TestCluster;
let webhook: WebhookHarness;

beforeAll(async () => {
  cluster = await getCluster();
  webhook = await startWebhook(cluster, SLUG);
});

afterAll(async () => {
  await webhook?.stop();
});

beforeEach(async () => {
  await webhookActive(cluster.client, ns.name);
});

const create = (object: KubeObject, dryRun = true) => cluster.client.create(APPLICATION_INSTANCE, object, { dryRun });

async function expectDenied(object: KubeObject, reason: string, code: number, message: string): Promise<void> {
  const err = await refusal(create(object));
  expect(err?.serverMessage).toBe(denied(message));
  expect(err?.reason).toBe(reason);
  expect(err?.status).toBe(code);
}

async function expectAdmitted(write: Promise<unknown>): Promise<void> {
  expect((await refusal(write))?.message).toBeUndefined();
}

describe("namespace gate (AI-1, docs/concepts.md#namespace-gate)", () => {
  const extra: string[] = [];
  afterAll(async () => {
    await Promise.all(extra.map((name) => deleteNamespace(cluster.client, name)));
  });

  async function namespaceWith(labels: Record<string, string>): Promise<string> {
    const name = `${ns.name}-${extra.length}`;
    extra.push(name);
    await cluster.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { [TEST_RUN_LABEL]: cluster.runId, [TEST_LABEL]: SLUG, ...labels } } });
    return name;
  }

  test("a namespace without a gate label is refused; each gate key alone admits; value true does not", async () => {
    const ungated = await namespaceWith({});
    await expectDenied(instance(ungated), "NamespaceNotGated", 403, `namespace "${ungated}" is not managed by vworkspace (label managed-by=vworkspace missing)`);
    for (const key of ["managed-by", "app.vworkspace.io/managed-by"]) {
      await expectAdmitted(create(instance(await namespaceWith({ [key]: "vworkspace" }))));
    }
    const wrongValue = await namespaceWith({ "managed-by": "true" });
    await expectDenied(instance(wrongValue), "NamespaceNotGated", 403, `namespace "${wrongValue}" is not managed by vworkspace (label managed-by=vworkspace missing)`);
  });
});

describe("cluster identity (AI-2, docs/concepts.md#cluster-identity)", () => {
  test("a foreign cluster-id label is refused; ours or none is admitted", async () => {
    await expectDenied(instance(ns.name, {}, { "app.vworkspace.io/cluster-id": "b" }), "ClusterMismatch", 403, 'label app.vworkspace.io/cluster-id="b" does not match this cluster "c1"');
    await expectAdmitted(create(instance(ns.name, {}, { "app.vworkspace.io/cluster-id": "c1" })));
    await expectAdmitted(create(instance(ns.name)));
  });
});

describe("spec rules (AI-5 … AI-17)", () => {
  const chart = { sourceType: "helm", url: "https://charts.example.com", name: "odoo", version: "1.2.3" };
  const PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----";
  const cases: Array<[string, (namespace: string) => Record<string, unknown>, string, string]> = [
    ["AI-5 blank catalogId", () => ({ appRef: { catalogId: "  " } }), "ValidationFailed", "spec.appRef.catalogId is required"],
    ["AI-8 foreign release namespace", () => ({ release: { name: "shop", namespace: "elsewhere" } }), "ValidationFailed", "spec.release.namespace must match metadata.namespace"],
    ["AI-9 managed without chart", () => ({ chart: undefined }), "ValidationFailed", "spec.chart is required"],
    ["AI-13 managed without release", () => ({ release: undefined }), "ValidationFailed", "spec.release is required"],
    ["AI-14 managed without values", () => ({ values: undefined }), "ValidationFailed", "spec.values is required"],
    ["AI-17 password key", () => ({ values: { source: "inline", inline: { db: { adminPassword: "hunter2" } } } }), "InlineSecretMaterialRejected", 'inline secret material rejected at "db.adminPassword": use secretRef or configMapRef'],
    ["AI-17 array element", () => ({ values: { source: "inline", inline: { adminPassword: ["x"] } } }), "InlineSecretMaterialRejected", 'inline secret material rejected at "adminPassword[0]": use secretRef or configMapRef'],
    ["AI-17 first path in key order", () => ({ values: { source: "inline", inline: { b: { password: "x" }, a: { token: "y" } } } }), "InlineSecretMaterialRejected", 'inline secret material rejected at "a.token": use secretRef or configMapRef'],
    ["AI-17 PEM under a reference key", () => ({ values: { source: "inline", inline: { tls: { secretName: PEM } } } }), "InlineSecretMaterialRejected", 'inline secret material rejected at "tls.secretName": PEM private key not allowed inline'],
  ];

  test.each(cases)("%s is refused", async (_name, spec, reason, message) => {
    await expectDenied(instance(ns.name, spec(ns.name)), reason, 422, message);
  });

  test.each<[string, Record<string, unknown>]>([
    ["existingSecret reference", { values: { source: "inline", inline: { existingSecret: "db-creds" } } }],
    ["passwords (key does not end in password)", { values: { source: "inline", inline: { passwords: ["x"] } } }],
    ["external-secret placeholder", { values: { source: "inline", inline: { adminPassword: "<set via externalsecret>" } } }],
    ["values from a Secret reference", { values: { source: "secretRef", secretRef: { name: "v", key: "values.yaml" } } }],
    ["oci chart with oci URL", { chart: { ...chart, sourceType: "oci", url: "oci://ghcr.io/acme/odoo" } }],
    ["a placeholder", { mode: "placeholder", chart: undefined, values: undefined, release: undefined }],
  ])("%s is admitted", async (_name, spec) => {
    await expectAdmitted(create(instance(ns.name, spec)));
  });
});

describe("updates (AI-4, docs/operations.md#responses-and-exemptions exemptions)", () => {
  test("managed → placeholder is refused; metadata-only, finalizer and deleting updates never are", async () => {
    const stored = await create(instance(ns.name), false);
    const toPlaceholder = { ...stored, spec: { appRef: { catalogId: "odoo" }, mode: "placeholder", release: { name: "shop", namespace: ns.name } } };
    const err = await refusal(cluster.client.replace(APPLICATION_INSTANCE, toPlaceholder));
    expect(err?.serverMessage).toBe(
      denied("cannot switch a managed instance that owns (or may own) a Helm release to placeholder mode; delete and recreate as a placeholder instead"),
    );
    expect(err?.reason).toBe("ModeTransitionRejected");

    // The gate label goes away: spec-unchanged writes and deletion must still pass.
    await cluster.client.patch(NAMESPACES, ns.name, { type: "merge", body: { metadata: { labels: { "managed-by": null } } } });
    const finalizers = { metadata: { finalizers: ["vworkspace.io/test-hold"], labels: { touched: "yes" } } };
    await expectAdmitted(cluster.client.patch(APPLICATION_INSTANCE, "shop", { type: "merge", body: finalizers }, { namespace: ns.name }));
    const specChange = { spec: { suspend: true } };
    const gateErr = await refusal(cluster.client.patch(APPLICATION_INSTANCE, "shop", { type: "merge", body: specChange }, { namespace: ns.name }));
    expect(gateErr?.reason).toBe("NamespaceNotGated");

    await cluster.client.delete(APPLICATION_INSTANCE, "shop", { namespace: ns.name });
    // Being deleted: even a spec change is admitted, and the finalizer can be removed.
    await expectAdmitted(cluster.client.patch(APPLICATION_INSTANCE, "shop", { type: "merge", body: specChange }, { namespace: ns.name }));
    await expectAdmitted(cluster.client.patch(APPLICATION_INSTANCE, "shop", { type: "merge", body: { metadata: { finalizers: null } } }, { namespace: ns.name }));
  });
});

describe("metrics (docs/reference/metrics.md)", () => {
  test("denials are counted by reason; the certificate expiry is exported", async () => {
    const url = webhook.operator.operator.metricsUrl as string;
    const before = await metricSum(url, "vworkspace_operator_webhook_denials_total");
    await refusal(create(instance(ns.name, {}, { "app.vworkspace.io/cluster-id": "b" })));
    expect(await metricSum(url, "vworkspace_operator_webhook_denials_total")).toBeGreaterThan(before);
    expect(await metricSum(url, "vworkspace_operator_webhook_certificate_expiry_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000);
  });
});
