/**
 * Wiring of the Push access controller: keyed by namespace name. A namespace change (a gate flip), a change
 * of the operator's own RoleBinding `vworkspace-control-plane`, or a Cluster change that can move the answer
 * (a new or deleted Cluster, a spec edit, deletion starting, a new mode in effect in status) enqueues the
 * namespaces concerned. Other status writes, one per heartbeat, do not.
 */
import { CLUSTER } from "../../api/groups";
import type { Cluster } from "../../api/cluster";
import { honouredCluster } from "../../api/honoured-cluster";
import { CONTROL_PLANE_ROLE_BINDING } from "../../api/push-access";
import type { KubeObject } from "../../kube/types";
import { Controller } from "../../manager/controller";
import type { ControllerFactory, ManagerContext } from "../../manager/operator";
import { MANAGED_SELECTOR, ROLE_BINDING } from "../tenant/desired";
import { pushAccessRole, pushAccessWanted } from "./desired";
import { reconcilePushAccess } from "./reconciler";

export const pushAccessController: ControllerFactory = (context: ManagerContext) => {
  const { config, informers, gate } = context;
  const inScope = (namespace: string) => config.watchNamespaces.length === 0 || config.watchNamespaces.includes(namespace);
  const clusters = informers.for<KubeObject>({ type: CLUSTER });
  const roleBindings = informers.for<KubeObject>({ type: ROLE_BINDING, labelSelector: MANAGED_SELECTOR });
  const deps = {
    client: context.client,
    namespaces: gate.view,
    inScope,
    wanted: () => pushAccessWanted(honouredCluster(clusters.list() as Cluster[])),
    role: () => pushAccessRole(honouredCluster(clusters.list() as Cluster[])),
    roleBindings,
    operatorNamespace: config.namespace,
    events: context.events,
  };
  const pushNamespace = (object: KubeObject) => (object.metadata.name === CONTROL_PLANE_ROLE_BINDING && object.metadata.namespace ? [object.metadata.namespace] : []);
  const everyNamespace = () => [...new Set([...gate.view.list().map((namespace) => namespace.metadata.name).filter(inScope), ...roleBindings.list().flatMap(pushNamespace)])];
  const controller = new Controller({
    name: "push-access",
    workers: config.workers,
    metrics: context.metrics,
    logger: context.logger,
    clock: context.clock,
    reconcile: ({ key, signal, logger }) => reconcilePushAccess(deps, key, signal, logger),
  })
    .watchMapped(gate.view, (namespace) => (inScope(namespace.metadata.name) ? [namespace.metadata.name] : []))
    .watchMapped(roleBindings, pushNamespace)
    // Registered for the sync wait only: before the Clusters are known no binding may be judged unwanted.
    .watchMapped(clusters, () => []);
  const enqueueEvery = () => {
    for (const namespace of everyNamespace()) controller.queue.add(namespace);
  };
  clusters.addHandlers({
    add: enqueueEvery,
    delete: enqueueEvery,
    update: (previous, current) => {
      const modeInEffect = (cluster: KubeObject) => (cluster as Cluster).status?.connectivityMode;
      const moved = previous.metadata.generation !== current.metadata.generation || previous.metadata.deletionTimestamp !== current.metadata.deletionTimestamp;
      if (moved || modeInEffect(previous) !== modeInEffect(current)) enqueueEvery();
    },
  });
  return controller;
};
