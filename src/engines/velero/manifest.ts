/**
 * Velero Backup and Restore objects (docs/operations.md#velero). They live in the Velero namespace, so
 * they carry no ownerReference; the name joins the Operation's namespace and name, so equal
 * Operation names in two namespaces never collide.
 */
import type { KubeObject } from "../../kube/types";
import { childLabels, type ChildOwner } from "../common/labels";
import { shortName } from "../common/naming";

export interface BackupParameters {
  storageLocation?: string;
  ttl?: string;
  retention?: string;
  snapshotVolumes?: boolean;
  csiSnapshotClassName?: string;
  snapshotClassName?: string;
  includedResources?: string[];
  excludedResources?: string[];
}

export interface RestoreParameters {
  backupName: string;
  namespaceMapping?: Record<string, string>;
  restorePVs?: boolean;
  existingResourcePolicy?: "none" | "update";
  includedResources?: string[];
  excludedResources?: string[];
}

export const DEFAULT_STORAGE_LOCATION = "default";

/** Velero has no spec field for the CSI class; it reads this annotation, keyed by the class's driver. */
export function csiClassAnnotation(driver: string): string {
  return `velero.io/csi-volumesnapshot-class_${driver}`;
}

export function veleroChildName(operation: { namespace: string; name: string }): string {
  return shortName(`${operation.namespace}-${operation.name}`);
}

/** The VolumeSnapshotClass a Backup asks for, by either parameter name (`csiSnapshotClassName` wins). */
export function requestedSnapshotClass(p: BackupParameters): string | undefined {
  return p.csiSnapshotClassName ?? p.snapshotClassName;
}

export interface VeleroInput {
  name: string;
  veleroNamespace: string;
  owner: ChildOwner;
}

export function buildBackup(
  input: VeleroInput & { childNamespace: string; parameters: BackupParameters; snapshotClass?: { name: string; driver: string } },
): KubeObject {
  const p = input.parameters;
  const ttl = p.retention ?? p.ttl;
  return {
    apiVersion: "velero.io/v1",
    kind: "Backup",
    metadata: {
      name: input.name,
      namespace: input.veleroNamespace,
      labels: childLabels(input.owner, { sourceNamespace: true }),
      ...(input.snapshotClass ? { annotations: { [csiClassAnnotation(input.snapshotClass.driver)]: input.snapshotClass.name } } : {}),
    },
    spec: {
      includedNamespaces: [input.childNamespace],
      storageLocation: p.storageLocation ?? DEFAULT_STORAGE_LOCATION,
      ...(ttl !== undefined ? { ttl } : {}),
      ...(p.snapshotVolumes !== undefined ? { snapshotVolumes: p.snapshotVolumes } : {}),
      ...(p.includedResources ? { includedResources: p.includedResources } : {}),
      ...(p.excludedResources ? { excludedResources: p.excludedResources } : {}),
    },
  };
}

export function buildRestore(input: VeleroInput & { parameters: RestoreParameters }): KubeObject {
  const p = input.parameters;
  return {
    apiVersion: "velero.io/v1",
    kind: "Restore",
    metadata: { name: input.name, namespace: input.veleroNamespace, labels: childLabels(input.owner, { sourceNamespace: true }) },
    spec: {
      backupName: p.backupName,
      includedNamespaces: [input.owner.namespace],
      ...(p.namespaceMapping ? { namespaceMapping: p.namespaceMapping } : {}),
      ...(p.restorePVs !== undefined ? { restorePVs: p.restorePVs } : {}),
      ...(p.existingResourcePolicy ? { existingResourcePolicy: p.existingResourcePolicy } : {}),
      ...(p.includedResources ? { includedResources: p.includedResources } : {}),
      ...(p.excludedResources ? { excludedResources: p.excludedResources } : {}),
    },
  };
}
