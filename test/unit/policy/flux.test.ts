import { describe, expect, test } from "bun:test";
import { checkFluxObject, isFluxPolicyKind } from "../../../src/policy/flux";
import { checkJobObject } from "../../../src/policy/objects";

const NS = "team-a";
const gated = { "managed-by": "vworkspace" };

function helmRelease(spec: Record<string, unknown>) {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: "web", namespace: NS },
    spec: { interval: "5m", chart: { spec: { chart: "web", sourceRef: { kind: "HelmRepository", name: "repo" } } }, ...spec },
  };
}

function source(kind: string, spec: Record<string, unknown>) {
  return { apiVersion: "source.toolkit.fluxcd.io/v1", kind, metadata: { name: "repo", namespace: NS }, spec: { url: "https://charts.example.com", ...spec } };
}

const facts = (labels: Record<string, string> = gated) => ({ namespace: NS, namespaceLabels: labels });

function refusalOf(outcome: ReturnType<typeof checkFluxObject>) {
  return "refusal" in outcome ? outcome.refusal : undefined;
}

describe("HelmRelease field policy", () => {
  test("serviceAccountName is set to the tenant ServiceAccount when absent, kept when it is the tenant's", () => {
    const set = checkFluxObject("helm.toolkit.fluxcd.io", helmRelease({}), facts());
    expect("object" in set && (set.object.spec as Record<string, unknown>).serviceAccountName).toBe("vworkspace-tenant");
    const own = checkFluxObject("helm.toolkit.fluxcd.io", helmRelease({ serviceAccountName: "vworkspace-tenant", targetNamespace: NS, storageNamespace: NS }), facts());
    expect("object" in own).toBe(true);
    const labelled = checkFluxObject("helm.toolkit.fluxcd.io", helmRelease({ serviceAccountName: "deployer" }), facts({ ...gated, "apps.vworkspace.io/tenant-service-account": "deployer" }));
    expect("object" in labelled && (labelled.object.spec as Record<string, unknown>).serviceAccountName).toBe("deployer");
    const noSpec = checkFluxObject("helm.toolkit.fluxcd.io", { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "x" } }, facts());
    expect("object" in noSpec && (noSpec.object as Record<string, unknown>).spec).toEqual({ serviceAccountName: "vworkspace-tenant" });
  });

  test.each([
    ["another ServiceAccount", { serviceAccountName: "default" }, "spec.serviceAccountName"],
    ["the tenant name of another namespace label", { serviceAccountName: "vworkspace-tenant-2" }, "spec.serviceAccountName"],
    ["a null ServiceAccount", { serviceAccountName: null }, "spec.serviceAccountName"],
    ["kubeConfig", { kubeConfig: { secretRef: { name: "remote" } } }, "spec.kubeConfig"],
    ["an empty kubeConfig", { kubeConfig: {} }, "spec.kubeConfig"],
    ["targetNamespace elsewhere", { targetNamespace: "kube-system" }, "spec.targetNamespace"],
    ["storageNamespace elsewhere", { storageNamespace: "flux-system" }, "spec.storageNamespace"],
    ["an empty targetNamespace", { targetNamespace: "" }, "spec.targetNamespace"],
    ["a chart sourceRef elsewhere", { chart: { spec: { chart: "x", sourceRef: { kind: "HelmRepository", name: "r", namespace: "flux-system" } } } }, "spec.chart.spec.sourceRef.namespace"],
    ["a chartRef elsewhere", { chart: undefined, chartRef: { kind: "OCIRepository", name: "r", namespace: "other" } }, "spec.chartRef.namespace"],
    ["a dependsOn elsewhere", { dependsOn: [{ name: "a" }, { name: "b", namespace: "other" }] }, "spec.dependsOn[1].namespace"],
    ["a valuesFrom with a namespace", { valuesFrom: [{ kind: "Secret", name: "v", namespace: "kube-system" }] }, "spec.valuesFrom[0].namespace"],
  ])("%s is a ProtectedField", (_what, spec, field) => {
    const refusal = refusalOf(checkFluxObject("helm.toolkit.fluxcd.io", helmRelease(spec), facts()));
    expect(refusal?.code).toBe("ProtectedField");
    expect(refusal?.detail).toContain(field);
    for (const value of ["kube-system", "flux-system", "remote", "default"]) expect(refusal?.detail).not.toContain(value);
  });

  test("references in the own namespace pass; malformed members are InvalidPayload", () => {
    const inNamespace = helmRelease({ chartRef: { kind: "OCIRepository", name: "r", namespace: NS }, dependsOn: [{ name: "a", namespace: NS }], valuesFrom: [{ kind: "ConfigMap", name: "v" }] });
    expect("object" in checkFluxObject("helm.toolkit.fluxcd.io", inNamespace, facts())).toBe(true);
    expect(refusalOf(checkFluxObject("helm.toolkit.fluxcd.io", helmRelease({ dependsOn: ["other/x"] }), facts()))?.code).toBe("InvalidPayload");
    expect(refusalOf(checkFluxObject("helm.toolkit.fluxcd.io", { ...helmRelease({}), spec: "x" }, facts()))?.code).toBe("InvalidPayload");
  });

  test("a Kustomization admitted by an allow-list gets the same identity and target rules", () => {
    const kustomization = { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", metadata: { name: "k", namespace: NS }, spec: { sourceRef: { kind: "GitRepository", name: "g" } } };
    const ok = checkFluxObject("kustomize.toolkit.fluxcd.io", kustomization, facts());
    expect("object" in ok && (ok.object.spec as Record<string, unknown>).serviceAccountName).toBe("vworkspace-tenant");
    expect(refusalOf(checkFluxObject("kustomize.toolkit.fluxcd.io", { ...kustomization, spec: { sourceRef: { kind: "GitRepository", name: "g", namespace: "flux-system" } } }, facts()))?.detail).toContain("spec.sourceRef.namespace");
    expect(refusalOf(checkFluxObject("kustomize.toolkit.fluxcd.io", { ...kustomization, spec: { targetNamespace: "kube-system" } }, facts()))?.code).toBe("ProtectedField");
  });
});

describe("source field policy", () => {
  test.each(["HelmRepository", "OCIRepository", "HelmChart", "GitRepository", "Bucket"])("%s: accessFrom and cloud providers are refused; generic passes", (kind) => {
    expect(isFluxPolicyKind("source.toolkit.fluxcd.io", kind)).toBe(true);
    expect(checkFluxObject("source.toolkit.fluxcd.io", source(kind, {}), facts())).toEqual({ object: source(kind, {}) });
    expect("object" in checkFluxObject("source.toolkit.fluxcd.io", source(kind, { provider: "generic" }), facts())).toBe(true);
    const accessFrom = refusalOf(checkFluxObject("source.toolkit.fluxcd.io", source(kind, { accessFrom: { namespaceSelectors: [{ matchLabels: {} }] } }), facts()));
    expect(accessFrom).toMatchObject({ code: "ProtectedField", detail: expect.stringContaining("spec.accessFrom") });
    for (const provider of ["aws", "azure", "gcp", "github", ""]) {
      const refusal = refusalOf(checkFluxObject("source.toolkit.fluxcd.io", source(kind, { provider }), facts()));
      expect(refusal).toMatchObject({ code: "ProtectedField", detail: expect.stringContaining("spec.provider") });
    }
  });

  test("sources get no serviceAccountName forced on them", () => {
    const outcome = checkFluxObject("source.toolkit.fluxcd.io", source("OCIRepository", {}), facts());
    expect("object" in outcome && (outcome.object.spec as Record<string, unknown>).serviceAccountName).toBeUndefined();
  });
});

describe("dispatch", () => {
  test("only Flux and Velero kinds have object policies; the rest pass unchanged", () => {
    const config = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { serviceAccountName: "x" } };
    const shared = { namespace: NS, namespaceLabels: () => gated, allowBackupStorageLocations: false };
    expect(checkJobObject(config, { ...shared, group: "" })).toEqual({ object: config });
    expect(isFluxPolicyKind("helm.toolkit.fluxcd.io", "HelmChart")).toBe(false);
    const release = checkJobObject(helmRelease({ kubeConfig: {} }), { ...shared, group: "helm.toolkit.fluxcd.io" });
    expect("refusal" in release && release.refusal.code).toBe("ProtectedField");
    const bsl = checkJobObject({ apiVersion: "velero.io/v1", kind: "BackupStorageLocation", metadata: { name: "b" } }, { ...shared, group: "velero.io" });
    expect("refusal" in bsl && bsl.refusal.code).toBe("KindNotAllowed");
  });
});
