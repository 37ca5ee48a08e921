import { describe, expect, test } from "bun:test";
import { exitCodeOf, type Check } from "../../../src/doctor/check";
import type { DeploymentFacts, DoctorFacts, DoctorSettings, Lookup } from "../../../src/doctor/facts";
import { apiKey, features } from "../../../src/doctor/features";
import { diagnose, expectedCrds } from "../../../src/doctor/verdicts/index";
import { defaultServiceAccountOf, findController } from "../../../src/doctor/verdicts/features";

const NOW = Date.parse("2026-12-07T02:00:00Z");
const SETTINGS: DoctorSettings = { namespace: "vworkspace-system", fluxNamespace: "flux-system", webhookConfigName: "vworkspace-operator-validating-webhook", webhookCertSecret: "vworkspace-operator-webhook-tls", gitopsSource: { namespace: "vworkspace-system", name: "vworkspace-desired-state" } };
const found = <T>(value: T): Lookup<T> => ({ state: "found", value });
const absent = { state: "absent" } as const;

function deployment(namespace: string, name: string, extra: Partial<DeploymentFacts> = {}): DeploymentFacts {
  return { namespace, name, available: true, readyReplicas: 1, replicas: 1, args: [], ...extra };
}

/** A healthy cluster: every API served, every controller available, webhook answering, a Connected Cluster. */
function healthy(): DoctorFacts {
  const expected = expectedCrds();
  const served = Object.fromEntries(features(SETTINGS).flatMap((feature) => feature.apis.map((api) => [apiKey(api), found(true)])));
  return {
    nowMs: NOW,
    apiServer: { server: "https://10.0.0.1:6443", source: "flag /k", reachable: true, version: "v1.35.0", serverDateMs: NOW, localMidpointMs: NOW + 400 },
    crds: Object.fromEntries(expected.map((crd) => [crd.name, found({ name: crd.name, established: true, versions: crd.versions })])),
    served,
    deployments: found([
      deployment("flux-system", "source-controller"),
      deployment("flux-system", "helm-controller", { args: ["--watch-all-namespaces", "--default-service-account=vworkspace-tenant"] }),
      deployment("velero", "velero"),
      deployment("argo", "argo-workflows-workflow-controller"),
      deployment("kube-system", "snapshot-controller", { replicas: 2, readyReplicas: 2 }),
      deployment("volsync-system", "volsync"),
    ]),
    gatedHelmReleases: found([{ namespace: "shop", name: "odoo", serviceAccountName: "vworkspace-tenant" }]),
    gatedNamespaceCount: 1,
    webhookConfiguration: found([
      { name: "vapplicationinstance.kb.io", caBundleSet: true, caBundle: "", endpoint: { service: { namespace: "vworkspace-system", name: "vworkspace-operator-webhook", port: 443 } } },
      { name: "voperation.kb.io", caBundleSet: true, caBundle: "", endpoint: { service: { namespace: "vworkspace-system", name: "vworkspace-operator-webhook", port: 443 } } },
    ]),
    webhookServices: { "vworkspace-system/vworkspace-operator-webhook": found(true as const) },
    handshakes: [{ target: "vworkspace-operator-webhook.vworkspace-system.svc:443", result: "ok", notAfter: "2027-12-01T00:00:00.000Z" }],
    certificateSecret: found({ notAfter: "2027-12-01T00:00:00.000Z" }),
    clusters: found([{ name: "main", creationTimestamp: "2026-12-01T00:00:00Z", deleting: false, phase: "Active", mode: "pull", lastHeartbeat: "2026-12-07T01:59:40Z", connected: { status: "True", reason: "RoundTripOK", message: "" } }]),
    gitopsSource: absent,
  };
}

function line(checks: readonly Check[], section: string, subject: string): Check {
  const hit = checks.find((check) => check.section.startsWith(section) && check.subject === subject);
  if (!hit) throw new Error(`no line ${section} / ${subject} in:\n${checks.map((check) => `${check.section} | ${check.subject}`).join("\n")}`);
  return hit;
}

const statusesOf = (checks: readonly Check[]) => new Set(checks.map((check) => check.status));

describe("doctor verdicts", () => {
  test("a healthy cluster: every line ✓ and exit 0", () => {
    const checks = diagnose(healthy(), SETTINGS);
    expect(checks.filter((check) => check.status !== "ok")).toEqual([]);
    expect(exitCodeOf(checks)).toBe(0);
    expect(line(checks, "API server", "version").detail).toContain("v1.35.0");
    expect(line(checks, "API server", "clock skew").detail).toBe("local clock ahead by 0.4 s");
    expect(line(checks, "Flux lockdown", "helm-controller --default-service-account").detail).toStartWith("vworkspace-tenant");
    expect(line(checks, "Argo", "workflow-controller").detail).toContain("argo/argo-workflows-workflow-controller");
    expect(line(checks, "Cluster registration", "Cluster").detail).toBe("main: mode pull, phase Active, Connected=True (RoundTripOK), last heartbeat 20s ago");
  });

  test("an unreachable API server is the only line, ✗, exit 1", () => {
    const facts = { ...healthy(), apiServer: { server: "https://127.0.0.1:1", source: "flag /k", reachable: false, error: "ECONNREFUSED" } };
    const checks = diagnose(facts, SETTINGS);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ section: "API server", status: "fail", detail: "unreachable: ECONNREFUSED" });
    expect(exitCodeOf(checks)).toBe(1);
  });

  test("a missing CRD fails; a CRD of another operator version only warns", () => {
    const facts = healthy();
    facts.crds["operations.ops.vworkspace.io"] = absent;
    const cluster = facts.crds["clusters.ops.vworkspace.io"];
    if (cluster?.state !== "found") throw new Error("fixture");
    cluster.value.versions = cluster.value.versions.map((version) => ({ ...version, fingerprint: "older" }));
    const checks = diagnose(facts, SETTINGS);
    expect(line(checks, "Our CRDs", "operations.ops.vworkspace.io")).toMatchObject({ status: "fail", detail: "not installed" });
    expect(line(checks, "Our CRDs", "clusters.ops.vworkspace.io").status).toBe("warn");
    expect(line(checks, "Our CRDs", "applicationinstances.apps.vworkspace.io").detail).toBe("v1alpha1 (served, storage); matches this binary");
    expect(exitCodeOf(checks)).toBe(1);
  });

  test("a CRD whose version is not served fails", () => {
    const facts = healthy();
    const crd = facts.crds["applicationinstances.apps.vworkspace.io"];
    if (crd?.state !== "found") throw new Error("fixture");
    crd.value.versions = crd.value.versions.map((version) => ({ ...version, served: false }));
    expect(line(diagnose(facts, SETTINGS), "Our CRDs", "applicationinstances.apps.vworkspace.io").status).toBe("fail");
  });

  test("without Flux: its APIs and controllers are named ✗ and the exit code is 1", () => {
    const facts = healthy();
    facts.served["helmreleases.helm.toolkit.fluxcd.io/v2"] = found(false);
    facts.deployments = found([]);
    facts.gatedHelmReleases = absent;
    const checks = diagnose(facts, SETTINGS);
    expect(line(checks, "Flux", "helmreleases.helm.toolkit.fluxcd.io/v2")).toMatchObject({ status: "fail", detail: "not served" });
    expect(line(checks, "Flux", "helm-controller")).toMatchObject({ status: "fail", detail: "not found as Deployment in any namespace" });
    expect(line(checks, "Flux", "source-controller").status).toBe("fail");
    expect(line(checks, "Flux", "helm-controller").fix).toContain("flux install");
    expect(exitCodeOf(checks)).toBe(1);
  });

  test("an optional feature without its APIs only warns, with one line per API and none for its controller", () => {
    const facts = healthy();
    facts.served["backups.velero.io/v1"] = found(false);
    const checks = diagnose(facts, SETTINGS);
    const velero = checks.filter((check) => check.section.startsWith("Velero"));
    expect(velero.map((check) => [check.subject, check.status])).toEqual([
      ["backups.velero.io/v1", "warn"],
      ["restores.velero.io/v1", "ok"],
    ]);
    expect(exitCodeOf(checks)).toBe(0);
  });

  test("an optional controller that is not available warns; a required one fails", () => {
    const facts = healthy();
    facts.deployments = found([
      deployment("flux-system", "source-controller", { available: false, readyReplicas: 0 }),
      deployment("flux-system", "helm-controller", { args: ["--default-service-account", "vworkspace-tenant"] }),
      deployment("velero", "velero", { available: false, readyReplicas: 0 }),
    ]);
    const checks = diagnose(facts, SETTINGS);
    expect(line(checks, "Flux", "source-controller")).toMatchObject({ status: "fail", detail: "Deployment flux-system/source-controller not available (0/1 ready)" });
    expect(line(checks, "Velero", "velero").status).toBe("warn");
    expect(line(checks, "VolSync", "volsync")).toMatchObject({ status: "warn", detail: "not found as Deployment in any namespace" });
  });

  test("helm-controller without --default-service-account and a gated HelmRelease without a ServiceAccount warn", () => {
    const facts = healthy();
    facts.deployments = found([deployment("flux-system", "source-controller"), deployment("flux-system", "helm-controller", { args: ["--watch-all-namespaces"] })]);
    facts.gatedHelmReleases = found([
      { namespace: "shop", name: "odoo", serviceAccountName: "vworkspace-tenant" },
      { namespace: "shop", name: "foreign" },
    ]);
    const checks = diagnose(facts, SETTINGS);
    const flag = line(checks, "Flux lockdown", "helm-controller --default-service-account");
    expect(flag.status).toBe("warn");
    expect(flag.fix).toContain("--default-service-account=vworkspace-tenant");
    expect(line(checks, "Flux lockdown", "HelmReleases in gated namespaces")).toMatchObject({ status: "warn", detail: "2 in 1 gated namespace; 1 name no ServiceAccount: shop/foreign" });
    expect(exitCodeOf(checks)).toBe(0);
  });

  test("no webhook configuration warns; an empty caBundle, a missing Service or a failed handshake fail", () => {
    const unregistered = { ...healthy(), webhookConfiguration: absent };
    expect(statusesOf(diagnose(unregistered, SETTINGS).filter((check) => check.section === "Admission webhook"))).toEqual(new Set(["warn", "ok"]));

    const broken = healthy();
    broken.webhookConfiguration = found([{ name: "vapplicationinstance.kb.io", caBundleSet: false, caBundle: "", endpoint: { service: { namespace: "vworkspace-system", name: "gone", port: 443 } } }]);
    broken.webhookServices = {};
    broken.handshakes = [{ target: "127.0.0.1:9443", result: "failed", error: "ECONNREFUSED" }];
    const checks = diagnose(broken, SETTINGS);
    expect(line(checks, "Admission webhook", "ValidatingWebhookConfiguration vworkspace-operator-validating-webhook").status).toBe("fail");
    expect(line(checks, "Admission webhook", "Service vworkspace-system/gone").status).toBe("fail");
    expect(line(checks, "Admission webhook", "reachability 127.0.0.1:9443")).toMatchObject({ status: "fail", detail: "TLS handshake failed: ECONNREFUSED" });
    expect(exitCodeOf(checks)).toBe(1);
  });

  test("a Service name that does not resolve here is not a failure", () => {
    const facts = { ...healthy(), handshakes: [{ target: "svc.ns.svc:443", result: "unresolvable" as const }] };
    expect(line(diagnose(facts, SETTINGS), "Admission webhook", "reachability svc.ns.svc:443").status).toBe("info");
  });

  test("serving certificate: expired fails, expiring within 30 days warns, a missing Secret is informational", () => {
    const at = (notAfter: string) => line(diagnose({ ...healthy(), certificateSecret: found({ notAfter }) }, SETTINGS), "Admission webhook", "serving certificate (Secret vworkspace-system/vworkspace-operator-webhook-tls)");
    expect(at("2026-12-06T02:00:00Z")).toMatchObject({ status: "fail", detail: "expired 24h ago (2026-12-06T02:00:00Z)" });
    expect(at("2026-12-17T02:00:00Z")).toMatchObject({ status: "warn", detail: "expires in 10d (2026-12-17T02:00:00Z)" });
    expect(at("not a date").status).toBe("warn");
    const missing = diagnose({ ...healthy(), certificateSecret: absent }, SETTINGS);
    expect(line(missing, "Admission webhook", "serving certificate (Secret vworkspace-system/vworkspace-operator-webhook-tls)").status).toBe("info");
  });

  test("registration: none warns; the oldest Cluster is reported and the others are named as ignored", () => {
    expect(line(diagnose({ ...healthy(), clusters: found([]) }, SETTINGS), "Cluster registration", "Cluster").status).toBe("warn");
    const facts = healthy();
    facts.clusters = found([
      { name: "young", creationTimestamp: "2026-12-05T00:00:00Z", deleting: false, phase: "Ignored" },
      { name: "old", creationTimestamp: "2026-11-01T00:00:00Z", deleting: false, phase: "Disconnected", mode: "push", connected: { status: "False", reason: "ControlPlaneUnreachable", message: "dial tcp: refused" } },
    ]);
    const checks = diagnose(facts, SETTINGS);
    expect(line(checks, "Cluster registration", "Cluster")).toMatchObject({
      status: "warn",
      detail: "old: mode push, phase Disconnected, Connected=False (ControlPlaneUnreachable), no heartbeat yet: dial tcp: refused",
    });
    expect(line(checks, "Cluster registration", "ignored Clusters").detail).toContain("young");
  });

  test("GitOps: verified commits ✓, verification off warns, a missing source warns only in GitOps mode", () => {
    const subject = "GitRepository vworkspace-system/vworkspace-desired-state";
    const facts = healthy();
    expect(diagnose(facts, SETTINGS).some((check) => check.section === "GitOps")).toBe(false);
    const verified = diagnose({ ...facts, gitopsSource: found({ namespace: "vworkspace-system", name: "vworkspace-desired-state", branch: "main", verifyKeysSecret: "desired-state-keys" }) }, SETTINGS);
    expect(line(verified, "GitOps", subject)).toMatchObject({ status: "ok", detail: expect.stringContaining("signed by a key in Secret desired-state-keys") });
    const unverified = diagnose({ ...facts, gitopsSource: found({ namespace: "vworkspace-system", name: "vworkspace-desired-state", branch: "main" }) }, SETTINGS);
    expect(line(unverified, "GitOps", subject)).toMatchObject({ status: "warn", detail: "commit verification off (no spec.verify): any commit pushed on branch main is applied to the cluster" });
    expect(line(unverified, "GitOps", subject).fix).toContain("gitops.verify.secretRef");
    expect(exitCodeOf(unverified)).toBe(0);
    const gitopsCluster = found([{ name: "main", creationTimestamp: "2026-12-01T00:00:00Z", deleting: false, phase: "Active", mode: "gitops" }]);
    expect(line(diagnose({ ...facts, clusters: gitopsCluster }, SETTINGS), "GitOps", subject)).toMatchObject({ status: "warn", detail: expect.stringContaining("missing") });
    const forbidden = diagnose({ ...facts, gitopsSource: { state: "error", error: "forbidden" } }, SETTINGS);
    expect(line(forbidden, "GitOps", subject)).toMatchObject({ status: "warn", detail: "cannot read: forbidden" });
  });

  test("clock skew beyond 5 s warns", () => {
    const facts = healthy();
    facts.apiServer = { ...facts.apiServer, localMidpointMs: NOW - 42_000 };
    expect(line(diagnose(facts, SETTINGS), "API server", "clock skew")).toMatchObject({ status: "warn", detail: "local clock behind by 42.0 s" });
  });

  test("forbidden lookups are reported as such, never as missing", () => {
    const facts = healthy();
    facts.deployments = { state: "error", error: "403 Forbidden" };
    const checks = diagnose(facts, SETTINGS);
    expect(line(checks, "Flux", "helm-controller")).toMatchObject({ status: "warn", detail: "cannot list Deployments: 403 Forbidden" });
  });
});

describe("controller lookup and flags", () => {
  test("exact name in the usual namespace wins over a release-prefixed one elsewhere", () => {
    const deployments = [deployment("other", "my-helm-controller"), deployment("flux-system", "helm-controller"), deployment("x", "helm-controller-extra")];
    expect(findController(deployments, { name: "helm-controller", namespace: "flux-system" })).toMatchObject({ namespace: "flux-system", name: "helm-controller" });
    expect(findController([deployments[0]!, deployments[2]!], { name: "helm-controller", namespace: "flux-system" })?.name).toBe("my-helm-controller");
  });

  test("--default-service-account in both flag forms", () => {
    expect(defaultServiceAccountOf(["helm-controller", "--default-service-account=tenant"])).toBe("tenant");
    expect(defaultServiceAccountOf(["--default-service-account", "tenant"])).toBe("tenant");
    expect(defaultServiceAccountOf(["--default-service-account"])).toBeUndefined();
    expect(defaultServiceAccountOf(["--watch-all-namespaces"])).toBeUndefined();
  });
});
