/** Label and annotation keys and values shared by every component (docs/concepts.md#labels, docs/concepts.md#annotations). Frozen. */

// Labels (docs/concepts.md#labels).

/** Namespace gate label used by the Go implementation and installers (docs/concepts.md#namespace-gate). */
export const LABEL_GATE = "managed-by";
/** Namespace gate (alternative key), control-plane marker on AI/Operation, operator marker on children. */
export const LABEL_MANAGED_BY = "app.vworkspace.io/managed-by";
export const LABEL_CLUSTER_ID = "app.vworkspace.io/cluster-id";
export const LABEL_APPLICATION_INSTANCE = "app.vworkspace.io/application-instance";
/** Value: the Operation's UID. */
export const LABEL_OPERATION = "ops.vworkspace.io/operation";
export const LABEL_SOURCE_NAMESPACE = "ops.vworkspace.io/source-namespace";
export const LABEL_HOOK_NAME = "ops.vworkspace.io/hook-name";
export const LABEL_SOURCE_PVC = "ops.vworkspace.io/source-pvc";

/** The only value of either gate key that gates a namespace. */
export const GATE_VALUE = "vworkspace";
/** Value of LABEL_MANAGED_BY on every child the operator writes. */
export const MANAGED_BY_OPERATOR = "vworkspace-operator";

// Annotations (docs/concepts.md#annotations).

/** Verbs of the capability annotations `ops.vworkspace.io/<verb>` on an AI (docs/operations.md#capabilities-and-the-namespace-allow-list). */
export const CAPABILITY_VERBS = ["backup", "restore", "upgrade", "migration", "runcommand", "runbook"] as const;
export type CapabilityVerb = (typeof CAPABILITY_VERBS)[number];

export function capabilityAnnotation(verb: CapabilityVerb): `ops.vworkspace.io/${CapabilityVerb}` {
  return `ops.vworkspace.io/${verb}`;
}

/** On a Namespace: comma-separated allow-list of Operation types. */
export const ANNOTATION_ALLOWED_TYPES = "ops.vworkspace.io/allowed-types";
/** On an Operation: `true` (case-insensitive) requests cancellation. */
export const ANNOTATION_CANCEL = "ops.vworkspace.io/cancel";
/** On a Cluster: forces a registration re-exchange. */
export const ANNOTATION_ROTATE_CREDENTIALS = "ops.vworkspace.io/rotate-credentials";
/** On a HelmRepository: RFC 3339 time that makes Flux refetch the index. */
export const ANNOTATION_FLUX_REQUESTED_AT = "reconcile.fluxcd.io/requestedAt";
/** On a VolumeSnapshot taken by an Operation: RFC 3339 expiry. */
export const ANNOTATION_EXPIRES_AT = "ops.vworkspace.io/expires-at";

/** Value of LABEL_MANAGED_BY on ApplicationInstances and Operations the control plane declares (any mode). */
export const MANAGED_BY_CONTROL_PLANE = "control-plane";
