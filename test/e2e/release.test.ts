/**
 * `npm run release` (scripts/release.sh): every artefact in dist/release is checked, `sha256sum -c` passes,
 * and crds.yaml + operator.yaml applied the way `kubectl apply --server-side` would (field manager "kubectl",
 * one server-side apply per document: no kubectl binary is built here) give a working operator. That runs on
 * a private kube-apiserver, so the rendered `failurePolicy: Fail` webhook never touches the shared cluster.
 * The plane has no kubelet, so the Deployment's Pod never runs: the released amd64 binary runs out of cluster
 * instead, with the Deployment's own flags and environment and a token of the ServiceAccount operator.yaml
 * created, serving its webhook on loopback.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { freePort } from "../../scripts/lib/ports";
import { startPlane, type ControlPlane } from "../../scripts/lib/controlplane";
import { APPLICATION_INSTANCE } from "../../src/api/groups";
import { TENANT_SERVICE_ACCOUNT } from "../../src/api/tenant";
import { HELM_RELEASE, type HelmRelease } from "../../src/flux/types";
import { applyObject } from "../../src/kube/apply";
import { KubeClient } from "../../src/kube/client";
import { resolveKubeConfig } from "../../src/kube/config";
import { Discovery } from "../../src/kube/discovery";
import type { KubeObject } from "../../src/kube/types";
import { CRD_TYPE, crdEstablished } from "../../src/manager/crds";
import { VALIDATING_WEBHOOK_CONFIGURATION } from "../../src/webhook/configuration";
import { operatorWebhooks } from "../../src/webhook/registry";
import { REPO_ROOT } from "../support/cluster";
import { thirdPartyCrds } from "../support/crds";
import { eventually } from "../support/eventually";
import { k8sBinsEnv } from "../support/k8s-bins";
import { startOperatorBinary, type BinaryOperator } from "../support/operator";
import { mentionsForbidden } from "../support/log-lines";

const RELEASE = join(REPO_ROOT, "dist/release");
const NAMESPACE = "vworkspace-system";
const SERVICE_ACCOUNT = "vworkspace-operator";
const GATED = "shop";
const LOGS = join(REPO_ROOT, ".local/test-logs/e2e-release");
const ARTEFACTS = [
  "SHA256SUMS",
  "crds.yaml",
  "image.oci.tar",
  "install.sh",
  "operator.yaml",
  "sbom.cdx.json",
  "vworkspace-operator-linux-amd64",
  "vworkspace-operator-linux-arm64",
];
/** What the release is made from: a release newer than all of it is reused, not rebuilt. */
const RELEASE_INPUTS = ["src", "chart", "scripts", "package.json", "package-lock.json"];
const ELF_MACHINE = { amd64: 0x3e, arm64: 0xb7 } as const;

const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const artefact = (name: string) => join(RELEASE, name);
const documents = (text: string) => parseAllDocuments(text).map((doc) => doc.toJS() as KubeObject | null).filter((doc): doc is KubeObject => doc !== null);

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

function run(argv: string[]): { code: number; stdout: string; stderr: string } {
  const result = Bun.spawnSync(argv, { cwd: RELEASE, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

function ensureRelease(): void {
  const sums = artefact("SHA256SUMS");
  const inputs = Math.max(...RELEASE_INPUTS.map((input) => newestMtime(join(REPO_ROOT, input))));
  if (existsSync(sums) && statSync(sums).mtimeMs > inputs) return;
  const release = Bun.spawnSync(["bash", "scripts/release.sh"], { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
  if (release.exitCode !== 0) throw new Error(`npm run release failed:\n${release.stderr.toString()}${release.stdout.toString()}`);
}

beforeAll(() => {
  ensureRelease();
  mkdirSync(LOGS, { recursive: true });
}, 600_000);

describe("the release artefacts", () => {
  test("exactly the expected files, all verified by sha256sum -c", () => {
    expect(readdirSync(RELEASE).sort()).toEqual(ARTEFACTS);
    const check = run(["sha256sum", "-c", "SHA256SUMS"]);
    expect(check.code).toBe(0);
    expect(check.stdout.trim().split("\n").sort()).toEqual(ARTEFACTS.filter((name) => name !== "SHA256SUMS").map((name) => `${name}: OK`));
  });

  test("both binaries are executables for their architecture; amd64 runs and prints the CRDs of crds.yaml", () => {
    for (const [arch, machine] of Object.entries(ELF_MACHINE)) {
      const path = artefact(`vworkspace-operator-linux-${arch}`);
      const header = readFileSync(path).subarray(0, 20);
      expect(header.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
      expect(header.readUInt16LE(18)).toBe(machine);
      expect(statSync(path).mode & 0o111).not.toBe(0);
    }
    const amd64 = artefact("vworkspace-operator-linux-amd64");
    expect(run([amd64, "version"]).stdout).toStartWith(`vworkspace-operator ${packageJson.version}`);
    const crds = readFileSync(artefact("crds.yaml"), "utf8");
    expect(run([amd64, "crds"]).stdout).toBe(crds);
    expect(documents(crds).map((crd) => `${crd.kind}/${crd.metadata.name}`).sort()).toEqual([
      "CustomResourceDefinition/applicationinstances.apps.vworkspace.io",
      "CustomResourceDefinition/clusters.ops.vworkspace.io",
      "CustomResourceDefinition/operations.ops.vworkspace.io",
    ]);
  });

  test("operator.yaml: the Namespace first, then the chart's defaults in vworkspace-system with this version's image", () => {
    const objects = documents(readFileSync(artefact("operator.yaml"), "utf8"));
    expect(objects[0]).toMatchObject({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
    const kinds = new Set(objects.map((object) => object.kind));
    for (const kind of ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service", "Deployment", "ValidatingWebhookConfiguration"]) expect(kinds).toContain(kind);
    const clusterScoped = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration"]);
    for (const object of objects.filter((candidate) => !clusterScoped.has(candidate.kind))) expect(object.metadata.namespace).toBe(NAMESPACE);
    const deployment = objects.find((object) => object.kind === "Deployment") as KubeObject & { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
    expect(deployment.spec.template.spec.containers[0]!.image).toEndWith(`:${packageJson.version}`);
  });

  test("install.sh is the k3s drop-in and answers --help", () => {
    expect(readFileSync(artefact("install.sh"), "utf8")).toBe(readFileSync(join(REPO_ROOT, "scripts/install.sh"), "utf8"));
    const help = run(["bash", artefact("install.sh"), "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--binary");
  });

  test("image.oci.tar is an OCI layout with one index for linux/amd64 and linux/arm64", () => {
    const file = (name: string) => run(["tar", "-xOf", "image.oci.tar", `./${name}`]);
    expect(JSON.parse(file("oci-layout").stdout)).toEqual({ imageLayoutVersion: "1.0.0" });
    const root = JSON.parse(file("index.json").stdout) as { manifests: Array<{ digest: string }> };
    expect(root.manifests).toHaveLength(1);
    const index = JSON.parse(file(`blobs/${root.manifests[0]!.digest.replace(":", "/")}`).stdout) as { manifests: Array<{ platform: { os: string; architecture: string } }> };
    expect(index.manifests.map((manifest) => `${manifest.platform.os}/${manifest.platform.architecture}`).sort()).toEqual(["linux/amd64", "linux/arm64"]);
  });

  test("sbom.cdx.json is CycloneDX with every production dependency and no development one", () => {
    const sbom = JSON.parse(readFileSync(artefact("sbom.cdx.json"), "utf8")) as { bomFormat: string; specVersion: string; components: Array<{ name: string; version: string; purl: string }> };
    expect(sbom.bomFormat).toBe("CycloneDX");
    const names = new Set(sbom.components.map((component) => component.name));
    for (const dependency of Object.keys(packageJson.dependencies)) expect(names).toContain(dependency);
    for (const dependency of Object.keys(packageJson.devDependencies)) expect(names).not.toContain(dependency);
    for (const component of sbom.components) expect(component.purl).toStartWith("pkg:npm/");
  });
});

test("a missing prerequisite stops the release before anything is written", () => {
  const out = join(LOGS, `no-helm-${Math.random().toString(36).slice(2, 7)}`);
  const result = Bun.spawnSync(["bash", "scripts/release.sh", "--out", join(out, "release")], {
    cwd: REPO_ROOT,
    env: { ...process.env, VWS_BIN_HELM: join(out, "helm") },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(result.exitCode).toBe(1);
  expect(result.stderr.toString()).toContain("release: error: helm not found");
  expect(existsSync(out)).toBe(false);
});

describe("crds.yaml + operator.yaml on a private API server", () => {
  let plane: ControlPlane | undefined;
  let operator: BinaryOperator | undefined;

  afterAll(async () => {
    await operator?.stop();
    await plane?.stop();
  });

  /** One server-side apply per document, as `kubectl apply --server-side` does; CRDs wait for Established. */
  async function applyManifest(client: KubeClient, objects: KubeObject[]): Promise<void> {
    const discovery = new Discovery(client, { ttlMs: 0 });
    for (const object of objects) {
      const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
      const type = await discovery.resourceType(group!, version!, object.kind);
      if (!type) throw new Error(`${object.apiVersion} ${object.kind} is not served`);
      await applyObject(client, type, object, { fieldManager: "kubectl" });
    }
    for (const crd of objects.filter((object) => object.kind === "CustomResourceDefinition")) {
      await eventually(async () => crdEstablished(await client.get(CRD_TYPE, crd.metadata.name)), { what: `CRD ${crd.metadata.name} Established` });
    }
  }

  function serviceAccountKubeconfig(token: string): string {
    const kubeconfig = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "private", cluster: { server: plane!.apiUrl, "certificate-authority-data": Buffer.from(plane!.caPem).toString("base64") } }],
      users: [{ name: SERVICE_ACCOUNT, user: { token } }],
      contexts: [{ name: "sa", context: { cluster: "private", user: SERVICE_ACCOUNT } }],
      "current-context": "sa",
    };
    const path = join(LOGS, "kubeconfig-sa.yaml");
    writeFileSync(path, stringify(kubeconfig), { mode: 0o600 });
    return path;
  }

  /**
   * What the missing Pod network would do: the rendered configuration's Service has no endpoint, so each
   * webhook is pointed at the binary's loopback listener (same path). The operator's own apply then owns
   * caBundle and the URL; it cannot drop a `service` another manager owns, hence the admin's patch first.
   */
  async function routeWebhooksToLoopback(admin: KubeClient, configuration: KubeObject, port: number): Promise<void> {
    const webhooks = configuration.webhooks as Array<{ clientConfig: { service: { path: string } } }>;
    const ops = webhooks.map((webhook, index) => ({ op: "replace" as const, path: `/webhooks/${index}/clientConfig`, value: { url: `https://127.0.0.1:${port}${webhook.clientConfig.service.path}` } }));
    await admin.patch(VALIDATING_WEBHOOK_CONFIGURATION, configuration.metadata.name, { type: "json", ops }, { fieldManager: "vws-tests" });
  }

  /** The Deployment's flags and plain environment, with listeners on loopback and the webhook reached by URL. */
  async function deploymentInvocation(objects: KubeObject[], kubeconfig: string, webhookPort: number): Promise<{ args: string[]; env: Record<string, string> }> {
    const deployment = objects.find((object) => object.kind === "Deployment") as KubeObject & { spec: { template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: unknown } }> }> } } } };
    const container = deployment.spec.template.spec.containers[0]!;
    const local = ["--health-probe-bind-address", "--metrics-bind-address", "--webhook-port"];
    const args = container.args.filter((arg) => arg !== "run" && !local.some((flag) => arg.startsWith(`${flag}=`)));
    const env: Record<string, string> = {};
    for (const variable of container.env) {
      if (variable.value !== undefined) env[variable.name] = variable.value;
      else if (variable.valueFrom?.fieldRef) env[variable.name] = NAMESPACE;
    }
    expect(env.POD_NAMESPACE).toBe(NAMESPACE);
    args.push(
      `--kubeconfig=${kubeconfig}`,
      "--metrics-bind-address=127.0.0.1:0",
      "--webhook-host=127.0.0.1",
      `--webhook-port=${webhookPort}`,
      "--webhook-url-host=127.0.0.1",
    );
    return { args, env };
  }

  test("the released binary under operator.yaml's ServiceAccount becomes Ready and reconciles a gated namespace's instance", async () => {
    const env = k8sBinsEnv();
    if (!env.VWS_BIN_KUBE_APISERVER || !env.VWS_BIN_KINE) throw new Error("kube-apiserver or kine not built: run `bash scripts/k8s-bins.sh`");
    plane = await startPlane({
      stateDir: join(LOGS, `plane-${Math.random().toString(36).slice(2, 7)}`),
      bins: { kubeApiserver: env.VWS_BIN_KUBE_APISERVER, kine: env.VWS_BIN_KINE },
      withKcm: false,
      store: "kine",
    });
    const admin = KubeClient.fromKubeConfig(resolveKubeConfig({ kubeconfigPath: plane.kubeconfigPath, env: {} }));
    // Flux is the operator's prerequisite on any cluster; its CRDs stand in for an installed Flux.
    const flux = thirdPartyCrds(REPO_ROOT).filter((crd) => crd.metadata.name.endsWith(".toolkit.fluxcd.io"));
    await applyManifest(admin, flux);
    await applyManifest(admin, documents(readFileSync(artefact("crds.yaml"), "utf8")));
    const operatorObjects = documents(readFileSync(artefact("operator.yaml"), "utf8"));
    await applyManifest(admin, operatorObjects);
    // Applied, but with no kubelet on this plane its Pod never runs: the binary below stands in for it.
    const deployments = { group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true };
    expect((await admin.get(deployments, "vworkspace-operator", { namespace: NAMESPACE })).metadata.uid).toBeTruthy();

    const review = await admin.request<{ status: { token: string } }>({
      method: "POST",
      path: `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/${SERVICE_ACCOUNT}/token`,
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } },
    });
    const webhookPort = await freePort();
    await routeWebhooksToLoopback(admin, operatorObjects.find((object) => object.kind === "ValidatingWebhookConfiguration")!, webhookPort);
    const { args, env: operatorEnv } = await deploymentInvocation(operatorObjects, serviceAccountKubeconfig(review.status.token), webhookPort);
    operator = await startOperatorBinary({ binary: artefact("vworkspace-operator-linux-amd64"), args, env: operatorEnv, logFile: join(LOGS, "operator.log") });
    expect(await (await fetch(`${operator.healthUrl}/readyz?verbose`)).text()).toContain("[+]webhook ok");

    // The leader points the rendered configuration at its loopback listener and fills in caBundle.
    const configuration = await eventually(async () => {
      const current = await admin.get(VALIDATING_WEBHOOK_CONFIGURATION, "vworkspace-operator-validating-webhook");
      const webhooks = current.webhooks as Array<{ name: string; clientConfig: { url?: string; caBundle?: string } }>;
      return webhooks.every((webhook) => webhook.clientConfig.url && webhook.clientConfig.caBundle) ? webhooks : undefined;
    }, { what: "webhook configuration registered by the leader" });
    expect(configuration.map((webhook) => webhook.name).sort()).toEqual(operatorWebhooks(NAMESPACE).map((webhook) => webhook.name).sort());

    await admin.create({ group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false }, { apiVersion: "v1", kind: "Namespace", metadata: { name: GATED, labels: { "managed-by": "vworkspace" } } });
    const instance: KubeObject = {
      apiVersion: "apps.vworkspace.io/v1alpha1",
      kind: "ApplicationInstance",
      metadata: { name: "shop", namespace: GATED },
      spec: {
        appRef: { catalogId: "demo" },
        chart: { sourceType: "helm", url: "https://charts.example.com", name: "demo", version: "1.0.0" },
        release: { name: "shop", namespace: GATED },
        values: { source: "inline", inline: { a: 1 } },
      },
    };
    // Admitted through the webhook (failurePolicy Fail); the API server picks up configurations asynchronously.
    await eventually(() => admin.create(APPLICATION_INSTANCE, instance).catch(() => undefined), { what: "instance admitted" });
    const release = await eventually(() => admin.get<HelmRelease>(HELM_RELEASE, "shop", { namespace: GATED }).catch(() => undefined), { what: "HelmRelease" });
    expect(release.spec?.serviceAccountName).toBe(TENANT_SERVICE_ACCOUNT);
    const reconciled = await eventually(async () => {
      const current = await admin.get(APPLICATION_INSTANCE, "shop", { namespace: GATED });
      return (current.status as { observedGeneration?: number } | undefined)?.observedGeneration ? current : undefined;
    }, { what: "instance status written" });
    expect(reconciled.metadata.finalizers).toContain("apps.vworkspace.io/finalizer");
    expect(operator.logs.lines.filter(mentionsForbidden)).toEqual([]);
  });
});
