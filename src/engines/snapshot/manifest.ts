/**
 * One CSI VolumeSnapshot per selected PVC (docs/operations.md#snapshot). No ownerReference: the snapshot is
 * the backup and must outlive the Operation; `expires-at` lets the sweep collect it instead.
 */
import { ANNOTATION_EXPIRES_AT, LABEL_SOURCE_PVC } from "../../api/labels";
import type { KubeObject } from "../../kube/types";
import { childLabels, type ChildOwner } from "../common/labels";
import { shortName } from "../common/naming";

export interface SnapshotParameters {
  volumeSnapshotClassName?: string;
  pvcLabelSelector?: Record<string, string>;
  ttl?: string;
}

/** The default selector: the PVCs Helm labels with the target's release name. */
export function pvcSelector(p: SnapshotParameters, releaseName: string | undefined): Record<string, string> | undefined {
  if (p.pvcLabelSelector) return p.pvcLabelSelector;
  return releaseName ? { "app.kubernetes.io/instance": releaseName } : undefined;
}

export function selectorString(selector: Record<string, string>): string {
  return Object.entries(selector)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

export function snapshotName(operationName: string, pvcName: string): string {
  return shortName(`${operationName}-${pvcName}`);
}

export interface SnapshotInput {
  operationName: string;
  namespace: string;
  owner: ChildOwner;
  pvcName: string;
  parameters: SnapshotParameters;
  /** RFC 3339 expiry when the parameters carry a `ttl`. */
  expiresAt?: string;
}

export function buildVolumeSnapshot(input: SnapshotInput): KubeObject {
  const className = input.parameters.volumeSnapshotClassName;
  return {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: {
      name: snapshotName(input.operationName, input.pvcName),
      namespace: input.namespace,
      labels: { ...childLabels(input.owner, { sourceNamespace: true }), [LABEL_SOURCE_PVC]: input.pvcName },
      ...(input.expiresAt ? { annotations: { [ANNOTATION_EXPIRES_AT]: input.expiresAt } } : {}),
    },
    spec: {
      source: { persistentVolumeClaimName: input.pvcName },
      ...(className ? { volumeSnapshotClassName: className } : {}),
    },
  };
}
