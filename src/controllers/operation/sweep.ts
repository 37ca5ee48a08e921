/**
 * The retention sweep of docs/operations.md#retention-of-children, docs/operations.md#snapshot: VolumeSnapshots labelled with an Operation whose
 * `ops.vworkspace.io/expires-at` has passed, and VolSync objects whose Operation finished more than
 * `--child-ttl` ago. The decision is pure; the controller runs it hourly through its own work queue.
 */
import { ANNOTATION_EXPIRES_AT, LABEL_OPERATION } from "../../api/labels";
import { isTerminalPhase, type Operation } from "../../api/operation";
import { REPLICATION_DESTINATION, REPLICATION_SOURCE, VOLUME_SNAPSHOT } from "../../engines/common/resources";
import type { ChildAction } from "../../engines/types";
import type { KubeObject, ResourceType } from "../../kube/types";

/** The work-queue key of the sweep; no Operation can have it (a namespaced key always contains `/`). */
export const SWEEP_KEY = "sweep:operation-children";
export const SWEEP_INTERVAL_MS = 3_600_000;

export interface SweepInputs {
  snapshots: readonly KubeObject[];
  replications: ReadonlyArray<{ type: ResourceType; object: KubeObject }>;
  operationByUid(uid: string): Operation | undefined;
  now: number;
  childTtlSeconds: number;
}

export function expiredChildren(inputs: SweepInputs): ChildAction[] {
  const actions: ChildAction[] = [];
  for (const snapshot of inputs.snapshots) {
    if (!snapshot.metadata.labels?.[LABEL_OPERATION]) continue;
    const expiresAt = Date.parse(snapshot.metadata.annotations?.[ANNOTATION_EXPIRES_AT] ?? "");
    if (Number.isFinite(expiresAt) && expiresAt <= inputs.now) actions.push(deletion(VOLUME_SNAPSHOT, snapshot));
  }
  for (const { type, object } of inputs.replications) {
    const uid = object.metadata.labels?.[LABEL_OPERATION];
    const owner = uid ? inputs.operationByUid(uid) : undefined;
    if (!owner || !isTerminalPhase(owner.status?.phase)) continue;
    const finishedAt = Date.parse(owner.status?.finishedAt ?? "");
    if (Number.isFinite(finishedAt) && finishedAt + inputs.childTtlSeconds * 1000 <= inputs.now) actions.push(deletion(type, object));
  }
  return actions;
}

function deletion(type: ResourceType, object: KubeObject): ChildAction {
  return { action: "delete", type, namespace: object.metadata.namespace ?? "", name: object.metadata.name };
}

export const SWEPT_REPLICATION_TYPES = [REPLICATION_SOURCE, REPLICATION_DESTINATION] as const;
