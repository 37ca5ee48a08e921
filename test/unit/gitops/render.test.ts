import { describe, expect, test } from "bun:test";
import YAML from "yaml";
import { canonicalYaml } from "../../../src/gitops/render/canonical-yaml";
import { clusterIdIssue, parseDesiredState, renderDesiredState } from "../../../src/gitops/render/desired-state";
import { renderManifest } from "../../../src/gitops/render/manifest";
import { planChanges, planRender, type TreeEntry } from "../../../src/gitops/render/plan";
import { instance, operation } from "./desired-state-fixtures";

describe("canonicalYaml", () => {
  test("top-level order apiVersion, kind, metadata, spec; nested keys sorted; two-space indent; one trailing LF", () => {
    const text = canonicalYaml({ spec: { z: 1, a: { w: 2, b: [{ d: 1, c: 2 }] } }, metadata: { name: "app" }, kind: "K", apiVersion: "v" });
    expect(text).toBe("apiVersion: v\nkind: K\nmetadata:\n  name: app\nspec:\n  a:\n    b:\n      - c: 2\n        d: 1\n    w: 2\n  z: 1\n");
  });

  test("strings (keys too) Go's YAML 1.1 parsers would read as booleans, numbers or timestamps stay strings", () => {
    const values = { a: "yes", b: "on", c: "0755", d: "1e3", e: "2026-01-01", f: "~", y: "n" };
    const text = canonicalYaml({ spec: values });
    expect(text).toContain('  "y": "n"\n');
    expect(YAML.parse(text, { version: "1.1" }).spec).toEqual(values);
  });

  test("long strings are never folded, so a re-render cannot wrap differently", () => {
    const long = "x ".repeat(200).trim();
    expect(canonicalYaml({ spec: { long } }).split("\n")).toContain(`  long: ${long}`);
  });
});

describe("renderManifest", () => {
  test("strips what the API server owns, stamps the cluster's labels over existing ones, keeps the author's fields", () => {
    const input = {
      ...instance("team-a", "app1"),
      metadata: {
        name: "app1",
        namespace: "team-a",
        uid: "u",
        resourceVersion: "7",
        generation: 3,
        creationTimestamp: "2026-01-01T00:00:00Z",
        managedFields: [{ manager: "x" }],
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o", uid: "o" }],
        labels: { team: "a", "app.vworkspace.io/cluster-id": "elsewhere", "app.vworkspace.io/managed-by": "someone" },
        annotations: { note: "kept" },
      },
      status: { phase: "Ready" },
    };
    const result = renderManifest(input, "c1");
    if (!result.ok) throw new Error(result.error);
    expect(result.manifest.path).toBe("clusters/c1/namespaces/team-a/applicationinstance-app1.yaml");
    expect(result.manifest.identity).toBe("ApplicationInstance/team-a/app1");
    const written = YAML.parse(result.manifest.content);
    expect(Object.keys(written)).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(written.metadata).toEqual({
      annotations: { note: "kept" },
      labels: { "app.vworkspace.io/cluster-id": "c1", "app.vworkspace.io/managed-by": "control-plane", team: "a" },
      name: "app1",
      namespace: "team-a",
    });
    expect(written.spec).toEqual(instance("team-a", "app1").spec);
  });

  test("an Operation lands at operation-<name>.yaml", () => {
    const result = renderManifest(operation("team-a", "app1-backup"), "c1");
    expect(result.ok && result.manifest.path).toBe("clusters/c1/namespaces/team-a/operation-app1-backup.yaml");
  });

  test.each([
    ["a Secret", { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "team-a" } }, 'kind "Secret" is not allowed'],
    ["a missing namespace", { ...instance("team-a", "app1"), metadata: { name: "app1" } }, "metadata.namespace is required"],
    ["a namespace that is not a DNS-1123 label", { ...instance("team-a", "app1"), metadata: { name: "app1", namespace: "Team_A" } }, "is not a DNS-1123 label"],
    ["a name that is not DNS-1123", { ...instance("team-a", "app1"), metadata: { name: "App One", namespace: "team-a" } }, "is not a DNS-1123 subdomain"],
    ["a CRD-schema violation", { ...instance("team-a", "app1"), spec: { appRef: { catalogId: "" } } }, "schema: spec.appRef.catalogId: must not be empty"],
    ["a wrong apiVersion", { ...instance("team-a", "app1"), apiVersion: "apps.vworkspace.io/v2" }, "schema: apiVersion"],
    ["a spec rule the API server's CEL enforces", { ...instance("team-a", "app1"), spec: { appRef: { catalogId: "c" }, mode: "placeholder", chart: instance("t", "a").spec.chart } }, "AI-"],
    ["an unknown top-level field", { ...instance("team-a", "app1"), data: {} }, 'unknown top-level field "data"'],
    ["labels that are not strings", { ...instance("team-a", "app1"), metadata: { name: "app1", namespace: "team-a", labels: { n: 1 } } }, "schema: metadata.labels"],
  ])("%s is refused", (_what, input, message) => {
    const result = renderManifest(input, "c1");
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.error).toContain(message);
  });
});

describe("clusterIdIssue", () => {
  test.each(["../x", "a/b", "a..b", "", "-x", "x".repeat(64), "a b"])("%p is refused", (id) => expect(clusterIdIssue(id)).toBeDefined());
  test.each(["c1", "prod.eu-1", "A_b"])("%p is accepted", (id) => expect(clusterIdIssue(id)).toBeUndefined());
  test("names the rule it breaks", () => {
    expect(clusterIdIssue("../x")).toContain('must not contain "/"');
    expect(clusterIdIssue("a..b")).toContain('must not contain ".."');
  });
});

describe("renderDesiredState", () => {
  test("sorted by path, --cluster-id overrides the document's clusterId", () => {
    const result = renderDesiredState({ clusterId: "c1", objects: [operation("b", "op"), instance("a", "x")] }, "c2");
    if (!result.ok) throw new Error(result.errors.join("; "));
    expect(result.cluster.clusterId).toBe("c2");
    expect(result.cluster.manifests.map((manifest) => manifest.path)).toEqual(["clusters/c2/namespaces/a/applicationinstance-x.yaml", "clusters/c2/namespaces/b/operation-op.yaml"]);
  });

  test("reports every problem, duplicates by kind/namespace/name included, and no manifest", () => {
    const result = renderDesiredState({ clusterId: "c1", objects: [instance("a", "x"), instance("a", "x"), instance("b", "x"), { kind: "ConfigMap" }] });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toEqual([
      "objects[1]: duplicate of objects[0] (ApplicationInstance/a/x)",
      'objects[3] (ConfigMap ): kind "ConfigMap" is not allowed: only ApplicationInstance and Operation belong under a cluster\'s path',
    ]);
  });

  test("the same name in two namespaces or as two kinds is not a duplicate", () => {
    expect(renderDesiredState({ clusterId: "c1", objects: [instance("a", "x"), instance("b", "x"), operation("a", "x")] }).ok).toBe(true);
  });

  test("a missing clusterId or objects list is an error, an empty list is a cluster with nothing declared", () => {
    expect(renderDesiredState({ objects: [] }).ok).toBe(false);
    expect(renderDesiredState({ clusterId: "c1" }).ok).toBe(false);
    expect(renderDesiredState({ clusterId: "c1", objects: [] })).toEqual({ ok: true, cluster: { clusterId: "c1", manifests: [] } });
  });
});

describe("parseDesiredState", () => {
  test("JSON and YAML read the same", () => {
    const json = parseDesiredState('{"clusterId":"c1","objects":[]}');
    const yaml = parseDesiredState("clusterId: c1\nobjects: []\n");
    expect(json).toEqual(yaml);
    expect(json).toEqual({ ok: true, document: { clusterId: "c1", objects: [] } });
  });

  test.each([
    ["", "expected one"],
    ["{", "not valid JSON or YAML"],
    ["a: 1\n---\nb: 2\n", "2 YAML documents"],
    ["[]", "must be an object"],
    ["just text", "must be an object"],
  ])("%p is refused", (text, message) => {
    const result = parseDesiredState(text);
    expect(result.ok ? "" : result.error).toContain(message);
  });
});

describe("planRender", () => {
  const rendered = (paths: Record<string, string>) => Object.entries(paths).map(([path, content]) => ({ path, content, identity: path }));
  const base = "clusters/c1/namespaces";

  test("writes new and changed files only", () => {
    const existing: TreeEntry[] = [
      { path: `${base}/a`, type: "directory" },
      { path: `${base}/a/same.yaml`, type: "file", content: "same\n" },
      { path: `${base}/a/changed.yaml`, type: "file", content: "old\n" },
    ];
    const plan = planRender(rendered({ [`${base}/a/same.yaml`]: "same\n", [`${base}/a/changed.yaml`]: "new\n", [`${base}/b/new.yaml`]: "n\n" }), existing, true);
    expect(plan.writes.map((write) => write.path)).toEqual([`${base}/a/changed.yaml`, `${base}/b/new.yaml`]);
    expect(plan).toMatchObject({ deletes: [], removedDirectories: [], unchanged: 1 });
  });

  test("prunes YAML files not produced and the directories they leave empty, deepest first; keeps other files", () => {
    const existing: TreeEntry[] = [
      { path: `${base}/gone`, type: "directory" },
      { path: `${base}/gone/deep`, type: "directory" },
      { path: `${base}/gone/deep/x.yml`, type: "file", content: "" },
      { path: `${base}/gone/y.yaml`, type: "file", content: "" },
      { path: `${base}/notes`, type: "directory" },
      { path: `${base}/notes/README.md`, type: "file" },
      { path: `${base}/notes/old.yaml`, type: "file", content: "" },
      { path: `${base}/linked`, type: "other" },
      { path: `${base}/empty`, type: "directory" },
    ];
    const plan = planRender([], existing, true);
    expect(plan.deletes).toEqual([`${base}/gone/deep/x.yml`, `${base}/gone/y.yaml`, `${base}/notes/old.yaml`]);
    expect(plan.removedDirectories).toEqual([`${base}/gone/deep`, `${base}/empty`, `${base}/gone`]);
    expect(planChanges(plan)).toBe(6);
  });

  test("--prune=false deletes nothing", () => {
    const plan = planRender([], [{ path: `${base}/a`, type: "directory" }, { path: `${base}/a/x.yaml`, type: "file", content: "" }], false);
    expect(planChanges(plan)).toBe(0);
  });
});
