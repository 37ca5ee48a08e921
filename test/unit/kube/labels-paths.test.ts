import { describe, expect, test } from "bun:test";
import { formatSelector, matchesSelector, parseSelector } from "../../../src/kube/labels";
import { collectionPath, groupVersionPath, objectPath, parseResourcePath, queryString } from "../../../src/kube/paths";
import type { ResourceType } from "../../../src/kube/types";

const configMaps: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const helmReleases: ResourceType = { group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease", plural: "helmreleases", namespaced: true };
const namespaces: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };

describe("paths", () => {
  test("collections and objects, core and named groups", () => {
    expect(collectionPath(configMaps, "ns")).toBe("/api/v1/namespaces/ns/configmaps");
    expect(collectionPath(configMaps)).toBe("/api/v1/configmaps");
    expect(objectPath(helmReleases, "web", "ns", "status")).toBe("/apis/helm.toolkit.fluxcd.io/v2/namespaces/ns/helmreleases/web/status");
    expect(objectPath(namespaces, "team")).toBe("/api/v1/namespaces/team");
    expect(() => objectPath(configMaps, "a")).toThrow(/needs a namespace/);
    expect(() => objectPath(configMaps, "../x", "ns")).toThrow(/invalid path segment/);
  });

  test("no segment built into a path may hold '/' or '..' or be empty, whatever the caller passed", () => {
    const escaping: ResourceType = { ...helmReleases, group: "apps.vworkspace.io", version: "v1alpha1/../../ops.vworkspace.io/v1alpha1" };
    expect(() => collectionPath(escaping, "ns")).toThrow(/invalid path segment/);
    expect(() => objectPath({ ...helmReleases, group: "a/../b" }, "web", "ns")).toThrow(/invalid path segment/);
    expect(() => objectPath({ ...helmReleases, group: ".." }, "web", "ns")).toThrow(/invalid path segment/);
    expect(() => objectPath({ ...configMaps, version: "" }, "web", "ns")).toThrow(/invalid path segment/);
    expect(() => objectPath({ ...configMaps, plural: "configmaps/../secrets" }, "web", "ns")).toThrow(/invalid path segment/);
    expect(() => objectPath(configMaps, "a..b", "ns")).toThrow(/invalid path segment/);
    expect(() => objectPath(configMaps, "web", "../kube-system")).toThrow(/invalid path segment/);
    expect(() => objectPath(configMaps, "web", "ns", "status/../../x")).toThrow(/invalid path segment/);
    expect(() => groupVersionPath("apps", "v1/..")).toThrow(/invalid path segment/);
    expect(groupVersionPath("", "v1")).toBe("/api/v1");
    expect(groupVersionPath("apps.vworkspace.io", "v1alpha1")).toBe("/apis/apps.vworkspace.io/v1alpha1");
  });

  test("parseResourcePath inverts them, including namespace subresources", () => {
    expect(parseResourcePath("/api/v1/namespaces/ns/secrets/db")).toEqual({ group: "", version: "v1", namespace: "ns", plural: "secrets", name: "db", subresource: undefined });
    expect(parseResourcePath("/api/v1/namespaces/team")).toMatchObject({ plural: "namespaces", name: "team" });
    expect(parseResourcePath("/api/v1/namespaces/team/status")).toMatchObject({ plural: "namespaces", name: "team", subresource: "status" });
    expect(parseResourcePath("/api/v1/namespaces/ns/configmaps")).toMatchObject({ plural: "configmaps", namespace: "ns" });
    expect(parseResourcePath("/apis/helm.toolkit.fluxcd.io/v2/namespaces/ns/helmreleases/web/status")).toMatchObject({ group: "helm.toolkit.fluxcd.io", plural: "helmreleases", subresource: "status" });
    expect(parseResourcePath("/readyz")).toBeUndefined();
    expect(parseResourcePath("/apis/apps/v1")).toBeUndefined();
  });

  test("queryString skips empty values", () => {
    expect(queryString({ watch: 1, labelSelector: "a=b", continue: undefined, fieldSelector: "" })).toBe("?watch=1&labelSelector=a%3Db");
    expect(queryString({})).toBe("");
  });
});

describe("label selectors", () => {
  const labels = { app: "web", tier: "front", "app.kubernetes.io/name": "x" };

  test.each([
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app!=web", false],
    ["missing!=x", true],
    ["app in (web, api)", true],
    ["app notin (web)", false],
    ["missing notin (web)", true],
    ["tier", true],
    ["!tier", false],
    ["app=web,tier=back", false],
    ["app.kubernetes.io/name=x,app in (a,web)", true],
  ])("%p matches: %p", (selector, expected) => {
    expect(matchesSelector(labels, parseSelector(selector))).toBe(expected);
  });

  test("invalid requirements are rejected", () => {
    expect(() => parseSelector("a b")).toThrow(/invalid label selector/);
  });

  test("formatSelector renders metav1.LabelSelector", () => {
    expect(
      formatSelector({
        matchLabels: { a: "1" },
        matchExpressions: [
          { key: "b", operator: "In", values: ["x", "y"] },
          { key: "c", operator: "DoesNotExist" },
        ],
      }),
    ).toBe("a=1,b in (x,y),!c");
  });
});
