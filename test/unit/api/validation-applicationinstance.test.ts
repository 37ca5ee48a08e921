import { describe, expect, test } from "bun:test";
import type { ApplicationInstance } from "../../../src/api/applicationinstance";
import {
  validateApplicationInstanceAdmission,
  validateApplicationInstanceSpec,
  type ApplicationInstanceAdmission,
} from "../../../src/api/validation/applicationinstance";
import { applicationInstanceObject } from "./fixtures";

// Typed by cast on purpose: the rules must also cope with values the CRD would reject (legacy objects).
function ai(spec: Record<string, unknown> = {}, status?: Record<string, unknown>): ApplicationInstance {
  return applicationInstanceObject(spec, status) as unknown as ApplicationInstance;
}

const placeholderSpec = { mode: "placeholder", chart: undefined, values: undefined, release: undefined };
const PEM = "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----";
const chart = { sourceType: "helm", url: "https://charts.example.com", name: "odoo", version: "1.2.3" };

function admit(input: Partial<ApplicationInstanceAdmission> = {}) {
  return validateApplicationInstanceAdmission({ object: ai(), namespaceGated: true, clusterId: "c1", ...input });
}

describe("validateApplicationInstanceAdmission (docs/operations.md#applicationinstance-rules)", () => {
  test("a valid managed instance and a valid placeholder pass", () => {
    expect(admit()).toBeUndefined();
    expect(admit({ object: ai(placeholderSpec) })).toBeUndefined();
    expect(admit({ object: ai({ ...placeholderSpec, release: { name: "x", namespace: "team-a" } }) })).toBeUndefined();
  });

  test.each<[string, Partial<ApplicationInstanceAdmission>, string, string, string]>([
    [
      "ungated namespace",
      { namespaceGated: false },
      "AI-1",
      "NamespaceNotGated",
      'namespace "team-a" is not managed by vworkspace (label managed-by=vworkspace missing)',
    ],
    [
      "cluster id mismatch",
      { clusterId: "c2" },
      "AI-2",
      "ClusterMismatch",
      'label app.vworkspace.io/cluster-id="c1" does not match this cluster "c2"',
    ],
    ["release removed", { oldObject: ai(), object: ai({ release: undefined }) }, "AI-3", "ImmutableField", "spec.release cannot be removed once set"],
    [
      "release renamed",
      { oldObject: ai(), object: ai({ release: { name: "shop2", namespace: "team-a" } }) },
      "AI-3",
      "ImmutableField",
      "spec.release.name is immutable",
    ],
    [
      "release moved",
      { oldObject: ai(), object: ai({ release: { name: "shop", namespace: "team-b" } }) },
      "AI-3",
      "ImmutableField",
      "spec.release.namespace is immutable",
    ],
    [
      "managed to placeholder",
      { oldObject: ai({ release: undefined }), object: ai(placeholderSpec) },
      "AI-4",
      "ModeTransitionRejected",
      "cannot switch a managed instance that owns (or may own) a Helm release to placeholder mode; delete and recreate as a placeholder instead",
    ],
  ])("denies %s", (_name, input, rule, reason, message) => {
    expect(admit(input)).toEqual({ rule, reason: reason as never, message });
  });

  test("the gate is checked before the cluster id, and both before the spec", () => {
    const broken = ai({ appRef: { catalogId: "" } });
    expect(admit({ object: broken, namespaceGated: false, clusterId: "c2" })?.rule).toBe("AI-1");
    expect(admit({ object: broken, clusterId: "c2" })?.rule).toBe("AI-2");
  });

  test("cluster identity passes without a label or without an operator cluster id", () => {
    const unlabelled = ai();
    unlabelled.metadata.labels = {};
    expect(admit({ object: unlabelled, clusterId: "c2" })).toBeUndefined();
    expect(admit({ clusterId: "" })).toBeUndefined();
    expect(admit({ clusterId: undefined })).toBeUndefined();
  });

  test("AI-4 applies to managed→placeholder only, and looks at both statuses", () => {
    const bare = ai({ ...placeholderSpec, mode: "managed" });
    const withRef = { helmReleaseRef: { name: "shop", namespace: "team-a" } };
    expect(admit({ oldObject: bare, object: ai(placeholderSpec) })).toBeUndefined();
    expect(admit({ oldObject: ai({ ...placeholderSpec, mode: "managed" }, withRef), object: ai(placeholderSpec) })?.rule).toBe("AI-4");
    expect(admit({ oldObject: bare, object: ai(placeholderSpec, withRef) })?.rule).toBe("AI-4");
    expect(admit({ oldObject: ai(placeholderSpec), object: ai({ ...placeholderSpec, appRef: { catalogId: "b" } }) })).toBeUndefined();
    expect(admit({ oldObject: ai({ ...placeholderSpec, release: undefined }), object: ai() })).toBeUndefined();
  });

  test.each<[string, Record<string, unknown>, string, string]>([
    ["blank catalogId", { appRef: { catalogId: "  " } }, "AI-5", "spec.appRef.catalogId is required"],
    ["placeholder with chart", { ...placeholderSpec, chart }, "AI-6", "spec.chart must not be set in placeholder mode"],
    ["placeholder with values", { ...placeholderSpec, values: { source: "inline", inline: {} } }, "AI-7", "spec.values must not be set in placeholder mode"],
    ["release in another namespace", { release: { name: "shop", namespace: "team-b" } }, "AI-8", "spec.release.namespace must match metadata.namespace"],
    ["placeholder release in another namespace", { ...placeholderSpec, release: { name: "x", namespace: "b" } }, "AI-8", "spec.release.namespace must match metadata.namespace"],
    ["managed without chart", { chart: undefined }, "AI-9", "spec.chart is required"],
    ["blank chart url", { chart: { ...chart, url: " " } }, "AI-10", "spec.chart.url is required"],
    ["blank chart name", { chart: { ...chart, name: "" } }, "AI-10", "spec.chart.name is required"],
    ["blank chart version", { chart: { ...chart, version: "" } }, "AI-10", "spec.chart.version is required"],
    ["oci with https url", { chart: { ...chart, sourceType: "oci" } }, "AI-11", "spec.chart.url must start with oci:// when spec.chart.sourceType is oci"],
    ["helm with oci url", { chart: { ...chart, url: "oci://ghcr.io/x" } }, "AI-11", "spec.chart.url must start with http:// or https:// when spec.chart.sourceType is helm"],
    ["version latest", { chart: { ...chart, version: "latest" } }, "AI-12", 'spec.chart.version must be an exact semantic version (no ranges, no "latest")'],
    ["version range", { chart: { ...chart, version: "^1.2.0" } }, "AI-12", 'spec.chart.version must be an exact semantic version (no ranges, no "latest")'],
    ["managed without release", { release: undefined }, "AI-13", "spec.release is required"],
    ["blank release name", { release: { name: "", namespace: "team-a" } }, "AI-13", "spec.release.name is required"],
    ["blank release namespace", { release: { name: "shop", namespace: "" } }, "AI-13", "spec.release.namespace is required"],
    ["release name upper case", { release: { name: "Shop", namespace: "team-a" } }, "AI-13", "spec.release.name must be a DNS-1123 label of at most 53 characters"],
    ["release name of 54", { release: { name: "a".repeat(54), namespace: "team-a" } }, "AI-13", "spec.release.name must be a DNS-1123 label of at most 53 characters"],
    ["managed without values", { values: undefined }, "AI-14", "spec.values is required"],
    ["inline source without inline", { values: { source: "inline" } }, "AI-15", "spec.values.inline is required when spec.values.source is inline"],
    ["secretRef source without secretRef", { values: { source: "secretRef" } }, "AI-15", "spec.values.secretRef.name and .key are required when spec.values.source is secretRef"],
    ["configMapRef without key", { values: { source: "configMapRef", configMapRef: { name: "cm", key: "" } } }, "AI-15", "spec.values.configMapRef.name and .key are required when spec.values.source is configMapRef"],
    ["inline next to secretRef", { values: { source: "secretRef", secretRef: { name: "s", key: "k" }, inline: {} } }, "AI-16", "spec.values.inline must not be set when spec.values.source is secretRef"],
    ["configMapRef next to inline", { values: { source: "inline", inline: {}, configMapRef: { name: "c", key: "k" } } }, "AI-16", "spec.values.configMapRef must not be set when spec.values.source is inline"],
    ["inline password", { values: { source: "inline", inline: { db: { password: "x" } } } }, "AI-17", 'inline secret material rejected at "db.password": use secretRef or configMapRef'],
    ["inline PEM", { values: { source: "inline", inline: { tls: { secretName: PEM } } } }, "AI-17", 'inline secret material rejected at "tls.secretName": PEM private key not allowed inline'],
  ])("denies %s", (_name, spec, rule, message) => {
    const reason = rule === "AI-17" ? "InlineSecretMaterialRejected" : "ValidationFailed";
    expect(admit({ object: ai(spec) })).toEqual({ rule, reason, message });
  });

  test.each<[string, Record<string, unknown>]>([
    ["oci chart", { chart: { sourceType: "oci", url: "oci://ghcr.io/org/charts", name: "app", version: "v1.2.3+build.1" } }],
    ["http helm repository", { chart: { ...chart, url: "http://charts.local" } }],
    ["secretRef values", { values: { source: "secretRef", secretRef: { name: "s", key: "values.yaml" } } }],
    ["configMapRef values", { values: { source: "configMapRef", configMapRef: { name: "c", key: "values.yaml" } } }],
    ["empty inline values", { values: { source: "inline", inline: {} } }],
    ["inline secrets scanned only for inline", { values: { source: "secretRef", secretRef: { name: "s", key: "k" } } }],
    ["release name of 53", { release: { name: "a".repeat(53), namespace: "team-a" } }],
  ])("admits %s", (_name, spec) => {
    expect(admit({ object: ai(spec) })).toBeUndefined();
  });
});

describe("validateApplicationInstanceSpec (docs/applications.md#reconcile-flow step 6)", () => {
  const applied = { helmReleaseRef: { name: "shop", namespace: "team-a" } };

  test("a valid instance whose release matches its status passes", () => {
    expect(validateApplicationInstanceSpec(ai({}, applied))).toBeUndefined();
    expect(validateApplicationInstanceSpec(ai())).toBeUndefined();
  });

  test("spec.release must equal status.helmReleaseRef", () => {
    const renamed = ai({ release: { name: "shop2", namespace: "team-a" } }, applied);
    expect(validateApplicationInstanceSpec(renamed)?.message).toBe("spec.release.name is immutable");
    expect(validateApplicationInstanceSpec(ai({ release: undefined }, applied))?.message).toBe("spec.release cannot be removed once set");
  });

  test("a placeholder must not have status.helmReleaseRef", () => {
    const placeholder = ai({ ...placeholderSpec, release: { name: "shop", namespace: "team-a" } }, applied);
    expect(validateApplicationInstanceSpec(placeholder)?.rule).toBe("AI-4");
    expect(validateApplicationInstanceSpec(ai({ ...placeholderSpec }))).toBeUndefined();
  });

  test("runs the spec rules and never the gate or identity rules", () => {
    expect(validateApplicationInstanceSpec(ai({ chart: undefined }))?.message).toBe("spec.chart is required");
  });
});
