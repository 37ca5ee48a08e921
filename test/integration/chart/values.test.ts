/**
 * Every documented values combination of the chart: `helm lint --strict` is clean, and every object
 * `helm template` renders passes a server-side dry-run apply with strict field validation on the real API
 * server (an unknown or misplaced field fails). The Prometheus Operator's CRDs are absent there, so its two
 * kinds are checked against a schema of the fields the chart sets, served under a per-run API group (no
 * cluster-wide object with a fixed name); the field names and duration pattern are the upstream API's.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseAllDocuments } from "yaml";
import { customResourceDefinitions } from "../../../src/api/crd/generate";
import { applyObject } from "../../../src/kube/apply";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { CRD_TYPE, crdEstablished } from "../../../src/manager/crds";
import { CONTROL_PLANE_SERVICE_ACCOUNT } from "../../../src/api/push-access";
import { findRendered, helmTemplate } from "../../support/chart";
import { REPO_ROOT, getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { k8sBin } from "../../support/k8s-bins";
import { randomSuffix, useNamespace } from "../../support/namespace";

const ns = useNamespace({ slug: "chart-values" });
const MONITORING_GROUP = `m${randomSuffix()}.chart-test.vworkspace.io`;
let cluster: TestCluster;

const type = (group: string, kind: string, plural: string, namespaced = true): ResourceType => ({ group, version: "v1", kind, plural, namespaced });
const TYPES: Record<string, ResourceType> = {
  ServiceAccount: type("", "ServiceAccount", "serviceaccounts"),
  Service: type("", "Service", "services"),
  ConfigMap: type("", "ConfigMap", "configmaps"),
  Deployment: type("apps", "Deployment", "deployments"),
  PodDisruptionBudget: type("policy", "PodDisruptionBudget", "poddisruptionbudgets"),
  NetworkPolicy: type("networking.k8s.io", "NetworkPolicy", "networkpolicies"),
  ClusterRole: type("rbac.authorization.k8s.io", "ClusterRole", "clusterroles", false),
  ClusterRoleBinding: type("rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings", false),
  Role: type("rbac.authorization.k8s.io", "Role", "roles"),
  RoleBinding: type("rbac.authorization.k8s.io", "RoleBinding", "rolebindings"),
  ValidatingWebhookConfiguration: type("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false),
  GitRepository: type("source.toolkit.fluxcd.io", "GitRepository", "gitrepositories"),
  Kustomization: type("kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations"),
  ServiceMonitor: type(MONITORING_GROUP, "ServiceMonitor", "servicemonitors"),
  PrometheusRule: type(MONITORING_GROUP, "PrometheusRule", "prometheusrules"),
};

const BASE_KINDS = ["ClusterRole", "ClusterRoleBinding", "Deployment", "NetworkPolicy", "Role", "RoleBinding", "Service", "ServiceAccount", "ValidatingWebhookConfiguration"];
const DIGEST = `sha256:${"ab".repeat(32)}`;
const GITOPS = ["gitops.enabled=true", "gitops.url=https://git.example/desired-state.git", "gitops.clusterId=c-1", "gitops.verify.secretRef=desired-state-keys"];

/** The documented combinations (README "In a cluster: the Helm chart") and the kinds each adds or removes. */
const COMBINATIONS: { name: string; sets: string[]; adds?: string[]; removes?: string[] }[] = [
  { name: "defaults", sets: [] },
  { name: "two replicas", sets: ["replicas=2"], adds: ["PodDisruptionBudget"] },
  { name: "image by digest", sets: [`image.digest=${DIGEST}`] },
  { name: "network policy off", sets: ["networkPolicy.enabled=false"], removes: ["NetworkPolicy"] },
  { name: "network policy with peers", sets: ["networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring", "networkPolicy.webhookFrom[0].ipBlock.cidr=10.0.0.0/8"] },
  { name: "webhooks off", sets: ["webhooks.enabled=false"], removes: ["Service", "ValidatingWebhookConfiguration"] },
  {
    name: "ServiceMonitor, PrometheusRule and dashboard",
    sets: ["serviceMonitor.enabled=true", "prometheusRule.enabled=true", "dashboard.enabled=true"],
    adds: ["ConfigMap", "PrometheusRule", "ServiceMonitor"],
  },
  { name: "GitOps with commit verification and a read credential", sets: [...GITOPS, "gitops.secretRef=desired-state-read"], adds: ["GitRepository", "Kustomization"] },
  { name: "GitOps without commit verification", sets: ["gitops.enabled=true", "gitops.url=ssh://git@git.example/desired-state.git", "clusterId=c-2", "gitops.verify.enabled=false"], adds: ["GitRepository", "Kustomization"] },
];

const DURATION = { type: "string", pattern: "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$" };
const STRING_MAP = { type: "object", additionalProperties: { type: "string" } };
const SPECS: Record<string, object> = {
  ServiceMonitor: {
    type: "object",
    required: ["selector"],
    properties: {
      selector: { type: "object", properties: { matchLabels: STRING_MAP } },
      namespaceSelector: { type: "object", properties: { any: { type: "boolean" }, matchNames: { type: "array", items: { type: "string" } } } },
      endpoints: { type: "array", items: { type: "object", properties: { port: { type: "string" }, path: { type: "string" }, interval: DURATION, scrapeTimeout: DURATION } } },
    },
  },
  PrometheusRule: {
    type: "object",
    properties: {
      groups: {
        type: "array",
        items: {
          type: "object",
          required: ["name"],
          properties: {
            name: { type: "string", minLength: 1 },
            rules: {
              type: "array",
              items: {
                type: "object",
                required: ["expr"],
                properties: { alert: { type: "string" }, record: { type: "string" }, expr: { "x-kubernetes-int-or-string": true }, for: DURATION, labels: STRING_MAP, annotations: STRING_MAP },
              },
            },
          },
        },
      },
    },
  },
};

function monitoringCrd(kind: string): KubeObject {
  const { plural } = TYPES[kind]!;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${MONITORING_GROUP}` },
    spec: {
      group: MONITORING_GROUP,
      scope: "Namespaced",
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: SPECS[kind] } } } }],
    },
  } as KubeObject;
}

function helmLint(sets: string[]): { exitCode: number; output: string } {
  const args = [k8sBin("VWS_BIN_HELM"), "lint", "--strict", `${REPO_ROOT}/chart`, "--namespace", ns.name, ...sets.flatMap((set) => ["--set", set])];
  const result = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" });
  return { exitCode: result.exitCode, output: `${result.stdout.toString()}${result.stderr.toString()}` };
}

beforeAll(async () => {
  cluster = await getCluster();
  for (const kind of ["ServiceMonitor", "PrometheusRule"]) await applyObject(cluster.client, CRD_TYPE, monitoringCrd(kind), { fieldManager: "vws-chart-test", force: true });
  for (const kind of ["ServiceMonitor", "PrometheusRule"]) {
    await eventually(async () => crdEstablished(await cluster.client.get(CRD_TYPE, monitoringCrd(kind).metadata.name)), { what: `test CRD for ${kind} Established` });
  }
}, 60_000);

afterAll(async () => {
  for (const kind of ["ServiceMonitor", "PrometheusRule"]) await cluster.client.delete(CRD_TYPE, monitoringCrd(kind).metadata.name).catch(() => undefined);
});

describe("every documented values combination", () => {
  test("a monitoring object with an unknown field is refused by the strict dry run (the check bites)", async () => {
    const monitor = { apiVersion: `${MONITORING_GROUP}/v1`, kind: "ServiceMonitor", metadata: { name: "probe", namespace: ns.name }, spec: { selector: {}, endpoints: [{ port: "metrics", intervall: "30s" }] } };
    const refused = await applyObject(cluster.client, TYPES.ServiceMonitor!, monitor, { fieldManager: "vws-chart-test", dryRun: true, fieldValidation: "Strict" }).then(() => "", (err: Error) => err.message);
    expect(refused).toContain("intervall");
  });

  for (const combination of COMBINATIONS) {
    test(`${combination.name}: helm lint --strict is clean and every rendered object passes a strict server-side dry run`, async () => {
      const lint = helmLint(combination.sets);
      expect(lint.output).toContain("0 chart(s) failed");
      expect(lint.exitCode).toBe(0);
      const { objects, exitCode, stderr } = helmTemplate(ns.name, ...combination.sets);
      expect(stderr).toBe("");
      expect(exitCode).toBe(0);
      const expected = [...BASE_KINDS.filter((kind) => !combination.removes?.includes(kind)), ...(combination.adds ?? [])];
      expect([...new Set(objects.map((object) => object.kind))].sort()).toEqual([...new Set(expected)].sort());
      for (const object of objects) {
        const objectType = TYPES[object.kind]!;
        const body = objectType.group === MONITORING_GROUP ? { ...object, apiVersion: `${MONITORING_GROUP}/v1` } : object;
        const accepted = await applyObject(cluster.client, objectType, body, { fieldManager: "vws-chart-test", dryRun: true, fieldValidation: "Strict" });
        expect(`${object.kind}/${accepted.metadata.name}`).toBe(`${object.kind}/${object.metadata.name}`);
      }
    }, 60_000);
  }

  test("the digest pins the image by content; the tag defaults to the chart's appVersion", () => {
    const image = (sets: string[]) => JSON.stringify(helmTemplate(ns.name, ...sets).objects.find((object) => object.kind === "Deployment")).match(/"image":"([^"]+)"/)?.[1];
    expect(image([`image.digest=${DIGEST}`, "image.tag=ignored"])).toBe(`ghcr.io/vworkspace-io/vworkspace-operator@${DIGEST}`);
    expect(image([])).toBe("ghcr.io/vworkspace-io/vworkspace-operator:0.1.0");
  });

  test("the NetworkPolicy admits ingress only to the webhook and metrics ports, from the configured peers", () => {
    const policy = (sets: string[]) => helmTemplate(ns.name, ...sets).objects.find((object) => object.kind === "NetworkPolicy") as KubeObject & { spec: { policyTypes: string[]; ingress?: { ports: { port: string }[]; from?: unknown[] }[] } };
    const open = policy([]);
    expect(open.spec.policyTypes).toEqual(["Ingress"]);
    expect(open.spec.ingress).toEqual([{ ports: [{ protocol: "TCP", port: "webhook" }] }, { ports: [{ protocol: "TCP", port: "metrics" }] }] as never);
    const peers = policy(["networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring"]);
    expect(peers.spec.ingress?.[1]?.from).toEqual([{ namespaceSelector: { matchLabels: { name: "monitoring" } } }]);
    // Nothing served: an empty rule list denies all ingress.
    expect(policy(["webhooks.enabled=false", "metrics.enabled=false"]).spec.ingress).toBeUndefined();
  });

  test("helm install creates the operator's CRDs from chart/crds, and nothing else beyond the templates", () => {
    const args = [k8sBin("VWS_BIN_HELM"), "template", "vws", `${REPO_ROOT}/chart`, "--namespace", ns.name, "--include-crds"];
    const result = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" });
    expect(result.exitCode).toBe(0);
    const crds = parseAllDocuments(result.stdout.toString())
      .map((document) => document.toJSON() as KubeObject | null)
      .filter((object): object is KubeObject => object?.kind === "CustomResourceDefinition");
    const byName = (a: KubeObject, b: KubeObject) => a.metadata.name.localeCompare(b.metadata.name);
    expect(crds.sort(byName)).toEqual((customResourceDefinitions() as unknown as KubeObject[]).sort(byName));
  });

  test("GitOps: the source and Kustomization of the desired state, applied as vworkspace-control-plane with its Push RBAC rendered too", () => {
    const { objects } = helmTemplate(ns.name, ...GITOPS, "gitops.secretRef=desired-state-read");
    expect(findRendered(objects, "GitRepository", "vworkspace-desired-state").spec).toEqual({
      url: "https://git.example/desired-state.git",
      ref: { branch: "main" },
      interval: "1m",
      secretRef: { name: "desired-state-read" },
      verify: { mode: "HEAD", secretRef: { name: "desired-state-keys" } },
    });
    expect(findRendered(objects, "Kustomization", "vworkspace-desired-state").spec).toEqual({
      sourceRef: { kind: "GitRepository", name: "vworkspace-desired-state" },
      path: "./clusters/c-1",
      prune: true,
      interval: "5m",
      serviceAccountName: CONTROL_PLANE_SERVICE_ACCOUNT,
    });
    findRendered(objects, "ServiceAccount", CONTROL_PLANE_SERVICE_ACCOUNT);
    findRendered(objects, "ClusterRole", "vworkspace-control-plane-namespaced");
    expect(objects.some((object) => object.kind === "Secret")).toBe(false);
    const unverified = helmTemplate(ns.name, "gitops.enabled=true", "gitops.url=https://git.example/d.git", "clusterId=c-2", "gitops.verify.enabled=false", "gitops.branch=prod");
    expect(findRendered(unverified.objects, "GitRepository").spec).toEqual({ url: "https://git.example/d.git", ref: { branch: "prod" }, interval: "1m" });
    expect((findRendered(unverified.objects, "Kustomization").spec as { path: string }).path).toBe("./clusters/c-2");
    expect(helmTemplate(ns.name).objects.filter((object) => ["GitRepository", "Kustomization"].includes(object.kind))).toEqual([]);
  });

  test("GitOps refuses to render without a URL, a usable cluster id, or (verification being on by default) the keys Secret", () => {
    const refusal = (...sets: string[]) => {
      const rendered = helmTemplate(ns.name, ...sets);
      expect(rendered.exitCode).not.toBe(0);
      return rendered.stderr;
    };
    expect(refusal("gitops.enabled=true", "gitops.clusterId=c-1", "gitops.verify.secretRef=k")).toContain("gitops.enabled needs gitops.url");
    expect(refusal("gitops.enabled=true", "gitops.url=https://git.example/d.git", "gitops.verify.secretRef=k")).toContain("needs gitops.clusterId (or clusterId)");
    expect(refusal("gitops.enabled=true", "gitops.url=https://git.example/d.git", "gitops.clusterId=../x", "gitops.verify.secretRef=k")).toContain('got "../x"');
    expect(refusal("gitops.enabled=true", "gitops.url=https://git.example/d.git", "gitops.clusterId=c-1")).toContain("gitops.verify.secretRef must name the Secret of OpenPGP public keys");
  });

  test("monitoring objects need the metrics endpoint", () => {
    const rendered = helmTemplate(ns.name, "metrics.enabled=false", "serviceMonitor.enabled=true");
    expect(rendered.exitCode).not.toBe(0);
    expect(rendered.stderr).toContain("serviceMonitor.enabled needs metrics.enabled");
  });
});
