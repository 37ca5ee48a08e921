import { describe, expect, test } from "bun:test";
import { checkTargetNames, isRefusal, parseApiVersion } from "../../../src/policy/api-version";

describe("apiVersion shape", () => {
  test("version or group/version with a DNS-1123 group and a Kubernetes version", () => {
    expect(parseApiVersion("v1")).toEqual({ group: "", version: "v1" });
    expect(parseApiVersion("apps.vworkspace.io/v1alpha1")).toEqual({ group: "apps.vworkspace.io", version: "v1alpha1" });
    expect(parseApiVersion("helm.toolkit.fluxcd.io/v2")).toEqual({ group: "helm.toolkit.fluxcd.io", version: "v2" });
    expect(parseApiVersion("source.toolkit.fluxcd.io/v1beta2")).toEqual({ group: "source.toolkit.fluxcd.io", version: "v1beta2" });
  });

  test.each([
    "apps.vworkspace.io/v1alpha1/../../ops.vworkspace.io/v1alpha1",
    "apps.vworkspace.io/../v1",
    "../v1",
    "..",
    "",
    "/v1",
    "apps.vworkspace.io/",
    "apps.vworkspace.io/v1/",
    "Apps.io/v1",
    "apps..io/v1",
    "apps.io/V1",
    "apps.io/v0",
    "apps.io/v01",
    "apps.io/v1gamma1",
    "apps.io/v1beta0",
    "apps.io/v1beta",
    "apps.io/v1%2F..",
    "apps.io/v1?x=1",
    "apps.io/v1 ",
    "a".repeat(254) + "/v1",
  ])("%p is refused as InvalidPayload", (apiVersion) => {
    const parsed = parseApiVersion(apiVersion);
    expect(isRefusal(parsed)).toBe(true);
    expect(parsed).toMatchObject({ code: "InvalidPayload" });
    // The detail never quotes the payload value.
    if (apiVersion.length > 2) expect((parsed as { detail: string }).detail).not.toContain(apiVersion);
  });
});

describe("target names", () => {
  test("DNS-1123 names, namespaces and identifier kinds pass", () => {
    expect(checkTargetNames("ConfigMap", "settings.v2-a", "team-a")).toBeUndefined();
    expect(checkTargetNames("Cluster", "vws-test", "")).toBeUndefined();
    expect(checkTargetNames("ConfigMap", "a".repeat(253), "n".repeat(63))).toBeUndefined();
  });

  test.each([
    ["ConfigMap", "..", "ns"],
    ["ConfigMap", "a/b", "ns"],
    ["ConfigMap", "a..b", "ns"],
    ["ConfigMap", "UPPER", "ns"],
    ["ConfigMap", "", "ns"],
    ["ConfigMap", "a".repeat(254), "ns"],
    ["ConfigMap", "x", "../kube-system"],
    ["ConfigMap", "x", "a.b"],
    ["ConfigMap", "x", "n".repeat(64)],
    ["Config/Map", "x", "ns"],
    ["..", "x", "ns"],
    ["", "x", "ns"],
  ])("%p %p in %p is refused", (kind, name, namespace) => {
    expect(checkTargetNames(kind, name, namespace)?.code).toBe("InvalidPayload");
  });
});
