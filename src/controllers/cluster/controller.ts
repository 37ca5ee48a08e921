/**
 * Wiring of the Cluster controller: every Cluster change, a change of a Secret in the operator namespace, a
 * namespace gate flip, a Push RoleBinding change or an agent observation re-runs the one reconcile over all Clusters. ApplicationInstance
 * and Operation condition changes in gated namespaces feed the agent's event sender, and so do committed HelmReleases' when they are
 * authoritative. A mode switch's field-ownership hand-over covers the gated namespaces in the watch scope.
 */
import { AgentMetrics } from "../../observability/agent-metrics";
import { APPLICATION_INSTANCE, CLUSTER, OPERATION } from "../../api/groups";
import { CONTROL_PLANE_MANAGED_SELECTOR, helmReleasesAuthoritative, reportedHelmRelease } from "../../api/helmrelease-authority";
import { honouredCluster } from "../../api/honoured-cluster";
import { HELM_RELEASE } from "../../flux/types";
import type { Secret } from "../../agent/credentials/credentials";
import { Discovery } from "../../kube/discovery";
import { ClusterSetting } from "../../manager/cluster-setting";
import type { KubeObject, ResourceType } from "../../kube/types";
import { Controller } from "../../manager/controller";
import type { ControllerFactory, ManagerContext } from "../../manager/operator";
import { createDriver } from "../../connectivity";
import { handOverFieldOwnership } from "./handover";
import { controllersHealthy } from "./health";
import { ClusterReconciler } from "./reconciler";
import { register } from "./registration";
import { SECRET } from "./secrets";
import { CONTROL_PLANE_ROLE_BINDING } from "../../api/push-access";
import { grantsPushAccess } from "../pushaccess/desired";
import { removeAllPushAccess } from "../pushaccess/reconciler";
import { MANAGED_SELECTOR, ROLE_BINDING } from "../tenant/desired";

const KEY = "clusters";
const metricsByRegistry = new WeakMap<object, AgentMetrics>();

/** Stops the agent after the work queue drained, so shutdown finishes the job in hand and flushes events. */
class ClusterController extends Controller {
  constructor(options: ConstructorParameters<typeof Controller>[0], private readonly reconciler: ClusterReconciler) {
    super(options);
  }

  override async run(signal: AbortSignal, shutdownTimeoutMs: number): Promise<void> {
    await super.run(signal, shutdownTimeoutMs);
    await this.reconciler.stop();
  }
}

export const clusterController: ControllerFactory = (context: ManagerContext) => {
  const { config, informers, gate } = context;
  const namespace = config.agent.credentialsNamespace || config.namespace;
  const clusters = informers.for<KubeObject>({ type: CLUSTER });
  const secrets = informers.for<Secret>({ type: SECRET, namespace });
  const instances = informers.for<KubeObject>({ type: APPLICATION_INSTANCE });
  const operations = informers.for<KubeObject>({ type: OPERATION });
  const roleBindings = informers.for<KubeObject>({ type: ROLE_BINDING, labelSelector: MANAGED_SELECTOR });
  const registry = context.metrics.registry;
  const metrics = metricsByRegistry.get(registry) ?? new AgentMetrics(registry);
  metricsByRegistry.set(registry, metrics);
  const inScope = (name: string) => config.watchNamespaces.length === 0 || config.watchNamespaces.includes(name);
  const cached = (type: ResourceType, objectNamespace: string, name: string): KubeObject | null | undefined => {
    const view = type.group === APPLICATION_INSTANCE.group && type.kind === APPLICATION_INSTANCE.kind ? instances : type.group === OPERATION.group && type.kind === OPERATION.kind ? operations : undefined;
    if (!view || !inScope(objectNamespace) || !view.hasSynced()) return undefined;
    return view.get(`${objectNamespace}/${name}`) ?? null;
  };
  const gatedNamespaces = () => gate.view.list().map((object) => object.metadata.name).filter((name) => gate.isGated(name) && inScope(name));
  // docs/connectivity.md#helmrelease-authoritative-gitops: committed HelmReleases are reported like instances.
  const committedHelmReleases = informers.for<KubeObject>({ type: HELM_RELEASE, labelSelector: CONTROL_PLANE_MANAGED_SELECTOR });
  const authority = new ClusterSetting(clusters, (all) => helmReleasesAuthoritative(honouredCluster(all)));
  const reportsHelmReleases = () => authority.current();
  const reported = () => (reportsHelmReleases() ? committedHelmReleases.list().map(reportedHelmRelease) : []);
  const managedObjects = () => [...instances.list(), ...operations.list(), ...reported()].filter((object) => gate.isGated(object.metadata.namespace ?? ""));

  let controller: ClusterController | undefined;
  const discovery = new Discovery(context.client, { ttlMs: 10_000, clock: context.clock });
  const logger = context.logger.child({ controller: "cluster" });
  const reconciler = new ClusterReconciler({
    client: context.client,
    discovery,
    config: config.agent,
    namespace,
    clusters,
    secret: (name) => secrets.get(`${namespace}/${name}`),
    gate,
    managedObjects,
    cached,
    status: context.status,
    events: context.events,
    metrics,
    logger,
    enqueue: () => controller?.queue.add(KEY),
    createDriver,
    register,
    controllersHealthy: (mode, clusterId, signal) =>
      controllersHealthy(context.client, discovery, { ...config.agent, namespace: config.namespace, webhooksEnabled: config.webhook.enabled }, mode, clusterId, signal),
    pushAccess: (name) => grantsPushAccess(roleBindings.get(`${name}/${CONTROL_PLANE_ROLE_BINDING}`), config.namespace),
    removePushAccess: (signal) => removeAllPushAccess(context.client, signal, logger),
    handOverFieldOwnership: (handOver, signal) => handOverFieldOwnership(context.client, gatedNamespaces(), handOver, signal, logger),
  });
  controller = new ClusterController(
    {
      name: "cluster",
      workers: 1,
      metrics: context.metrics,
      logger: context.logger,
      clock: context.clock,
      reconcile: ({ signal }) => reconciler.reconcile(signal),
    },
    reconciler,
  );
  const pushBinding = (binding: KubeObject) => (binding.metadata.name === CONTROL_PLANE_ROLE_BINDING ? [KEY] : []);
  controller.watchMapped(clusters, () => [KEY]).watchMapped(secrets, () => [KEY]).watchMapped(gate.view, () => []).watchMapped(roleBindings, pushBinding);
  gate.onChange(() => controller?.queue.add(KEY));

  // Condition transitions of managed objects become events once the caches hold the starting state;
  // what existed before is covered by the startup snapshot.
  for (const view of [instances, operations]) {
    view.addHandlers({
      add: (object) => {
        if (view.hasSynced() && gate.isGated(object.metadata.namespace ?? "")) reconciler.observe(undefined, object);
      },
      update: (previous, current) => {
        if (gate.isGated(current.metadata.namespace ?? "")) reconciler.observe(previous, current);
      },
    });
  }
  // Turned on while the driver runs: no startup snapshot will come, so the current conditions go now.
  authority.onChange((reports) => {
    if (!reports) return;
    for (const helmRelease of committedHelmReleases.list()) {
      if (gate.isGated(helmRelease.metadata.namespace ?? "")) reconciler.observe(undefined, reportedHelmRelease(helmRelease));
    }
  });
  committedHelmReleases.addHandlers({
    add: (helmRelease) => {
      if (committedHelmReleases.hasSynced() && reportsHelmReleases() && gate.isGated(helmRelease.metadata.namespace ?? "")) reconciler.observe(undefined, reportedHelmRelease(helmRelease));
    },
    update: (previous, current) => {
      if (reportsHelmReleases() && gate.isGated(current.metadata.namespace ?? "")) reconciler.observe(reportedHelmRelease(previous), reportedHelmRelease(current));
    },
  });
  return controller;
};
