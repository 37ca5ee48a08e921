/** AppliedObjects: when a repeated server-side apply may be skipped, and every edit that forbids it. */
import { describe, expect, test } from "bun:test";
import { AppliedObjects } from "../../../src/kube/applied";
import { containsFields } from "../../../src/kube/equality";
import type { KubeObject, ResourceType } from "../../../src/kube/types";

const RELEASES: ResourceType = { group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease", plural: "helmreleases", namespaced: true };
const owner = { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "shop", uid: "u-ai", controller: true };

function desired(version = "1.0.0"): KubeObject {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: "shop", namespace: "team-a", labels: { "app.vworkspace.io/managed-by": "vworkspace-operator" }, ownerReferences: [owner] },
    spec: { chart: { spec: { chart: "odoo", version } } },
  };
}

/** The stored object after our apply: server-set metadata, defaults and fields of other managers. */
function stored(body: KubeObject, edits: Partial<KubeObject["metadata"]> = {}): KubeObject {
  return {
    ...body,
    metadata: { ...body.metadata, uid: "u-hr", generation: 4, resourceVersion: "77", labels: { ...body.metadata.labels, extra: "theirs" }, ...edits },
    spec: { ...(body.spec as object), interval: "5m" },
    status: { conditions: [] },
  };
}

function memoAfterApply(body = desired()): AppliedObjects {
  const memo = new AppliedObjects();
  memo.record(RELEASES, body, stored(body));
  return memo;
}

describe("AppliedObjects", () => {
  test("our apply not yet in the cache is awaited, not repeated; a changed body, a cached copy or a seen delete end the wait", () => {
    const memo = memoAfterApply();
    expect(memo.appliedNotCached(RELEASES, desired(), undefined)).toBeDefined();
    expect(memo.appliedNotCached(RELEASES, desired("2.0.0"), undefined)).toBeUndefined();
    expect(memo.appliedNotCached(RELEASES, desired(), stored(desired()))).toBeUndefined();
    memo.forget(RELEASES, desired());
    expect(memo.appliedNotCached(RELEASES, desired(), undefined)).toBeUndefined();
    expect(new AppliedObjects().appliedNotCached(RELEASES, desired(), undefined)).toBeUndefined();
  });

  test("an apply the cache has not delivered stands for the object as the server answered it: its uid and generation, no status", () => {
    const awaited = memoAfterApply().appliedNotCached(RELEASES, desired(), undefined);
    expect(awaited).toEqual({ ...desired(), metadata: { ...desired().metadata, uid: "u-hr", generation: 4 } });
  });

  test("the same body over the object our apply produced is current, whatever else the server added", () => {
    expect(memoAfterApply().isCurrent(RELEASES, desired(), stored(desired(), { resourceVersion: "90" }))).toBe(true);
  });

  test.each<[string, KubeObject, KubeObject | undefined]>([
    ["a changed desired body", desired("2.0.0"), stored(desired())],
    ["no cached copy", desired(), undefined],
    ["a spec edit by anyone (generation moved)", desired(), stored(desired(), { generation: 5 })],
    ["a re-created object (other uid)", desired(), stored(desired(), { uid: "u-new" })],
    ["our label edited by hand", desired(), stored(desired(), { labels: { "app.vworkspace.io/managed-by": "someone" } })],
    ["our owner reference removed", desired(), stored(desired(), { ownerReferences: [] })],
  ])("%s needs an apply", (_name, body, cached) => {
    expect(memoAfterApply().isCurrent(RELEASES, body, cached)).toBe(false);
  });

  test("nothing recorded, or forgotten after deletion, needs an apply", () => {
    expect(new AppliedObjects().isCurrent(RELEASES, desired(), stored(desired()))).toBe(false);
    const memo = memoAfterApply();
    memo.forget(RELEASES, desired());
    expect(memo.size).toBe(0);
    expect(memo.isCurrent(RELEASES, desired(), stored(desired()))).toBe(false);
  });

  test("a delete of the incarnation we applied forgets it; a late delete of an older one does not", () => {
    const memo = memoAfterApply();
    memo.forget(RELEASES, stored(desired(), { uid: "u-before" }));
    expect(memo.appliedNotCached(RELEASES, desired(), undefined)).toBeDefined();
    memo.forget(RELEASES, stored(desired()));
    expect(memo.size).toBe(0);
  });
});

describe("containsFields", () => {
  test.each<[unknown, unknown, boolean]>([
    [{ a: 1, b: 2 }, { a: 1 }, true],
    [{ a: 1 }, { a: 2 }, false],
    [{ a: { b: [{ k: 1, x: 1 }, { k: 2 }] } }, { a: { b: [{ k: 2 }, { k: 1 }] } }, true],
    [{ a: [{ k: 1 }] }, { a: [{ k: 3 }] }, false],
    [{ a: [1] }, { a: { 0: 1 } }, false],
    [{}, { a: undefined }, true],
    [{ a: null }, { a: null }, true],
  ])("%j ⊇ %j is %p", (actual, wanted, expected) => {
    expect(containsFields(actual, wanted)).toBe(expected);
  });
});
