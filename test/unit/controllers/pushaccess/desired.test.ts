/** The Push RoleBinding decisions, pure: which writes bring a namespace to the access its mode asks for. */
import { describe, expect, test } from "bun:test";
import type { Cluster } from "../../../../src/api/cluster";
import { desiredPushRoleBinding, grantsPushAccess, pushAccessActions, pushAccessRole, pushAccessWanted } from "../../../../src/controllers/pushaccess/desired";
import type { RoleBinding } from "../../../../src/controllers/tenant/desired";

const cluster = (mode: string | undefined, deleting = false) =>
  ({ metadata: { name: "main", ...(deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) }, spec: mode ? { connectivityMode: mode } : {} }) as unknown as Cluster;
const ours = () => desiredPushRoleBinding("team-a", "vworkspace-system");
const foreign = (): RoleBinding => ({ ...ours(), metadata: { name: "vworkspace-control-plane", namespace: "team-a" } });

describe("pushAccessWanted", () => {
  test("push and gitops want it; pull, the default, none and a deleting Cluster do not", () => {
    expect(pushAccessWanted(cluster("push"))).toBe(true);
    expect(pushAccessWanted(cluster("gitops"))).toBe(true);
    expect(pushAccessWanted(cluster("pull"))).toBe(false);
    expect(pushAccessWanted(cluster(undefined))).toBe(false);
    expect(pushAccessWanted(undefined)).toBe(false);
    expect(pushAccessWanted(cluster("push", true))).toBe(false);
  });

  test("a switch to push grants it only once status shows the mode in effect; a switch to pull withdraws it at once", () => {
    const inEffect = (mode: string, modeInEffect: string) => ({ ...cluster(mode), status: { connectivityMode: modeInEffect } }) as unknown as Cluster;
    expect(pushAccessWanted(inEffect("push", "pull"))).toBe(false);
    expect(pushAccessWanted(inEffect("push", "push"))).toBe(true);
    expect(pushAccessWanted(inEffect("push", "gitops"))).toBe(true);
    expect(pushAccessWanted(inEffect("pull", "push"))).toBe(false);
  });
});

describe("pushAccessActions", () => {
  const observe = (wanted: boolean, current: RoleBinding | undefined) => pushAccessActions({ namespace: "team-a", operatorNamespace: "vworkspace-system", wanted, current });

  test("the binding: labelled, the namespaced ClusterRole, the control plane's ServiceAccount in the operator namespace", () => {
    expect(ours()).toMatchObject({
      metadata: { name: "vworkspace-control-plane", namespace: "team-a", labels: { "app.vworkspace.io/managed-by": "vworkspace-operator" } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "vworkspace-control-plane-namespaced" },
      subjects: [{ kind: "ServiceAccount", name: "vworkspace-control-plane", namespace: "vworkspace-system" }],
    });
  });

  test("wanted and absent → create; wanted and present → nothing; unwanted and present → delete", () => {
    expect(observe(true, undefined).map((action) => action.verb)).toEqual(["create"]);
    expect(observe(true, ours())).toEqual([]);
    expect(observe(false, ours()).map((action) => action.verb)).toEqual(["delete"]);
    expect(observe(false, undefined)).toEqual([]);
  });

  test("a drifted roleRef or subject is recreated", () => {
    const widened = { ...ours(), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" } };
    expect(observe(true, widened).map((action) => action.verb)).toEqual(["recreate"]);
    const other = { ...ours(), subjects: [{ kind: "ServiceAccount", name: "intruder", namespace: "vworkspace-system" }] };
    expect(observe(true, other).map((action) => action.verb)).toEqual(["recreate"]);
  });

  test("an unlabelled binding of that name is never touched, wanted or not", () => {
    expect(observe(true, foreign())).toEqual([]);
    expect(observe(false, foreign())).toEqual([]);
  });
});

describe("grantsPushAccess", () => {
  test("only the operator's own binding with the expected grant counts", () => {
    expect(grantsPushAccess(ours(), "vworkspace-system")).toBe(true);
    expect(grantsPushAccess(foreign(), "vworkspace-system")).toBe(false);
    expect(grantsPushAccess(undefined, "vworkspace-system")).toBe(false);
    expect(grantsPushAccess(ours(), "elsewhere")).toBe(false);
  });
});

describe("HelmRelease-authoritative GitOps widens the grant to Flux objects, and only then", () => {
  const authoritative = (mode: string, on: boolean) => ({ metadata: { name: "main" }, spec: { connectivityMode: mode, gitops: { helmReleasesAuthoritative: on } } }) as unknown as Cluster;
  const observe = (role: string, current: RoleBinding | undefined) => pushAccessActions({ namespace: "team-a", operatorNamespace: "vworkspace-system", wanted: true, role, current });

  test("the role: with HelmReleases in gitops mode with the setting on, the namespaced one otherwise", () => {
    expect(pushAccessRole(authoritative("gitops", true))).toBe("vworkspace-control-plane-helmreleases");
    expect(pushAccessRole(authoritative("gitops", false))).toBe("vworkspace-control-plane-namespaced");
    expect(pushAccessRole(authoritative("push", true))).toBe("vworkspace-control-plane-namespaced");
    expect(pushAccessRole(undefined)).toBe("vworkspace-control-plane-namespaced");
  });

  test("turning the setting on or off recreates the binding with the other role; either counts as Push access", () => {
    const widened = desiredPushRoleBinding("team-a", "vworkspace-system", "vworkspace-control-plane-helmreleases");
    const on = observe("vworkspace-control-plane-helmreleases", ours());
    expect(on.map((action) => action.verb)).toEqual(["recreate"]);
    expect(on[0]).toMatchObject({ body: { roleRef: { name: "vworkspace-control-plane-helmreleases" } } });
    expect(observe("vworkspace-control-plane-helmreleases", widened)).toEqual([]);
    expect(observe("vworkspace-control-plane-namespaced", widened).map((action) => action.verb)).toEqual(["recreate"]);
    expect(grantsPushAccess(widened, "vworkspace-system")).toBe(true);
  });
});
