import { describe, expect, test } from "bun:test";
import type { ApplicationInstance } from "../../../../src/api/applicationinstance";
import {
  childLabels,
  desiredHelmRelease,
  desiredSource,
  needsIndexRefresh,
  type ChildSettings,
  type ManagedInstance,
} from "../../../../src/controllers/applicationinstance/desired";
import { applicationInstanceObject } from "../../api/fixtures";

const settings: ChildSettings = { helmReleaseIntervalMs: 300_000, helmReleaseTimeoutMs: 600_000, sourceIntervalMs: 600_000, clusterId: "c1", serviceAccountName: "vworkspace-tenant" };
const ociChart = { sourceType: "oci", url: "oci://ghcr.io/org/charts/", name: "app", version: "1.2.3+build.1" };

function ai(spec: Record<string, unknown> = {}, status?: Record<string, unknown>): ManagedInstance {
  const object = applicationInstanceObject(spec, status) as unknown as ApplicationInstance;
  object.metadata.uid = "uid-1";
  return object as ManagedInstance;
}

const owner = { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "shop", uid: "uid-1", controller: true, blockOwnerDeletion: true };
const labels = { "app.vworkspace.io/managed-by": "vworkspace-operator", "app.vworkspace.io/application-instance": "shop", "app.vworkspace.io/cluster-id": "c1" };

describe("desired chart source (docs/applications.md#chart-sources)", () => {
  test("helm: HelmRepository <release>-source with url, interval, labels and controller ownerRef", () => {
    const { type, body } = desiredSource(ai(), settings);
    expect(type.plural).toBe("helmrepositories");
    expect(body).toEqual({
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "HelmRepository",
      metadata: { name: "shop-source", namespace: "team-a", labels, ownerReferences: [owner] },
      spec: { url: "https://charts.example.com", interval: "10m0s" },
    });
  });

  test("oci: OCIRepository url with the chart name, tag with + replaced, layer selector", () => {
    const { type, body } = desiredSource(ai({ chart: ociChart }), { ...settings, sourceIntervalMs: 90_000 });
    expect(type.plural).toBe("ocirepositories");
    expect(body.kind).toBe("OCIRepository");
    expect(body.spec).toEqual({
      url: "oci://ghcr.io/org/charts/app",
      interval: "1m30s",
      ref: { tag: "1.2.3_build.1" },
      layerSelector: { mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", operation: "copy" },
    });
  });

  test("a helm version change sets requestedAt so Flux refetches the index", () => {
    const bumped = ai({}, { lastAppliedChart: { sourceType: "helm", url: "https://charts.example.com", name: "odoo", version: "1.2.2" } });
    expect(needsIndexRefresh(bumped)).toBe(true);
    expect(needsIndexRefresh(ai())).toBe(false);
    expect(needsIndexRefresh(ai({}, { lastAppliedChart: { sourceType: "helm", url: "https://charts.example.com", name: "odoo", version: "1.2.3" } }))).toBe(false);
    const { body } = desiredSource(bumped, settings, Date.UTC(2030, 0, 1));
    expect(body.metadata.annotations).toEqual({ "reconcile.fluxcd.io/requestedAt": "2030-01-01T00:00:00Z" });
    expect(desiredSource(ai(), settings).body.metadata.annotations).toBeUndefined();
  });
});

describe("child labels (docs/concepts.md#labels, docs/applications.md#chart-sources)", () => {
  test.each<[string, Record<string, string> | undefined, string, string | undefined]>([
    ["the instance's cluster id wins", { "app.vworkspace.io/cluster-id": "a" }, "b", "a"],
    ["else the operator's", undefined, "b", "b"],
    ["else none", undefined, "", undefined],
  ])("%s", (_name, instanceLabels, clusterId, expected) => {
    const object = ai();
    object.metadata.labels = { ...instanceLabels, "app.vworkspace.io/managed-by": "control-plane" };
    const result = childLabels(object, clusterId);
    expect(result["app.vworkspace.io/cluster-id"]).toBe(expected as string);
    expect(result["app.vworkspace.io/managed-by"]).toBe("vworkspace-operator");
  });
});

describe("desired HelmRelease (docs/applications.md#the-helmrelease, docs/applications.md#values)", () => {
  test("helm source: chart.spec with sourceRef, defaults, suspend false always written, inline values", () => {
    const { type, body } = desiredHelmRelease(ai(), settings);
    expect(type.plural).toBe("helmreleases");
    expect(body).toEqual({
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: { name: "shop", namespace: "team-a", labels, ownerReferences: [owner] },
      spec: {
        interval: "5m0s",
        timeout: "10m0s",
        suspend: false,
        serviceAccountName: "vworkspace-tenant",
        install: { remediation: { retries: 3 } },
        upgrade: { remediation: { retries: 3, strategy: "rollback" } },
        chart: { spec: { chart: "odoo", version: "1.2.3", sourceRef: { kind: "HelmRepository", name: "shop-source" } } },
        values: { replicas: 2, nested: { list: [1, "a"] } },
      },
    });
  });

  test("oci source: chartRef and no chart", () => {
    const spec = desiredHelmRelease(ai({ chart: ociChart }), settings).body.spec as Record<string, unknown>;
    expect(spec.chartRef).toEqual({ kind: "OCIRepository", name: "shop-source" });
    expect(spec.chart).toBeUndefined();
  });

  test.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ["secretRef → valuesFrom Secret", { source: "secretRef", secretRef: { name: "db", key: "values.yaml" } }, { valuesFrom: [{ kind: "Secret", name: "db", valuesKey: "values.yaml" }] }],
    ["configMapRef → valuesFrom ConfigMap", { source: "configMapRef", configMapRef: { name: "cm", key: "v" } }, { valuesFrom: [{ kind: "ConfigMap", name: "cm", valuesKey: "v" }] }],
    ["empty inline → neither", { source: "inline", inline: {} }, {}],
  ])("%s", (_name, values, expected) => {
    const spec = desiredHelmRelease(ai({ values }), settings).body.spec as Record<string, unknown>;
    expect({ values: spec.values, valuesFrom: spec.valuesFrom }).toEqual({ values: undefined, valuesFrom: undefined, ...expected });
  });

  test("runs as the ServiceAccount the settings name (the namespace's Flux tenant)", () => {
    const spec = desiredHelmRelease(ai(), { ...settings, serviceAccountName: "team-deployer" }).body.spec as Record<string, unknown>;
    expect(spec.serviceAccountName).toBe("team-deployer");
  });

  test("suspend and the configured interval and timeout are written", () => {
    const spec = desiredHelmRelease(ai({ suspend: true }), { ...settings, helmReleaseIntervalMs: 60_000, helmReleaseTimeoutMs: 3_600_000 }).body.spec as Record<string, unknown>;
    expect(spec).toMatchObject({ suspend: true, interval: "1m0s", timeout: "1h0m0s" });
  });
});
