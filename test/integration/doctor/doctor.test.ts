/**
 * `doctor` against the real local cluster (which runs no Flux controllers as Deployments) and against an API
 * server that is not there. The webhook it inspects is a harmless one of its own: failurePolicy Ignore and a
 * namespace selector no namespace matches, pointing at a TLS server in this process.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../src/cli/main";
import { GIT_REPOSITORY } from "../../../src/connectivity/gitops";
import type { JsonReport } from "../../../src/doctor/report";
import { HELM_RELEASE } from "../../../src/flux/types";
import type { KubeClient } from "../../../src/kube/client";
import { SECRET_TYPE } from "../../../src/webhook/cert-secret";
import { createCertificates, DEFAULT_CERTIFICATE_POLICY, servingNames } from "../../../src/webhook/certificates";
import { VALIDATING_WEBHOOK_CONFIGURATION } from "../../../src/webhook/configuration";
import { getCluster } from "../../support/cluster";
import { useNamespace, randomSuffix } from "../../support/namespace";

const ns = useNamespace({ slug: "doctor" });
let client: KubeClient;
let kubeconfigPath: string;
const cleanups: Array<() => Promise<unknown> | void> = [];

beforeAll(async () => {
  ({ client, kubeconfigPath } = await getCluster());
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
});

async function doctor(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["doctor", ...args], {}, { out: (text) => (out += `${text}\n`), err: (text) => (err += `${text}\n`) });
  return { code, out, err };
}

/** A kubeconfig naming a loopback port nothing listens on. */
function unreachableKubeconfig(): string {
  const dir = mkdtempSync(join(tmpdir(), "doctor-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  const path = join(dir, "kubeconfig");
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: gone, cluster: {server: "https://127.0.0.1:${port}"}}]`,
      "users: [{name: u, user: {token: not-a-real-token}}]",
      "contexts: [{name: gone, context: {cluster: gone, user: u}}]",
      "current-context: gone",
    ].join("\n"),
  );
  return path;
}

/** A TLS endpoint with a fresh CA, a webhook configuration pointing at it, and a TLS Secret in the test namespace. */
async function harmlessWebhook(): Promise<{ configName: string; secretName: string; notAfter: string }> {
  const certs = await createCertificates(servingNames("doctor", ns.name, ["127.0.0.1"]), new Date(), DEFAULT_CERTIFICATE_POLICY);
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, tls: { cert: certs.certPem, key: certs.keyPem }, fetch: () => new Response("{}") });
  cleanups.push(() => server.stop(true));
  const configName = `vws-doctor-${randomSuffix()}`;
  await client.create(VALIDATING_WEBHOOK_CONFIGURATION, {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: configName, labels: { "vworkspace.io/test": "doctor" } },
    webhooks: [
      {
        name: "doctor.vworkspace.io",
        clientConfig: { url: `https://127.0.0.1:${server.port}/validate`, caBundle: Buffer.from(certs.caPem).toString("base64") },
        rules: [{ apiGroups: ["apps.vworkspace.io"], apiVersions: ["v1alpha1"], resources: ["applicationinstances"], operations: ["CREATE"], scope: "Namespaced" }],
        namespaceSelector: { matchLabels: { "vworkspace.io/doctor-never": configName } },
        failurePolicy: "Ignore",
        sideEffects: "None",
        admissionReviewVersions: ["v1"],
      },
    ],
  });
  cleanups.push(() => client.delete(VALIDATING_WEBHOOK_CONFIGURATION, configName));
  const secretName = "doctor-webhook-tls";
  await client.create(SECRET_TYPE, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: secretName, namespace: ns.name },
    type: "kubernetes.io/tls",
    data: { "tls.crt": Buffer.from(certs.certPem).toString("base64"), "tls.key": Buffer.from(certs.keyPem).toString("base64") },
  });
  return { configName, secretName, notAfter: new Date(new (await import("node:crypto")).X509Certificate(certs.certPem).validTo).toISOString() };
}

describe("vworkspace-operator doctor", () => {
  test("an unreachable API server: says so, names the server, exits 1", async () => {
    const path = unreachableKubeconfig();
    const { code, out } = await doctor([`--kubeconfig=${path}`, "--timeout=3s"]);
    expect(code).toBe(1);
    expect(out).toMatch(/^API server\n  ✗ https:\/\/127\.0\.0\.1:\d+ +unreachable: /);
    expect(out).toContain("1 required piece missing or broken (✗)");
    expect(out).not.toContain("not-a-real-token");
  });

  test("the local cluster without Flux controllers: names what is missing and exits 1; reports CRDs, webhook, certificate and lockdown", async () => {
    const webhook = await harmlessWebhook();
    await client.create(HELM_RELEASE, {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: { name: "doctor-unbound", namespace: ns.name },
      spec: { interval: "5m", suspend: true, chart: { spec: { chart: "vws-test", sourceRef: { kind: "HelmRepository", name: "none" } } } },
    });
    const args = [`--kubeconfig=${kubeconfigPath}`, `--namespace=${ns.name}`, `--webhook-config-name=${webhook.configName}`, `--webhook-cert-secret=${webhook.secretName}`, "--flux-namespace=flux-system"];
    const { code, out } = await doctor(args);
    expect(code).toBe(1);
    expect(out).toMatch(/✓ version +v1\.\d+/);
    expect(out).toMatch(/✓ clock skew +local clock (ahead|behind) by \d+\.\d s/);
    for (const crd of ["applicationinstances.apps.vworkspace.io", "operations.ops.vworkspace.io", "clusters.ops.vworkspace.io"]) {
      // ! when a build with another schema installed them last (the cluster is shared); never ✗.
      expect(out).toMatch(new RegExp(`[✓!] ${crd.replaceAll(".", "\\.")} +v1alpha1 \\(served, storage\\)`));
    }
    expect(out).toMatch(/✓ helmreleases\.helm\.toolkit\.fluxcd\.io\/v2 +served/);
    expect(out).toMatch(/✗ source-controller +not found as Deployment in any namespace/);
    expect(out).toMatch(/✗ helm-controller +not found as Deployment in any namespace/);
    expect(out).toContain("→ install Flux's source and helm controllers");
    expect(out).toMatch(/! HelmReleases in gated namespaces +\d+ in \d+ gated namespaces?; \d+ name no ServiceAccount/);
    expect(out).toMatch(new RegExp(`✓ ValidatingWebhookConfiguration ${webhook.configName} +registered, 1 webhook, caBundle set`));
    expect(out).toMatch(/✓ reachability 127\.0\.0\.1:\d+ +TLS handshake verified against caBundle; serving certificate expires in \d+d/);
    expect(out).toContain(`✓ serving certificate (Secret ${ns.name}/${webhook.secretName})  expires in`);
    expect(out).toContain(webhook.notAfter);
    expect(out).not.toContain("PRIVATE KEY");
  });

  test("--output json parses and carries the same verdict", async () => {
    const { code, out } = await doctor([`--kubeconfig=${kubeconfigPath}`, `--namespace=${ns.name}`, "--output=json"]);
    const report = JSON.parse(out) as JsonReport;
    expect(code).toBe(1);
    expect(report).toMatchObject({ ok: false, exitCode: 1 });
    expect(report.summary.fail).toBeGreaterThanOrEqual(2);
    expect(report.checks.find((check) => check.subject === "helm-controller" && check.section.startsWith("Flux"))).toMatchObject({ status: "fail" });
    expect(report.checks.find((check) => check.subject === "version")).toMatchObject({ section: "API server", status: "ok" });
  });

  test("GitOps: a GitRepository without spec.verify warns that commit verification is off; with it, ✓ naming the keys Secret", async () => {
    const source = { apiVersion: "source.toolkit.fluxcd.io/v1", kind: "GitRepository", metadata: { name: "desired", namespace: ns.name }, spec: { url: "https://git.example/desired-state.git", ref: { branch: "main" }, interval: "1m" } };
    await client.create(GIT_REPOSITORY, source);
    const args = [`--kubeconfig=${kubeconfigPath}`, `--namespace=${ns.name}`, `--gitops-source=${ns.name}/desired`, "--output=json"];
    const gitopsLine = async () => (JSON.parse((await doctor(args)).out) as JsonReport).checks.find((check) => check.section === "GitOps");
    expect(await gitopsLine()).toMatchObject({ subject: `GitRepository ${ns.name}/desired`, status: "warn", detail: "commit verification off (no spec.verify): any commit pushed on branch main is applied to the cluster" });
    await client.patch(GIT_REPOSITORY, "desired", { type: "merge", body: { spec: { verify: { mode: "HEAD", secretRef: { name: "desired-keys" } } } } }, { namespace: ns.name });
    expect(await gitopsLine()).toMatchObject({ status: "ok", detail: "commit verification on: Flux applies only HEAD commits on branch main signed by a key in Secret desired-keys" });
  });

  test("bad flags exit 2 with the flag named", async () => {
    const { code, err } = await doctor(["--output=yaml"]);
    expect(code).toBe(2);
    expect(err).toContain('--output: "yaml" is not text or json');
  });
});
