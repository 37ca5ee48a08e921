/**
 * VolSync ReplicationSource (Backup) and ReplicationDestination (Restore) with a manual trigger
 * equal to the Operation UID, so one sync runs per Operation (docs/operations.md#volsync).
 */
import type { KubeObject, OwnerReference } from "../../kube/types";
import { childLabels, type ChildOwner } from "../common/labels";
import { shortName } from "../common/naming";

export interface VolSyncBackupParameters {
  pvcName: string;
  repository: string;
  copyMethod?: "Snapshot" | "Clone" | "Direct";
  volumeSnapshotClassName?: string;
  storageClassName?: string;
  pruneIntervalDays?: number;
  retain?: { hourly?: number; daily?: number; weekly?: number; monthly?: number; yearly?: number; within?: string };
}

export interface VolSyncRestoreParameters {
  pvcName: string;
  repository: string;
  restoreAsOf?: string;
  previous?: number;
}

export const DEFAULT_COPY_METHOD = "Snapshot";

export function volSyncChildName(operationName: string): string {
  return shortName(operationName);
}

export interface VolSyncInput {
  name: string;
  namespace: string;
  owner: ChildOwner;
  ownerReference: OwnerReference;
}

function withoutUndefined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function metadata(input: VolSyncInput): KubeObject["metadata"] {
  return {
    name: input.name,
    namespace: input.namespace,
    labels: childLabels(input.owner, { sourceNamespace: true }),
    ownerReferences: [input.ownerReference],
  };
}

export function buildReplicationSource(input: VolSyncInput & { parameters: VolSyncBackupParameters }): KubeObject {
  const p = input.parameters;
  return {
    apiVersion: "volsync.backube/v1alpha1",
    kind: "ReplicationSource",
    metadata: metadata(input),
    spec: {
      sourcePVC: p.pvcName,
      trigger: { manual: input.owner.uid },
      restic: withoutUndefined({
        repository: p.repository,
        copyMethod: p.copyMethod ?? DEFAULT_COPY_METHOD,
        volumeSnapshotClassName: p.volumeSnapshotClassName,
        storageClassName: p.storageClassName,
        pruneIntervalDays: p.pruneIntervalDays,
        retain: p.retain,
      }),
    },
  };
}

export function buildReplicationDestination(input: VolSyncInput & { parameters: VolSyncRestoreParameters }): KubeObject {
  const p = input.parameters;
  return {
    apiVersion: "volsync.backube/v1alpha1",
    kind: "ReplicationDestination",
    metadata: metadata(input),
    spec: {
      trigger: { manual: input.owner.uid },
      restic: withoutUndefined({
        repository: p.repository,
        destinationPVC: p.pvcName,
        copyMethod: "Direct",
        restoreAsOf: p.restoreAsOf,
        previous: p.previous,
      }),
    },
  };
}

/** Cancel, timeout and failure stop the mover but keep the object for inspection. */
export const PAUSE_PATCH = { spec: { paused: true } };
