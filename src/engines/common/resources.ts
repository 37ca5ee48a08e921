/** The child kinds the engines create or read (docs/operations.md#engines), as REST resource types. */
import type { ResourceType } from "../../kube/types";

export const JOB: ResourceType = { group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true };
export const VELERO_BACKUP: ResourceType = { group: "velero.io", version: "v1", kind: "Backup", plural: "backups", namespaced: true };
export const VELERO_RESTORE: ResourceType = { group: "velero.io", version: "v1", kind: "Restore", plural: "restores", namespaced: true };
export const WORKFLOW: ResourceType = { group: "argoproj.io", version: "v1alpha1", kind: "Workflow", plural: "workflows", namespaced: true };
export const WORKFLOW_TEMPLATE: ResourceType = { group: "argoproj.io", version: "v1alpha1", kind: "WorkflowTemplate", plural: "workflowtemplates", namespaced: true };
export const VOLUME_SNAPSHOT: ResourceType = { group: "snapshot.storage.k8s.io", version: "v1", kind: "VolumeSnapshot", plural: "volumesnapshots", namespaced: true };
export const VOLUME_SNAPSHOT_CLASS: ResourceType = { group: "snapshot.storage.k8s.io", version: "v1", kind: "VolumeSnapshotClass", plural: "volumesnapshotclasses", namespaced: false };
export const REPLICATION_SOURCE: ResourceType = { group: "volsync.backube", version: "v1alpha1", kind: "ReplicationSource", plural: "replicationsources", namespaced: true };
export const REPLICATION_DESTINATION: ResourceType = { group: "volsync.backube", version: "v1alpha1", kind: "ReplicationDestination", plural: "replicationdestinations", namespaced: true };
export const PERSISTENT_VOLUME_CLAIM: ResourceType = { group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true };
export const SERVICE_ACCOUNT: ResourceType = { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true };
export const NAMESPACE: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
