import { describe, expect, test } from "bun:test";
import { isManaged } from "../../../../src/controllers/labelled-objects";
import { desiredRoleBinding, desiredServiceAccount, tenantActions, type RoleBinding, type TenantAction, type TenantObservation } from "../../../../src/controllers/tenant/desired";
import type { KubeObject } from "../../../../src/kube/types";

const NS = "team-a";
const LABELS = { "app.vworkspace.io/managed-by": "vworkspace-operator" };

function stored<T extends KubeObject>(object: T, extra: Partial<KubeObject["metadata"]> = {}): T {
  return { ...structuredClone(object), metadata: { ...object.metadata, uid: `uid-${object.kind}`, resourceVersion: "7", ...extra } };
}

const serviceAccount = stored(desiredServiceAccount(NS));
const roleBinding = stored(desiredRoleBinding(NS));

function bodyOf(action: TenantAction | undefined): RoleBinding {
  if (!action || !("body" in action)) throw new Error(`no body in ${action?.verb}`);
  return action.body as RoleBinding;
}

function actions(observed: Partial<TenantObservation>) {
  return tenantActions({ namespace: NS, wanted: true, serviceAccount: undefined, roleBinding: undefined, ...observed });
}

describe("the tenant objects of a gated namespace", () => {
  test("ServiceAccount and RoleBinding vworkspace-tenant, labelled, the binding naming the ClusterRole and the ServiceAccount", () => {
    expect(desiredServiceAccount(NS)).toEqual({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "vworkspace-tenant", namespace: NS, labels: LABELS } });
    expect(desiredRoleBinding(NS)).toEqual({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "vworkspace-tenant", namespace: NS, labels: LABELS },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "vworkspace-tenant" },
      subjects: [{ kind: "ServiceAccount", name: "vworkspace-tenant", namespace: NS }],
    });
  });

  test("a newly gated namespace: both are created", () => {
    expect(actions({}).map(({ verb, type }) => `${verb} ${type.kind}`)).toEqual(["create ServiceAccount", "create RoleBinding"]);
  });

  test("both in place: nothing to do", () => {
    expect(actions({ serviceAccount, roleBinding })).toEqual([]);
    // The API server stores an empty apiGroup for ServiceAccount subjects; that is no drift.
    const defaulted = stored(desiredRoleBinding(NS));
    defaulted.subjects = [{ kind: "ServiceAccount", apiGroup: "", name: "vworkspace-tenant", namespace: NS }];
    expect(actions({ serviceAccount, roleBinding: defaulted })).toEqual([]);
  });

  test("only the missing one is created", () => {
    expect(actions({ serviceAccount }).map(({ verb, type }) => `${verb} ${type.kind}`)).toEqual(["create RoleBinding"]);
    expect(actions({ roleBinding }).map(({ verb, type }) => `${verb} ${type.kind}`)).toEqual(["create ServiceAccount"]);
  });

  test("drifted subjects are replaced, keeping everything else of the stored binding", () => {
    const drifted: RoleBinding = { ...roleBinding, metadata: { ...roleBinding.metadata, annotations: { note: "kept" } }, subjects: [...roleBinding.subjects!, { kind: "User", name: "mallory", apiGroup: "rbac.authorization.k8s.io" }] };
    const [action] = actions({ serviceAccount, roleBinding: drifted });
    expect(action?.verb).toBe("replace");
    const body = bodyOf(action);
    expect(body.subjects).toEqual([{ kind: "ServiceAccount", name: "vworkspace-tenant", namespace: NS }]);
    expect(body.metadata.resourceVersion).toBe("7");
    expect(body.metadata.annotations).toEqual({ note: "kept" });
    expect(actions({ serviceAccount, roleBinding: { ...roleBinding, subjects: [] } })[0]?.verb).toBe("replace");
    expect(actions({ serviceAccount, roleBinding: { ...roleBinding, subjects: [{ kind: "ServiceAccount", name: "vworkspace-tenant", namespace: "other" }] } })[0]?.verb).toBe("replace");
  });

  test("a changed roleRef (immutable) means delete and create", () => {
    const rebound: RoleBinding = { ...roleBinding, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" } };
    const [action] = actions({ serviceAccount, roleBinding: rebound });
    expect(action?.verb).toBe("recreate");
    expect((action as { current: KubeObject }).current.metadata.uid).toBe("uid-RoleBinding");
    expect(bodyOf(action).roleRef.name).toBe("vworkspace-tenant");
  });

  test("a binding being deleted is left to finish", () => {
    expect(actions({ serviceAccount, roleBinding: stored(desiredRoleBinding(NS), { deletionTimestamp: "2030-01-01T00:00:00Z" }) })).toEqual([]);
  });
});

describe("a namespace no longer gated", () => {
  test("the operator's objects are deleted, binding first, by uid", () => {
    const result = tenantActions({ namespace: NS, wanted: false, serviceAccount, roleBinding });
    expect(result.map((action) => `${action.verb} ${action.type.kind} ${(action as { current: KubeObject }).current.metadata.uid}`)).toEqual([
      "delete RoleBinding uid-RoleBinding",
      "delete ServiceAccount uid-ServiceAccount",
    ]);
  });

  test("nothing of ours there, or already being deleted: nothing to do", () => {
    expect(tenantActions({ namespace: NS, wanted: false, serviceAccount: undefined, roleBinding: undefined })).toEqual([]);
    const deleting = stored(desiredServiceAccount(NS), { deletionTimestamp: "2030-01-01T00:00:00Z" });
    expect(tenantActions({ namespace: NS, wanted: false, serviceAccount: deleting, roleBinding: undefined })).toEqual([]);
  });
});

test("only the managed-by label makes an object the operator's", () => {
  expect(isManaged(serviceAccount)).toBe(true);
  expect(isManaged({ ...serviceAccount, metadata: { ...serviceAccount.metadata, labels: {} } })).toBe(false);
  expect(isManaged({ ...serviceAccount, metadata: { ...serviceAccount.metadata, labels: { "app.vworkspace.io/managed-by": "control-plane" } } })).toBe(false);
});
