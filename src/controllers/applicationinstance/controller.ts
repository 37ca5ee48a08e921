/**
 * Wiring of the ApplicationInstance controller (docs/applications.md#watches-and-writes): the instance informer drives it; owned
 * HelmReleases and chart sources, Namespace gate flips and the uninstall deadline re-enqueue it.
 */
import { APPLICATION_INSTANCE } from "../../api/groups";
import { LABEL_APPLICATION_INSTANCE } from "../../api/labels";
import { tenantServiceAccount } from "../../api/tenant";
import { CONTROL_PLANE_MANAGED_SELECTOR, helmReleasesAuthoritative } from "../../api/helmrelease-authority";
import { honouredCluster } from "../../api/honoured-cluster";
import { FLUX_TYPES, HELM_RELEASE, HELM_REPOSITORY, OCI_REPOSITORY, type HelmRelease } from "../../flux/types";
import { AppliedObjects } from "../../kube/applied";
import { Discovery } from "../../kube/discovery";
import { ClusterSetting } from "../../manager/cluster-setting";
import { ReleasedFinalizers } from "../../kube/released-finalizers";
import { controllerOf } from "../../kube/owners";
import { objectKey, type KubeObject, type ResourceType } from "../../kube/types";
import { Controller } from "../../manager/controller";
import type { ControllerFactory, ManagerContext } from "../../manager/operator";
import { applicationInstanceReconciler } from "./reconciler";

/** The instance a Flux child belongs to: its controller ownerReference, else its instance label. */
const FLUX_CHILD_TYPES = [HELM_RELEASE, HELM_REPOSITORY, OCI_REPOSITORY];

export function ownerKey(child: KubeObject): string[] {
  const namespace = child.metadata.namespace;
  const owner = controllerOf(child);
  if (owner && owner.kind === APPLICATION_INSTANCE.kind && owner.apiVersion.startsWith(`${APPLICATION_INSTANCE.group}/`)) {
    return [objectKey({ name: owner.name, namespace })];
  }
  const label = child.metadata.labels?.[LABEL_APPLICATION_INSTANCE];
  return label ? [objectKey({ name: label, namespace })] : [];
}

export const applicationInstanceController: ControllerFactory = (context: ManagerContext) => {
  const { config, informers, gate, clusterIdentity } = context;
  const instances = informers.for<KubeObject>({ type: APPLICATION_INSTANCE });
  const childViews = new Map(FLUX_CHILD_TYPES.map((type) => [type.plural, informers.for<KubeObject>({ type, labelSelector: LABEL_APPLICATION_INSTANCE })]));
  const viewOf = (type: ResourceType) => childViews.get(type.plural);
  const applied = new AppliedObjects();
  const released = new ReleasedFinalizers();
  instances.addHandlers({ delete: (instance) => released.forget(instance) });
  // Committed HelmReleases (docs/connectivity.md#helmrelease-authoritative-gitops) are only read: an instance mirrors the one of its release name.
  const committed = informers.for<KubeObject>({ type: HELM_RELEASE, labelSelector: CONTROL_PLANE_MANAGED_SELECTOR });
  const authority = new ClusterSetting(clusterIdentity.view, (clusters) => helmReleasesAuthoritative(honouredCluster(clusters)));
  const discovery = new Discovery(context.client, { ttlMs: 10_000, clock: context.clock });
  const controller = new Controller({
    name: "applicationinstance",
    workers: config.workers,
    metrics: context.metrics,
    logger: context.logger,
    clock: context.clock,
    reconcile: applicationInstanceReconciler({
      client: context.client,
      instances,
      children: {
        get: (type, key) => viewOf(type)?.get(key),
        hasSynced: (type) => viewOf(type)?.hasSynced() ?? false,
      },
      applied,
      released,
      gate,
      clusterId: () => clusterIdentity.clusterId(),
      helmReleasesAuthoritative: () => authority.current(),
      committedHelmRelease: (namespace, name) => committed.get(objectKey({ name, namespace })) as HelmRelease | undefined,
      fluxServed: async (signal) => (await Promise.all(FLUX_TYPES.map((type) => discovery.isServed(type, signal)))).every(Boolean),
      status: context.status,
      events: context.events,
      clock: context.clock,
      settings: {
        helmReleaseIntervalMs: config.helmReleaseIntervalMs,
        helmReleaseTimeoutMs: config.helmReleaseTimeoutMs,
        sourceIntervalMs: config.sourceIntervalMs,
        uninstallTimeoutMs: config.uninstallTimeoutMs,
        dependencyRecheckMs: config.dependencyRecheckMs,
      },
    }),
  }).watchPrimary(instances);

  // The first pass must see the gate's real state, not an empty cache: wait for the Namespace informer.
  controller.watchMapped(gate.view, () => []);
  controller.watchMapped(clusterIdentity.view, () => []);
  const enqueueNamespace = (namespace: string) => {
    for (const instance of instances.list(namespace)) controller.queue.add(objectKey(instance.metadata));
  };
  gate.onChange(enqueueNamespace);
  // An admin relabelling the namespace's Flux tenant re-renders its HelmReleases.
  gate.view.addHandlers({
    update: (previous, current) => {
      if (tenantServiceAccount(previous.metadata.labels) !== tenantServiceAccount(current.metadata.labels)) enqueueNamespace(current.metadata.name);
    },
  });
  const enqueueAll = () => {
    for (const instance of instances.list()) controller.queue.add(objectKey(instance.metadata));
  };
  // Turning HelmRelease authority on or off changes what every instance does.
  authority.onChange(enqueueAll);
  const enqueueMirrors = (helmRelease: KubeObject) => {
    const namespace = helmRelease.metadata.namespace ?? "";
    for (const instance of instances.list(namespace)) {
      const release = (instance.spec as { release?: { name?: unknown } } | undefined)?.release;
      if (release?.name === helmRelease.metadata.name) controller.queue.add(objectKey(instance.metadata));
    }
  };
  committed.addHandlers({ add: enqueueMirrors, update: (_previous, current) => enqueueMirrors(current), delete: enqueueMirrors });

  // A new cluster id may block or release any instance (docs/applications.md#watches-and-writes).
  clusterIdentity.onChange(enqueueAll);

  // Flux children only trigger passes (reconciles read them live; the HR cache merely lets the takeover
  // check be skipped), so their informers are not waited for: without the Flux CRDs they never sync, and
  // the instances must still get MissingDependencies.
  for (const view of childViews.values()) {
    const enqueue = (child: KubeObject) => ownerKey(child).forEach((key) => controller.queue.add(key));
    const deleted = (child: KubeObject) => {
      applied.forget(view.type, child);
      enqueue(child);
    };
    view.addHandlers({ add: enqueue, update: (_previous, current) => enqueue(current), delete: deleted });
  }
  return controller;
};
