/**
 * `push-kubeconfig` against the shared cluster, with the chart's Push RBAC (helm template, push.enabled and
 * push.tokenSecret on) applied to a test operator namespace, and no admission webhook in the namespaces
 * used: what the generated kubeconfig may do is decided by RBAC alone. The ClusterRoles have fixed names and
 * the chart's content, shared like the tenant ClusterRole; the ClusterRoleBinding is renamed per run.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { APPLICATION_INSTANCE, CLUSTER } from "../../../src/api/groups";
import { CONTROL_PLANE_SERVICE_ACCOUNT, CONTROL_PLANE_TOKEN_SECRET } from "../../../src/api/push-access";
import { main } from "../../../src/cli/main";
import { applyObject } from "../../../src/kube/apply";
import { KubeClient } from "../../../src/kube/client";
import { resolveKubeConfig } from "../../../src/kube/config";
import { classifyError } from "../../../src/kube/errors";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { findRendered, helmTemplate } from "../../support/chart";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { deleteNamespace, GATE_LABEL, randomSuffix, TEST_LABEL, TEST_RUN_LABEL } from "../../support/namespace";
import { startPrivatePlane, type PrivatePlane } from "../../support/private-plane";
import { bindControlPlane, installPushAccess, SECRETS, SERVICE_ACCOUNTS, type PushAccess } from "../../support/push-access";

const type = (group: string, kind: string, plural: string, namespaced: boolean): ResourceType => ({ group, version: "v1", kind, plural, namespaced });
const NAMESPACES = type("", "Namespace", "namespaces", false);
const CONFIG_MAPS = type("", "ConfigMap", "configmaps", true);

let cluster: TestCluster;
let dir: string;
const suffix = randomSuffix();
const names = { operator: `t-push-op-${suffix}`, bare: `t-push-bare-${suffix}`, gated: `t-push-gated-${suffix}`, ungated: `t-push-open-${suffix}` };
let access: PushAccess | undefined;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function pushKubeconfig(kubeconfigPath: string, ...args: string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["push-kubeconfig", `--kubeconfig=${kubeconfigPath}`, ...args], {}, { out: (text) => out.push(`${text}\n`), err: (text) => err.push(`${text}\n`) });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

function namespace(name: string, gated: boolean): KubeObject {
  const labels: Record<string, string> = { [TEST_RUN_LABEL]: cluster.runId, [TEST_LABEL]: "push-kubeconfig", ...(gated ? { [GATE_LABEL.key]: GATE_LABEL.value } : {}) };
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

function clientFor(kubeconfigText: string, file: string): KubeClient {
  const path = join(dir, file);
  writeFileSync(path, kubeconfigText, { mode: 0o600 });
  return KubeClient.fromKubeConfig(resolveKubeConfig({ kubeconfigPath: path, env: {} }));
}

function instance(namespaceName: string, name: string): KubeObject {
  return { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", metadata: { name, namespace: namespaceName }, spec: { appRef: { catalogId: "c" }, mode: "placeholder" } };
}

async function secretToken(): Promise<string> {
  const secret = await cluster.client.get<KubeObject & { data?: { token?: string } }>(SECRETS, CONTROL_PLANE_TOKEN_SECRET, { namespace: names.operator });
  return Buffer.from(secret.data?.token ?? "", "base64").toString("utf8");
}

beforeAll(async () => {
  cluster = await getCluster();
  dir = mkdtempSync(join(tmpdir(), "vws-push-"));
  for (const [name, gated] of [[names.operator, false], [names.bare, false], [names.gated, true], [names.ungated, false]] as const) await cluster.client.create(NAMESPACES, namespace(name, gated));
  access = await installPushAccess(cluster.client, names.operator, { tokenSecret: true });
  await bindControlPlane(cluster.client, names.gated, names.operator);
  // The ServiceAccount of the bare namespace has no RoleBinding anywhere.
  await cluster.client.create(SERVICE_ACCOUNTS, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: CONTROL_PLANE_SERVICE_ACCOUNT, namespace: names.bare } });
  await eventually(async () => (await secretToken()) !== "", { what: "the token controller fills vworkspace-control-plane-token" });
}, 90_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!cluster) return;
  await access?.remove();
  await Promise.all(Object.values(names).filter((name) => name.startsWith("t-")).map((name) => deleteNamespace(cluster.client, name)));
}, 120_000);

describe("push-kubeconfig", () => {
  test("token from the chart's Secret, written to a 0600 file after the self-check; the token on no other stream", async () => {
    const output = join(dir, "push.kubeconfig");
    const result = await pushKubeconfig(cluster.kubeconfigPath, `--namespace=${names.operator}`, `--output=${output}`, "--context-name=vws-test");
    expect(result.stderr).toContain(`verified: the new token lists applicationinstances in gated namespace ${names.gated}`);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(statSync(output).mode & 0o777).toBe(0o600);
    const token = await secretToken();
    expect(result.stderr).not.toContain(token);
    const config = YAML.parse(await Bun.file(output).text());
    expect(config["current-context"]).toBe("vws-test");
    expect(config.users).toEqual([{ name: "vws-test", user: { token } }]);
    expect(config.clusters).toHaveLength(1);
    expect(config.clusters[0].cluster.server).toBe(cluster.apiUrl);
    expect(config.contexts).toEqual([{ name: "vws-test", context: { cluster: "vws-test", user: "vws-test" } }]);
  });

  test("a rewritten existing file is tightened to 0600", async () => {
    const output = join(dir, "loose.kubeconfig");
    writeFileSync(output, "old\n", { mode: 0o644 });
    expect((await pushKubeconfig(cluster.kubeconfigPath, `--namespace=${names.operator}`, `--output=${output}`)).code).toBe(0);
    expect(statSync(output).mode & 0o777).toBe(0o600);
  });

  describe("with a TokenRequest token, the kubeconfig confines the control plane by RBAC alone", () => {
    let asControlPlane: KubeClient;
    beforeAll(async () => {
      const result = await pushKubeconfig(cluster.kubeconfigPath, `--namespace=${names.operator}`, "--token-source=request", "--duration=1h");
      expect(result.code).toBe(0);
      const token = YAML.parse(result.stdout).users[0].user.token as string;
      expect(token.length).toBeGreaterThan(20);
      expect(result.stderr).not.toContain(token);
      asControlPlane = clientFor(result.stdout, "request.kubeconfig");
    });

    const forbidden = async (write: () => Promise<unknown>) => {
      const error = await write().then(() => undefined, (err: unknown) => err);
      expect(error === undefined ? "allowed" : classifyError(error)).toBe("forbidden");
    };

    test("SSA of an ApplicationInstance in a gated namespace with the RoleBinding succeeds", async () => {
      const applied = await applyObject(asControlPlane, APPLICATION_INSTANCE, instance(names.gated, "pushed"), { fieldManager: "vworkspace-odoo" });
      expect(applied.metadata.managedFields?.some((entry) => (entry as { manager?: string }).manager === "vworkspace-odoo")).toBe(true);
      expect((await asControlPlane.list(CLUSTER)).kind).toBe("ClusterList");
    });

    test("an ungated namespace, a ConfigMap and a Secret are Forbidden", async () => {
      await forbidden(() => applyObject(asControlPlane, APPLICATION_INSTANCE, instance(names.ungated, "pushed"), { fieldManager: "vworkspace-odoo" }));
      await forbidden(() => applyObject(asControlPlane, CONFIG_MAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: names.gated }, data: { a: "b" } }, { fieldManager: "vworkspace-odoo" }));
      await forbidden(() => applyObject(asControlPlane, SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name: "x", namespace: names.gated }, stringData: { a: "b" } }, { fieldManager: "vworkspace-odoo" }));
      await forbidden(() => asControlPlane.get(SECRETS, CONTROL_PLANE_TOKEN_SECRET, { namespace: names.operator }));
    });
  });

  test("a missing ServiceAccount exits 1 with the remedy and writes nothing", async () => {
    const output = join(dir, "missing.kubeconfig");
    const result = await pushKubeconfig(cluster.kubeconfigPath, `--namespace=${names.ungated}`, `--output=${output}`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`ServiceAccount ${names.ungated}/vworkspace-control-plane does not exist: install the chart with push.enabled=true`);
    expect(existsSync(output)).toBe(false);
  });

  test("a token without a RoleBinding in any gated namespace fails the self-check: exit 1, nothing written, no token", async () => {
    const result = await pushKubeconfig(cluster.kubeconfigPath, `--namespace=${names.bare}`, "--token-source=request", "--duration=10m");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("self-check failed: the new token cannot list applicationinstances in gated namespace");
    expect(result.stderr).toContain("no RoleBinding vworkspace-control-plane there yet");
    expect(result.stderr).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });

  test("--no-verify skips the self-check; the Secret source without the Secret names the alternative", async () => {
    expect((await pushKubeconfig(cluster.kubeconfigPath, `--namespace=${names.bare}`, "--token-source=request", "--no-verify")).code).toBe(0);
    const missing = await pushKubeconfig(cluster.kubeconfigPath, `--namespace=${names.bare}`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("use --token-source=request");
  });

  test.each([
    [["--token-source=file"], "--token-source must be secret or request"],
    [["--duration=1m"], "--duration must be between 10m"],
    [["--server=ftp://x"], "--server must be an http"],
    [["extra"], 'unexpected argument "extra"'],
  ])("%p is a usage error (exit 2)", async (args, message) => {
    const result = await pushKubeconfig(cluster.kubeconfigPath, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe("the chart's Push RBAC", () => {
  const pushObjects = (...sets: string[]) =>
    helmTemplate(names.operator, ...sets)
      .objects.filter((object) => object.metadata.name.startsWith("vworkspace-control-plane"))
      .map((object) => `${object.kind}/${object.metadata.name}`)
      .sort();

  test("nothing by default; push.enabled adds the ServiceAccount, the three ClusterRoles and the binding; push.tokenSecret the token Secret", () => {
    expect(pushObjects()).toEqual([]);
    expect(pushObjects("push.tokenSecret=true")).toEqual([]);
    const withoutSecret = [
      "ClusterRole/vworkspace-control-plane-clusters",
      "ClusterRole/vworkspace-control-plane-helmreleases",
      "ClusterRole/vworkspace-control-plane-namespaced",
      "ClusterRoleBinding/vworkspace-control-plane-clusters",
      "ServiceAccount/vworkspace-control-plane",
    ];
    expect(pushObjects("push.enabled=true")).toEqual(withoutSecret);
    expect(pushObjects("push.enabled=true", "push.tokenSecret=true")).toEqual([...withoutSecret, "Secret/vworkspace-control-plane-token"].sort());
  });

  test("the namespaced ClusterRole grants ApplicationInstances and Operations and nothing else; the HelmRelease-authoritative one adds exactly HelmReleases and chart sources", () => {
    const rulesOf = (name: string) => (findRendered(helmTemplate(names.operator, "push.enabled=true").objects, "ClusterRole", name) as KubeObject & { rules: unknown[] }).rules;
    const verbs = ["create", "get", "list", "watch", "patch", "update", "delete"];
    const namespaced = [
      { apiGroups: ["apps.vworkspace.io"], resources: ["applicationinstances"], verbs },
      { apiGroups: ["ops.vworkspace.io"], resources: ["operations"], verbs },
    ];
    expect(rulesOf("vworkspace-control-plane-namespaced")).toEqual(namespaced);
    expect(rulesOf("vworkspace-control-plane-helmreleases")).toEqual([
      ...namespaced,
      { apiGroups: ["helm.toolkit.fluxcd.io"], resources: ["helmreleases"], verbs },
      { apiGroups: ["source.toolkit.fluxcd.io"], resources: ["helmrepositories", "ocirepositories"], verbs },
    ]);
  });
});

describe("push-kubeconfig on a cluster without a gated namespace", () => {
  let plane: PrivatePlane | undefined;
  afterAll(async () => plane?.stop(), 60_000);

  test("exits 1 and says that no namespace is gated", async () => {
    plane = await startPrivatePlane("push-ungated");
    await plane.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "vworkspace-system" } });
    await plane.client.create(SERVICE_ACCOUNTS, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: CONTROL_PLANE_SERVICE_ACCOUNT, namespace: "vworkspace-system" } });
    const caFile = join(dir, "plane-ca.crt");
    writeFileSync(caFile, resolveKubeConfig({ kubeconfigPath: plane.kubeconfigPath, env: {} }).caPem ?? "");
    const result = await pushKubeconfig(plane.kubeconfigPath, "--token-source=request", `--ca-file=${caFile}`);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("self-check impossible: no namespace is gated (label one managed-by=vworkspace), or pass --no-verify");
  }, 120_000);
});
