import { describe, expect, test } from "bun:test";
import { Store, byControllerUid, byLabel, byOwnerUid } from "../../../src/kube/cache";
import type { KubeObject } from "../../../src/kube/types";

function cm(name: string, rv: string, extra: Partial<KubeObject["metadata"]> = {}, namespace = "ns"): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, resourceVersion: rv, ...extra } };
}

describe("Store.replace (relist)", () => {
  test("reports added, updated and vanished objects, and deletes the vanished ones", () => {
    const store = new Store();
    store.replace([cm("keep", "1"), cm("change", "1"), cm("gone", "1")]);
    const changes = store.replace([cm("keep", "1"), cm("change", "2"), cm("new", "3")]);
    expect(changes.added.map((object) => object.metadata.name)).toEqual(["new"]);
    expect(changes.updated.map(({ previous, current }) => [previous.metadata.name, previous.metadata.resourceVersion, current.metadata.resourceVersion])).toEqual([
      ["keep", "1", "1"],
      ["change", "1", "2"],
    ]);
    expect(changes.deleted.map((object) => object.metadata.name)).toEqual(["gone"]);
    expect(store.keys().sort()).toEqual(["ns/change", "ns/keep", "ns/new"]);
    expect(store.get("ns/gone")).toBeUndefined();
  });

  test("an empty relist deletes everything", () => {
    const store = new Store();
    store.replace([cm("a", "1"), cm("b", "1")]);
    expect(store.replace([]).deleted).toHaveLength(2);
    expect(store.size).toBe(0);
  });
});

describe("Store contents", () => {
  test("managedFields are stripped; the caller's object is not mutated", () => {
    const store = new Store();
    const object = cm("a", "1", { managedFields: [{ manager: "kubectl" }] });
    store.upsert(object);
    expect(store.get("ns/a")!.metadata.managedFields).toBeUndefined();
    expect(object.metadata.managedFields).toHaveLength(1);
  });

  test("kubectl's last-applied-configuration annotation is dropped, other annotations kept", () => {
    const store = new Store();
    const annotations = { "kubectl.kubernetes.io/last-applied-configuration": "{\"kind\":\"ConfigMap\"}", "ops.vworkspace.io/backup": "true" };
    const object = cm("a", "1", { annotations });
    store.upsert(object);
    expect(store.get("ns/a")!.metadata.annotations).toEqual({ "ops.vworkspace.io/backup": "true" });
    expect(object.metadata.annotations).toEqual(annotations);
  });

  test("cluster-scoped objects are keyed by name", () => {
    const store = new Store();
    store.upsert({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" } });
    expect(store.getByName("team-a")?.kind).toBe("Namespace");
  });

  test("list filters by namespace and label selector", () => {
    const store = new Store();
    store.upsert(cm("a", "1", { labels: { app: "x", tier: "web" } }));
    store.upsert(cm("b", "1", { labels: { app: "y" } }));
    store.upsert(cm("c", "1", { labels: { app: "x" } }, "other"));
    const names = (objects: KubeObject[]) => objects.map((object) => object.metadata.name).sort();
    expect(names(store.list({ namespace: "ns" }))).toEqual(["a", "b"]);
    expect(names(store.list({ labelSelector: "app=x" }))).toEqual(["a", "c"]);
    expect(names(store.list({ labelSelector: "app in (x,y),!tier" }))).toEqual(["b", "c"]);
    expect(names(store.list({ namespace: "ns", labelSelector: "tier" }))).toEqual(["a"]);
  });
});

describe("Store indexes", () => {
  const owned = (name: string, uid: string, controller = true) =>
    cm(name, "1", { ownerReferences: [{ apiVersion: "v1", kind: "X", name: "o", uid, controller }] });

  test("index by owner UID follows upserts and removals", () => {
    const store = new Store({ owner: byOwnerUid, controller: byControllerUid });
    store.upsert(owned("a", "u1"));
    store.upsert(owned("b", "u1", false));
    expect(store.byIndex("owner", "u1").map((object) => object.metadata.name).sort()).toEqual(["a", "b"]);
    expect(store.byIndex("controller", "u1").map((object) => object.metadata.name)).toEqual(["a"]);
    store.upsert(owned("a", "u2"));
    expect(store.byIndex("owner", "u1").map((object) => object.metadata.name)).toEqual(["b"]);
    expect(store.byIndex("owner", "u2").map((object) => object.metadata.name)).toEqual(["a"]);
    store.remove("ns/b");
    expect(store.byIndex("owner", "u1")).toEqual([]);
  });

  test("an index added later covers existing objects; relist deletions leave it", () => {
    const store = new Store();
    store.upsert(cm("a", "1", { labels: { "app.vworkspace.io/application-instance": "ai" } }));
    store.addIndex("instance", byLabel("app.vworkspace.io/application-instance"));
    expect(store.byIndex("instance", "ai")).toHaveLength(1);
    store.replace([]);
    expect(store.byIndex("instance", "ai")).toEqual([]);
    expect(() => store.byIndex("missing", "x")).toThrow(/no index/);
  });
});
