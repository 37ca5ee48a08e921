import { describe, expect, test } from "bun:test";
import { ownerKey } from "../../../../src/controllers/applicationinstance/controller";
import { takeoverPatch } from "../../../../src/controllers/applicationinstance/takeover";
import type { HelmRelease, HelmReleaseSpec } from "../../../../src/flux/types";

const base: Omit<HelmReleaseSpec, "chart" | "chartRef" | "values" | "valuesFrom"> = {
  interval: "5m0s",
  timeout: "10m0s",
  suspend: false,
  serviceAccountName: "vworkspace-tenant",
  install: { remediation: { retries: 3 } },
  upgrade: { remediation: { retries: 3, strategy: "rollback" } },
};
const chart = { spec: { chart: "app", version: "1.0.0", sourceRef: { kind: "HelmRepository" as const, name: "shop-source" } } };
const chartRef = { kind: "OCIRepository" as const, name: "shop-source" };

function goStyle(spec: Partial<HelmReleaseSpec>, managers = ["manager"]): HelmRelease {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: "shop", namespace: "team-a", resourceVersion: "42", managedFields: managers.map((manager) => ({ manager, operation: "Update" })) },
    spec,
  };
}

describe("takeover of a Go-written HelmRelease (docs/applications.md#adopting-existing-objects)", () => {
  test("removes copied secret values and swaps chart for chartRef in one guarded patch", () => {
    const existing = goStyle({ chart, values: { password: "plain" } });
    expect(takeoverPatch(existing, { ...base, chartRef, valuesFrom: [{ kind: "Secret", name: "s", valuesKey: "v" }] })).toEqual([
      { op: "test", path: "/metadata/resourceVersion", value: "42" },
      { op: "remove", path: "/spec/values" },
      { op: "remove", path: "/spec/chart" },
      { op: "add", path: "/spec/chartRef", value: chartRef },
    ]);
  });

  test("nothing to do when the desired state keeps every present path, or once we manage the object", () => {
    expect(takeoverPatch(goStyle({ chart, values: { a: 1 } }), { ...base, chart, values: { a: 2 } })).toBeUndefined();
    expect(takeoverPatch(goStyle({ chart, values: { a: 1 } }, ["manager", "vworkspace-operator"]), { ...base, chartRef })).toBeUndefined();
  });

  test("chartRef → chart is swapped too", () => {
    expect(takeoverPatch(goStyle({ chartRef }), { ...base, chart })).toEqual([
      { op: "test", path: "/metadata/resourceVersion", value: "42" },
      { op: "remove", path: "/spec/chartRef" },
      { op: "add", path: "/spec/chart", value: chart },
    ]);
  });
});

describe("watch mapping of Flux children (docs/applications.md#watches-and-writes)", () => {
  const child = (ownerReferences: unknown[] | undefined, labels?: Record<string, string>): HelmRelease =>
    ({ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "x", namespace: "ns", ownerReferences, labels } }) as HelmRelease;
  test.each<[string, HelmRelease, string[]]>([
    ["controller ownerReference", child([{ apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "a", uid: "u", controller: true }], { "app.vworkspace.io/application-instance": "b" }), ["ns/a"]],
    ["else the label", child([{ apiVersion: "v1", kind: "ConfigMap", name: "c", uid: "u", controller: true }], { "app.vworkspace.io/application-instance": "b" }), ["ns/b"]],
    ["neither", child(undefined), []],
  ])("%s", (_name, object, expected) => {
    expect(ownerKey(object)).toEqual(expected);
  });
});
