/**
 * Write rules of pull jobs (docs/connectivity.md#write-rules), pure: the kind allow-list, the namespace rules, ownership
 * of existing objects and the Cluster guard. Each refusal carries its errorCode and a message without payload.
 */
import { isGatedNamespace } from "../../api/gate";
import { LABEL_CLUSTER_ID, LABEL_MANAGED_BY, MANAGED_BY_CONTROL_PLANE } from "../../api/labels";
import type { JobErrorCode } from "../../protocol";

export const AGENT_FIELD_MANAGER = "vworkspace-agent";

export interface GroupKind {
  group: string;
  kind: string;
}

export const DEFAULT_ALLOWED_KINDS: readonly GroupKind[] = [
  { group: "apps.vworkspace.io", kind: "ApplicationInstance" },
  { group: "ops.vworkspace.io", kind: "Operation" },
  { group: "ops.vworkspace.io", kind: "Cluster" },
  { group: "helm.toolkit.fluxcd.io", kind: "HelmRelease" },
  { group: "source.toolkit.fluxcd.io", kind: "HelmRepository" },
  { group: "source.toolkit.fluxcd.io", kind: "OCIRepository" },
  { group: "velero.io", kind: "BackupStorageLocation" },
  { group: "velero.io", kind: "Schedule" },
  { group: "", kind: "ConfigMap" },
];

export type Refusal = { code: JobErrorCode; detail: string };

/** `spec.allowedJobKinds` replaces the default list when set (docs/connectivity.md#write-rules). */
export function checkKindAllowed(target: GroupKind, allowed: readonly GroupKind[] | undefined): Refusal | undefined {
  const list = allowed ?? DEFAULT_ALLOWED_KINDS;
  if (list.some((entry) => entry.group === target.group && entry.kind === target.kind)) return undefined;
  return { code: "KindNotAllowed", detail: `${target.kind}${target.group ? `.${target.group}` : ""} is not an allowed job kind` };
}

export interface NamespaceView {
  /** Labels of the namespace, or undefined when it does not exist. */
  labels(name: string): Record<string, string> | undefined | null;
}

/**
 * The target namespace must exist and be gated; Velero kinds instead must target exactly the Velero
 * namespace. The agent never creates or labels a namespace.
 */
export function checkNamespace(target: GroupKind & { namespace: string }, namespaces: NamespaceView, veleroNamespace: string): Refusal | undefined {
  if (target.group === "velero.io") {
    if (target.namespace !== veleroNamespace) return { code: "NamespaceNotGated", detail: `Velero kinds may only target namespace ${veleroNamespace}` };
    return namespaces.labels(target.namespace) === undefined ? { code: "NamespaceNotFound", detail: `namespace ${target.namespace} does not exist` } : undefined;
  }
  const labels = namespaces.labels(target.namespace);
  if (labels === undefined) return { code: "NamespaceNotFound", detail: `namespace ${target.namespace} does not exist` };
  if (!isGatedNamespace(labels ?? undefined)) return { code: "NamespaceNotGated", detail: `namespace ${target.namespace} is not managed by vWorkspace (label managed-by=vworkspace missing)` };
  return undefined;
}

/** An existing object may be written only when it is CP-managed (the honoured Cluster excepted). */
export function checkOwnership(existing: { metadata: { labels?: Record<string, string> } } | undefined, kind: string, name: string): Refusal | undefined {
  if (!existing) return undefined;
  if (existing.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_CONTROL_PLANE) return undefined;
  return { code: "NotManaged", detail: `${kind} ${name} exists and is not managed by the control plane` };
}

const CLUSTER_SPEC_FIELDS = new Set(["heartbeatIntervalSeconds", "capabilities", "rotateCredentials"]);
const CLUSTER_METADATA_FIELDS = new Set(["name", "labels", "annotations", "namespace"]);

/** A Cluster apply must name the honoured Cluster and touch only the fields the CP may change (docs/connectivity.md#write-rules). */
export function checkClusterApply(payload: Record<string, unknown>, honouredName: string | undefined): Refusal | undefined {
  const metadata = (payload.metadata ?? {}) as Record<string, unknown>;
  if (!honouredName || metadata.name !== honouredName) return { code: "ProtectedField", detail: "a Cluster job must name the honoured Cluster" };
  const extraTop = Object.keys(payload).filter((key) => !["apiVersion", "kind", "metadata", "spec"].includes(key));
  const extraMeta = Object.keys(metadata).filter((key) => !CLUSTER_METADATA_FIELDS.has(key));
  const spec = payload.spec;
  const extraSpec = spec === undefined ? [] : typeof spec === "object" && spec !== null ? Object.keys(spec).filter((key) => !CLUSTER_SPEC_FIELDS.has(key)) : ["spec"];
  const fields = [...extraTop, ...extraMeta.map((key) => `metadata.${key}`), ...extraSpec.map((key) => `spec.${key}`)];
  if (fields.length === 0) return undefined;
  return { code: "ProtectedField", detail: `the control plane may not set ${fields.join(", ")} on the Cluster` };
}

/** The payload with the control-plane labels stamped over its own (docs/connectivity.md#write-rules). */
export function withControlPlaneLabels<T extends { metadata: Record<string, unknown> }>(object: T, clusterId: string): T {
  const labels = { ...((object.metadata.labels as Record<string, string> | undefined) ?? {}), [LABEL_MANAGED_BY]: MANAGED_BY_CONTROL_PLANE, [LABEL_CLUSTER_ID]: clusterId };
  return { ...object, metadata: { ...object.metadata, labels } };
}
