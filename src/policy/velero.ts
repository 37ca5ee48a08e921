/**
 * Policy for Velero objects written by jobs: a Backup, Schedule or Restore names the gated namespaces it
 * covers explicitly (no `*`, no empty list that Velero reads as "all"), takes no cluster-scoped resources,
 * and a Restore maps only into gated namespaces. BackupStorageLocations decide where cluster data is sent,
 * so jobs may write them only when the operator was started with the explicit flag. The Operation engines
 * build their own Velero objects and keep their own rules. See docs/security.md.
 */
import { isGatedNamespace } from "../api/gate";
import { isNamespaceName } from "./api-version";
import type { Refusal } from "./refusal";
import { isRecord } from "./shape";

export const VELERO_GROUP = "velero.io";
export const BACKUP_STORAGE_LOCATION_FLAG = "allow-job-backup-storage-locations";

type Manifest = Record<string, unknown> & { kind: string; metadata: Record<string, unknown> & { name: string } };

export interface VeleroFacts {
  /** Labels of a namespace; undefined when it does not exist. */
  namespaceLabels(name: string): Readonly<Record<string, string>> | undefined | null;
  allowBackupStorageLocations: boolean;
}

/** Applies and deletes alike: without the flag a job may not touch a BackupStorageLocation. */
export function checkBackupStorageLocationWrite(kind: string, name: string, allowed: boolean): Refusal | undefined {
  if (kind !== "BackupStorageLocation" || allowed) return undefined;
  return { code: "KindNotAllowed", detail: `${kind} ${name}: BackupStorageLocation writes by jobs need the operator flag --${BACKUP_STORAGE_LOCATION_FLAG}` };
}

export function checkVeleroObject(object: Manifest, facts: VeleroFacts): Refusal | undefined {
  const what = `${object.kind} ${object.metadata.name}`;
  if (object.kind === "BackupStorageLocation") return checkBackupStorageLocationWrite(object.kind, object.metadata.name, facts.allowBackupStorageLocations);
  const spec = isRecord(object.spec) ? object.spec : {};
  switch (object.kind) {
    case "Schedule":
      return checkSelection(what, "spec.template", isRecord(spec.template) ? spec.template : {}, facts);
    case "Backup":
      return checkSelection(what, "spec", spec, facts);
    case "Restore":
      return checkSelection(what, "spec", spec, facts) ?? checkNamespaceMapping(what, spec.namespaceMapping, facts);
    default:
      return undefined;
  }
}

/** The namespace and resource selection of a Backup (a Schedule's template) or a Restore. */
function checkSelection(what: string, path: string, selection: Record<string, unknown>, facts: VeleroFacts): Refusal | undefined {
  if (selection.includeClusterResources === true) return { code: "ProtectedField", detail: `${what}: ${path}.includeClusterResources may not be true` };
  const clusterScoped = selection.includedClusterScopedResources;
  if (Array.isArray(clusterScoped) ? clusterScoped.length > 0 : clusterScoped !== undefined && clusterScoped !== null) {
    return { code: "ProtectedField", detail: `${what}: ${path}.includedClusterScopedResources is not allowed` };
  }
  const included = selection.includedNamespaces;
  if (!Array.isArray(included) || included.length === 0) {
    return { code: "NamespaceNotGated", detail: `${what}: ${path}.includedNamespaces must list gated namespaces explicitly (absent or empty means all)` };
  }
  for (const [index, name] of included.entries()) {
    const refusal = checkGated(what, `${path}.includedNamespaces[${index}]`, name, facts);
    if (refusal) return refusal;
  }
  return undefined;
}

function checkNamespaceMapping(what: string, mapping: unknown, facts: VeleroFacts): Refusal | undefined {
  if (mapping === undefined || mapping === null) return undefined;
  if (!isRecord(mapping)) return { code: "InvalidPayload", detail: `${what}: spec.namespaceMapping must be an object` };
  for (const [source, target] of Object.entries(mapping)) {
    const refusal = checkGated(what, `spec.namespaceMapping[${isNamespaceName(source) ? source : "?"}]`, target, facts);
    if (refusal) return refusal;
  }
  return undefined;
}

/** One namespace named by the object: a plain name (no `*` or glob) of an existing gated namespace. */
function checkGated(what: string, field: string, name: unknown, facts: VeleroFacts): Refusal | undefined {
  if (typeof name !== "string" || !isNamespaceName(name)) {
    return { code: "NamespaceNotGated", detail: `${what}: ${field} must be the name of a gated namespace (no wildcards)` };
  }
  const labels = facts.namespaceLabels(name);
  if (labels === undefined) return { code: "NamespaceNotFound", detail: `${what}: ${field} names namespace ${name}, which does not exist` };
  if (!isGatedNamespace(labels ?? undefined)) return { code: "NamespaceNotGated", detail: `${what}: ${field} names namespace ${name}, which is not managed by vWorkspace` };
  return undefined;
}
