/** API groups, versions, names and finalizers of our kinds (docs/concepts.md#resources, docs/concepts.md#finalizers). Frozen for Go compatibility. */

import type { ResourceType } from "../kube/types";

export const APPS_GROUP = "apps.vworkspace.io";
export const OPS_GROUP = "ops.vworkspace.io";
export const VERSION = "v1alpha1";
export const APPS_API_VERSION = `${APPS_GROUP}/${VERSION}`;
export const OPS_API_VERSION = `${OPS_GROUP}/${VERSION}`;

/** Everything the API server and clients need to know about one of our kinds; usable as a ResourceType. */
export interface KindDefinition extends ResourceType {
  readonly listKind: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly finalizer: string;
}

export const APPLICATION_INSTANCE: KindDefinition = {
  group: APPS_GROUP,
  version: VERSION,
  kind: "ApplicationInstance",
  listKind: "ApplicationInstanceList",
  plural: "applicationinstances",
  singular: "applicationinstance",
  shortNames: ["appinst"],
  namespaced: true,
  finalizer: "apps.vworkspace.io/finalizer",
};

export const OPERATION: KindDefinition = {
  group: OPS_GROUP,
  version: VERSION,
  kind: "Operation",
  listKind: "OperationList",
  plural: "operations",
  singular: "operation",
  shortNames: ["op"],
  namespaced: true,
  finalizer: "ops.vworkspace.io/finalizer",
};

export const CLUSTER: KindDefinition = {
  group: OPS_GROUP,
  version: VERSION,
  kind: "Cluster",
  listKind: "ClusterList",
  plural: "clusters",
  singular: "cluster",
  shortNames: ["cluster"],
  namespaced: false,
  finalizer: "ops.vworkspace.io/cluster-cleanup",
};
