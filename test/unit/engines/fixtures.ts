import type { ChildOwner } from "../../../src/engines/common/labels";
import type { OwnerReference } from "../../../src/kube/types";

export const OWNER: ChildOwner = { uid: "0b7c-uid", namespace: "team-a", targetName: "shop" };

export const OWNER_REF: OwnerReference = {
  apiVersion: "ops.vworkspace.io/v1alpha1",
  kind: "Operation",
  name: "nightly",
  uid: "0b7c-uid",
  controller: true,
  blockOwnerDeletion: true,
};

export const CHILD_LABELS = {
  "app.vworkspace.io/managed-by": "vworkspace-operator",
  "ops.vworkspace.io/operation": "0b7c-uid",
  "app.vworkspace.io/application-instance": "shop",
};

export const SOURCE_LABELS = { ...CHILD_LABELS, "ops.vworkspace.io/source-namespace": "team-a" };
