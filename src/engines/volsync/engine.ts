/**
 * The `volsync` engine: Backup as a ReplicationSource, Restore as a ReplicationDestination, each with a
 * manual trigger equal to the Operation UID (docs/operations.md#volsync). Cancel, timeout and failure pause the
 * object and keep it; it follows the Operation on deletion.
 */
import type { KubeObject } from "../../kube/types";
import type { BackupVolsyncParameters, RestoreVolsyncParameters } from "../../operations/parameters";
import { childrenOfKind, findChild, patchAction } from "../common/children";
import { childOwner, operationReference } from "../common/owner";
import { REPLICATION_DESTINATION, REPLICATION_SOURCE } from "../common/resources";
import type { ChildAction, Engine, EngineContext, ObservedChildren } from "../types";
import { buildReplicationDestination, buildReplicationSource, PAUSE_PATCH, volSyncChildName } from "./manifest";
import { volSyncProgress } from "./verdict";

type VolSyncParameters = BackupVolsyncParameters | RestoreVolsyncParameters;

const isRestore = (context: EngineContext<VolSyncParameters>) => context.operation.spec.type === "Restore";
const childType = (context: EngineContext<VolSyncParameters>) => (isRestore(context) ? REPLICATION_DESTINATION : REPLICATION_SOURCE);
const childName = (context: EngineContext<VolSyncParameters>) => volSyncChildName(context.operation.metadata.name);

function pauseAll(context: EngineContext<VolSyncParameters>, children: ObservedChildren): ChildAction[] {
  const type = childType(context);
  return childrenOfKind(children, type).map((child) => patchAction(type, child, PAUSE_PATCH));
}

export const volSyncEngine: Engine<VolSyncParameters, null> = {
  name: "volsync",
  types: ["Backup", "Restore"],
  requires: [REPLICATION_SOURCE, REPLICATION_DESTINATION],
  childTypes: [REPLICATION_SOURCE, REPLICATION_DESTINATION],
  childNamespaceOf: (context) => context.childNamespace,

  prepare: async () => ({ ready: true, facts: null }),

  desiredChildren(context) {
    const input = { name: childName(context), namespace: context.childNamespace, owner: childOwner(context), ownerReference: operationReference(context) };
    if (isRestore(context)) {
      const object = buildReplicationDestination({ ...input, parameters: context.parameters as RestoreVolsyncParameters });
      return [{ type: REPLICATION_DESTINATION, object, mode: "create" }];
    }
    return [{ type: REPLICATION_SOURCE, object: buildReplicationSource({ ...input, parameters: context.parameters as BackupVolsyncParameters }), mode: "create" }];
  },

  started(context, written) {
    const type = childType(context);
    const name = written.find((object: KubeObject) => object.kind === type.kind)?.metadata.name ?? childName(context);
    const nameKey = isRestore(context) ? "replicationDestinationName" : "replicationSourceName";
    return { engineRef: { kind: type.kind, name, namespace: context.childNamespace }, outputs: { [nameKey]: name, pvcName: context.parameters.pvcName } };
  },

  observe(context, children) {
    const type = childType(context);
    const child = findChild(children, type, childName(context));
    if (!child) return { state: "missing", message: `${type.kind} ${childName(context)} not found in namespace ${context.childNamespace}` };
    return volSyncProgress(child, context.uid, context.template.reasons);
  },

  cancel: pauseAll,
  afterFailure: pauseAll,
};
