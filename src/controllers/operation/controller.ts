/**
 * Wiring of the Operation controller (docs/operations.md#watches-and-writes): the Operation informer drives it; sibling
 * Operations on the same target, the target ApplicationInstance, Namespace gate flips and the engines'
 * children (selected by the operation label) re-enqueue it. No fixed-interval polling of children.
 */
import type { ApplicationInstance } from "../../api/applicationinstance";
import { APPLICATION_INSTANCE, OPERATION } from "../../api/groups";
import { LABEL_OPERATION } from "../../api/labels";
import { isTerminalPhase, type Operation } from "../../api/operation";
import { ENGINES } from "../../engines";
import { findCondition } from "../../kube/conditions";
import { Discovery } from "../../kube/discovery";
import { isDeleting } from "../../kube/owners";
import { objectKey, type KubeObject, type ResourceType } from "../../kube/types";
import { Controller } from "../../manager/controller";
import type { SharedView } from "../../manager/informers";
import type { ControllerFactory, ManagerContext } from "../../manager/operator";
import type { RuleFacts } from "../../operations/rules";
import { VELERO_BACKUP, VOLUME_SNAPSHOT } from "../../engines/common/resources";
import { runActions } from "./children";
import type { ObjectCache, OperationReconcilerDeps } from "./deps";
import { expiredChildren, SWEEP_KEY, SWEPT_REPLICATION_TYPES } from "./sweep";
import { recountOperations } from "./gauges";
import { liveReader } from "./reader";
import { operationReconciler } from "./reconciler";
import { StartGate } from "./start-gate";

const TARGET_INDEX = "target";

function queueStanding(op: Operation): string {
  const blocked = findCondition(op.status?.conditions, "Blocked");
  return `${op.status?.phase ?? ""}/${blocked?.status ?? ""}/${blocked?.reason ?? ""}`;
}
const UID_INDEX = "uid";

export const operationController: ControllerFactory = (context: ManagerContext) => {
  const { config, informers, gate, client, clock } = context;
  const settings = config.operations;
  const operations = informers.for<Operation>({ type: OPERATION });
  const instances = informers.for<ApplicationInstance>({ type: APPLICATION_INSTANCE });
  operations.addIndex(TARGET_INDEX, (op) => [`${op.metadata.namespace}/${op.spec?.targetRef?.name ?? ""}`]);
  operations.addIndex(UID_INDEX, (op) => (op.metadata.uid ? [op.metadata.uid] : []));
  const discovery = new Discovery(client, { ttlMs: 10_000, clock });

  // Velero children live in the Velero namespace, whatever the operator's namespace scope.
  const childViews = new Map<string, SharedView>();
  const childView = (type: ResourceType): SharedView => {
    const scoped = type.group === VELERO_BACKUP.group ? settings.veleroNamespace : undefined;
    const id = `${type.group}/${type.plural}`;
    let view = childViews.get(id);
    if (!view) {
      view = informers.for<KubeObject>({ type, labelSelector: LABEL_OPERATION, ...(scoped ? { namespace: scoped } : {}) });
      childViews.set(id, view);
    }
    return view;
  };

  const reader = liveReader(client);
  const ruleFacts: RuleFacts = {
    namespace: async (name) => gate.view.get(name),
    target: async (namespace, name) => instances.get(objectKey({ namespace, name })),
    veleroBackup: (name, signal) => reader.get(VELERO_BACKUP, settings.veleroNamespace, name, signal),
    veleroNamespace: settings.veleroNamespace,
  };

  const deps: OperationReconcilerDeps = {
    client,
    operations,
    instances,
    children: (type) => childView(type) as ObjectCache,
    gate,
    clusterId: () => context.clusterIdentity.clusterId(),
    ruleFacts,
    reader,
    served: (type, signal) => discovery.isServed(type, signal),
    status: context.status,
    events: context.events,
    metrics: context.metrics,
    clock,
    settings,
    starts: new StartGate(),
  };
  // Live lists, not the child caches: the first sweep runs at start, before those caches have listed anything.
  const sweepNamespaces = config.watchNamespaces.length > 0 ? config.watchNamespaces : [""];
  const listOwned = async (type: ResourceType, signal: AbortSignal): Promise<KubeObject[]> =>
    (await Promise.all(sweepNamespaces.map((namespace) => reader.list(type, namespace, LABEL_OPERATION, signal)))).flat();
  const sweep = async (signal: AbortSignal) => {
    const replications = await Promise.all(SWEPT_REPLICATION_TYPES.map(async (type) => (await listOwned(type, signal)).map((object) => ({ type, object }))));
    const actions = expiredChildren({
      snapshots: await listOwned(VOLUME_SNAPSHOT, signal),
      replications: replications.flat(),
      operationByUid: (uid) => operations.byIndex(UID_INDEX, uid)[0],
      now: clock.now(),
      childTtlSeconds: settings.childTtlSeconds,
    });
    await runActions(deps, actions, signal);
    if (actions.length > 0) context.logger.info({ deleted: actions.length }, "swept expired operation children");
  };
  const controller = new Controller({
    name: "operation",
    workers: config.workers,
    metrics: context.metrics,
    logger: context.logger,
    clock,
    reconcile: operationReconciler(deps, sweep),
  });
  controller.queue.add(SWEEP_KEY);

  // The Operation itself, and its open siblings on the same target (queue order, docs/operations.md#concurrency).
  const onTarget = (namespace: string | undefined, targetName: string | undefined): string[] =>
    operations
      .byIndex(TARGET_INDEX, `${namespace}/${targetName ?? ""}`)
      .filter((op) => !isTerminalPhase(op.status?.phase))
      .map((op) => objectKey(op.metadata));
  controller.watchPrimary(operations);
  // Siblings care only about a change of queue standing (phase or Blocked reason), not every status write.
  const requeueSiblings = (op: Operation) => onTarget(op.metadata.namespace, op.spec?.targetRef?.name).forEach((key) => controller.queue.add(key));
  operations.addHandlers({
    add: requeueSiblings,
    update: (previous, current) => {
      if (queueStanding(previous) !== queueStanding(current) || isDeleting(previous) !== isDeleting(current)) requeueSiblings(current);
    },
    delete: requeueSiblings,
  });
  controller.watchMapped(instances, (instance) => onTarget(instance.metadata.namespace, instance.metadata.name));
  controller.watchMapped(gate.view, () => []);
  gate.onChange((namespace) => {
    for (const op of operations.list(namespace)) controller.queue.add(objectKey(op.metadata));
  });
  // A new cluster id may block or release any Operation not yet started (docs/concepts.md#cluster-identity).
  controller.watchMapped(context.clusterIdentity.view, () => []);
  context.clusterIdentity.onChange(() => {
    for (const op of operations.list()) if (!isTerminalPhase(op.status?.phase)) controller.queue.add(objectKey(op.metadata));
  });
  operations.addHandlers({ add: () => recountOperations(operations, context.metrics), update: () => recountOperations(operations, context.metrics), delete: () => recountOperations(operations, context.metrics) });

  // Children only trigger passes, and their informers are not waited for: without a CRD they never sync.
  // Running Operations skip their verdict until the child caches listed once, so each sync re-enqueues them.
  const enqueueOpen = () => {
    for (const op of operations.list()) if (!isTerminalPhase(op.status?.phase)) controller.queue.add(objectKey(op.metadata));
  };
  const byUid = (child: KubeObject): string[] => {
    const uid = child.metadata.labels?.[LABEL_OPERATION];
    return uid ? operations.byIndex(UID_INDEX, uid).map((op) => objectKey(op.metadata)) : [];
  };
  const watchedChildren = new Set(ENGINES.flatMap((engine) => engine.childTypes.map(childView)));
  for (const view of watchedChildren) {
    const enqueue = (child: KubeObject) => byUid(child).forEach((key) => controller.queue.add(key));
    view.addHandlers({ add: enqueue, update: (_previous, current) => enqueue(current), delete: enqueue });
    view.waitForSync().then(enqueueOpen, () => undefined);
  }
  return controller;
};
