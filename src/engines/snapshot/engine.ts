/**
 * The `snapshot` engine: a CSI VolumeSnapshot of every PVC of the target's release (docs/operations.md#snapshot).
 * The snapshots are the backup, so they carry no ownerReference; cancel and timeout delete them, a
 * failure keeps them until `--child-ttl` passes and the sweep collects them.
 */
import { ANNOTATION_EXPIRES_AT } from "../../api/labels";
import { parseDuration } from "../../commandline/duration";
import type { BackupSnapshotParameters } from "../../operations/parameters";
import { childrenOfKind, deleteAction, patchAction } from "../common/children";
import { childOwner } from "../common/owner";
import { dependencyMissing } from "../common/prerequisites";
import { PERSISTENT_VOLUME_CLAIM, VOLUME_SNAPSHOT, VOLUME_SNAPSHOT_CLASS } from "../common/resources";
import type { Engine, EngineContext } from "../types";
import { buildVolumeSnapshot, pvcSelector, selectorString, snapshotName } from "./manifest";
import { snapshotOutputs, snapshotProgress } from "./verdict";

interface SnapshotFacts {
  /** Names of the selected PVCs, sorted. */
  pvcs: string[];
}

const operationName = (context: EngineContext) => context.operation.metadata.name;

function expiresAt(context: EngineContext<BackupSnapshotParameters>): string | undefined {
  const ttlMs = context.parameters.ttl === undefined ? undefined : parseDuration(context.parameters.ttl);
  return ttlMs === undefined ? undefined : new Date(context.now.getTime() + ttlMs).toISOString();
}

/** The snapshot names the start recorded; the set `observe` expects to find. */
function expectedNames(context: EngineContext): string[] {
  const recorded = context.operation.status?.outputs?.volumeSnapshots;
  return recorded ? recorded.split(",") : [];
}

export const snapshotEngine: Engine<BackupSnapshotParameters, SnapshotFacts> = {
  name: "snapshot",
  types: ["Backup"],
  requires: [VOLUME_SNAPSHOT],
  childTypes: [VOLUME_SNAPSHOT],
  childNamespaceOf: (context) => context.childNamespace,

  async prepare(context, reader, signal) {
    const className = context.parameters.volumeSnapshotClassName;
    if (className && !(await reader.get(VOLUME_SNAPSHOT_CLASS, undefined, className, signal))) {
      return dependencyMissing(`VolumeSnapshotClass "${className}" not found`);
    }
    const failure = (message: string) => ({ ready: false as const, permanent: true as const, reason: context.template.reasons.failure, message });
    const selector = pvcSelector(context.parameters, context.target?.spec.release?.name);
    if (!selector) return failure(`parameters.pvcLabelSelector is required because target "${context.operation.spec.targetRef.name}" has no release`);
    const labelSelector = selectorString(selector);
    const pvcs = await reader.list(PERSISTENT_VOLUME_CLAIM, context.childNamespace, labelSelector, signal);
    if (pvcs.length === 0) return failure(`no PersistentVolumeClaim matches ${labelSelector}`);
    return { ready: true, facts: { pvcs: pvcs.map((pvc) => pvc.metadata.name).sort() } };
  },

  desiredChildren(context, facts) {
    const expiry = expiresAt(context);
    return facts.pvcs.map((pvcName) => ({
      type: VOLUME_SNAPSHOT,
      mode: "create" as const,
      object: buildVolumeSnapshot({
        operationName: operationName(context),
        namespace: context.childNamespace,
        owner: childOwner(context),
        pvcName,
        parameters: context.parameters,
        ...(expiry ? { expiresAt: expiry } : {}),
      }),
    }));
  },

  started(context, written) {
    const snapshots = written
      .filter((object) => object.kind === VOLUME_SNAPSHOT.kind)
      .map((object) => ({ name: object.metadata.name, pvc: String((object.spec as { source?: { persistentVolumeClaimName?: string } })?.source?.persistentVolumeClaimName ?? "") }))
      .sort((a, b) => (a.pvc < b.pvc ? -1 : a.pvc > b.pvc ? 1 : 0));
    const first = snapshots[0]?.name ?? snapshotName(operationName(context), "");
    return {
      engineRef: { kind: VOLUME_SNAPSHOT.kind, name: first, namespace: context.childNamespace },
      outputs: snapshotOutputs(snapshots.map((s) => s.name), snapshots.map((s) => s.pvc)),
    };
  },

  observe(context, children) {
    const expected = expectedNames(context);
    const owned = childrenOfKind(children, VOLUME_SNAPSHOT).filter((s) => expected.includes(s.metadata.name));
    if (owned.length < expected.length || expected.length === 0) {
      const absent = expected.filter((name) => !owned.some((s) => s.metadata.name === name));
      return { state: "missing", message: `VolumeSnapshot ${absent.join(", ") || "(none recorded)"} not found in namespace ${context.childNamespace}` };
    }
    return snapshotProgress(owned, expected.length, context.template.reasons);
  },

  cancel: (_context, children) => childrenOfKind(children, VOLUME_SNAPSHOT).map((snapshot) => deleteAction(VOLUME_SNAPSHOT, snapshot)),

  afterFailure(context, children) {
    const expiry = new Date(context.now.getTime() + context.settings.childTtlSeconds * 1000).toISOString();
    const patch = { metadata: { annotations: { [ANNOTATION_EXPIRES_AT]: expiry } } };
    return childrenOfKind(children, VOLUME_SNAPSHOT).map((snapshot) => patchAction(VOLUME_SNAPSHOT, snapshot, patch));
  },
};
