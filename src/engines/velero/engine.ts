/**
 * The `velero` engine: Backup and Restore as one Velero object in the Velero namespace (docs/operations.md#velero). Created, never updated; no ownerReference (another namespace), so cancel deletes it explicitly
 * and a finished backup outlives its Operation.
 */
import type { BackupVeleroParameters, RestoreVeleroParameters } from "../../operations/parameters";
import type { KubeObject } from "../../kube/types";
import { childrenOfKind, deleteAction, findChild } from "../common/children";
import { childOwner } from "../common/owner";
import { dependencyMissing, missingNamespace } from "../common/prerequisites";
import { VELERO_BACKUP, VELERO_RESTORE, VOLUME_SNAPSHOT_CLASS } from "../common/resources";
import type { Engine, EngineContext, StartRecord } from "../types";
import { buildBackup, buildRestore, DEFAULT_STORAGE_LOCATION, requestedSnapshotClass, veleroChildName } from "./manifest";
import { veleroCounts, veleroProgress } from "./verdict";

type VeleroParameters = BackupVeleroParameters | RestoreVeleroParameters;

interface VeleroFacts {
  /** The CSI class a Backup asked for, with the driver Velero's annotation is keyed by. */
  snapshotClass?: { name: string; driver: string };
}

const isRestore = (context: EngineContext<VeleroParameters>) => context.operation.spec.type === "Restore";
const childType = (context: EngineContext<VeleroParameters>) => (isRestore(context) ? VELERO_RESTORE : VELERO_BACKUP);
const backupParameters = (context: EngineContext<VeleroParameters>) => context.parameters as BackupVeleroParameters;
const restoreParameters = (context: EngineContext<VeleroParameters>) => context.parameters as RestoreVeleroParameters;

function childName(context: EngineContext<VeleroParameters>): string {
  return veleroChildName({ namespace: context.operation.metadata.namespace ?? "", name: context.operation.metadata.name });
}

export const veleroEngine: Engine<VeleroParameters, VeleroFacts> = {
  name: "velero",
  types: ["Backup", "Restore"],
  requires: [VELERO_BACKUP, VELERO_RESTORE],
  childTypes: [VELERO_BACKUP, VELERO_RESTORE],
  childNamespaceOf: (context) => context.settings.veleroNamespace,

  async prepare(context, reader, signal) {
    const missing = await missingNamespace(reader, context.settings.veleroNamespace, "Velero", signal);
    if (missing) return missing;
    const className = isRestore(context) ? undefined : requestedSnapshotClass(backupParameters(context));
    if (!className) return { ready: true, facts: {} };
    const snapshotClass = await reader.get(VOLUME_SNAPSHOT_CLASS, undefined, className, signal);
    const driver = typeof snapshotClass?.driver === "string" ? snapshotClass.driver : undefined;
    if (!driver) return dependencyMissing(`VolumeSnapshotClass "${className}" not found (or it names no driver)`);
    return { ready: true, facts: { snapshotClass: { name: className, driver } } };
  },

  desiredChildren(context, facts) {
    const input = { name: childName(context), veleroNamespace: context.settings.veleroNamespace, owner: childOwner(context) };
    if (isRestore(context)) return [{ type: VELERO_RESTORE, object: buildRestore({ ...input, parameters: restoreParameters(context) }), mode: "create" }];
    const object = buildBackup({
      ...input,
      childNamespace: context.childNamespace,
      parameters: backupParameters(context),
      ...(facts.snapshotClass ? { snapshotClass: facts.snapshotClass } : {}),
    });
    return [{ type: VELERO_BACKUP, object, mode: "create" }];
  },

  started(context, written): StartRecord {
    const type = childType(context);
    const name = written.find((object: KubeObject) => object.kind === type.kind)?.metadata.name ?? childName(context);
    const veleroNamespace = context.settings.veleroNamespace;
    const engineRef = { kind: type.kind, name, namespace: veleroNamespace };
    if (isRestore(context)) return { engineRef, outputs: { restoreName: name, backupName: restoreParameters(context).backupName } };
    const storageLocation = backupParameters(context).storageLocation ?? DEFAULT_STORAGE_LOCATION;
    return { engineRef, outputs: { backupName: name, veleroNamespace, storageLocation } };
  },

  observe(context, children) {
    const type = childType(context);
    const child = findChild(children, type, childName(context));
    if (!child) return { state: "missing", message: `Velero ${type.kind} ${childName(context)} not found in namespace ${context.settings.veleroNamespace}` };
    const progress = veleroProgress(child, context.template.reasons);
    return progress.state === "running" ? { ...progress, outputs: veleroCounts(child) } : progress;
  },

  cancel: (context, children) => childrenOfKind(children, childType(context)).map((child) => deleteAction(childType(context), child)),
  afterFailure: () => [],
};
