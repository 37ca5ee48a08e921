/**
 * Status for Push clusters without a status channel (docs/connectivity.md#one-control-plane-three-modes): the
 * control plane watches ApplicationInstances and Operations with the cluster's Push kubeconfig, in the
 * namespaces it wrote to (its RBAC allows no wider list), and turns condition changes into the events the
 * agent would have sent, built by the agent's own event factory, so both paths store the same records.
 */
import { conditionTransitionEvents } from "../agent/status/event-factory";
import type { KubeClient } from "../kube/client";
import type { KubeObject, ResourceType } from "../kube/types";
import { Watcher } from "../kube/watch";
import type { Logger } from "../observability/logger";
import { DIRECT_KINDS } from "./direct-write";
import { pushClient } from "./push-writer";
import type { ConnectivityStore } from "./store/connectivity";
import type { EventStore } from "./store/events";

export interface StatusWatchDeps {
  connectivity: ConnectivityStore;
  events: EventStore;
  logger: Logger;
  now: () => number;
  /** Server-side watch length in seconds (shortened in tests). */
  watchTimeoutSeconds?: number;
}

interface ClusterWatch {
  kubeconfig: string;
  client: KubeClient;
  abort: AbortController;
  namespaces: Set<string>;
  running: Promise<void>[];
}

function keyOf(object: KubeObject): string {
  return object.metadata.uid ?? `${object.metadata.namespace}/${object.metadata.name}`;
}

export class StatusWatches {
  readonly #clusters = new Map<string, ClusterWatch>();

  constructor(private readonly deps: StatusWatchDeps) {}

  /** Starts what the store asks for and stops what it no longer does: call after every connectivity change. */
  reconcile(): void {
    const wanted = new Map(this.deps.connectivity.watched().map((connectivity) => [connectivity.clusterId, connectivity]));
    for (const [clusterId, watch] of this.#clusters) {
      if (wanted.get(clusterId)?.pushKubeconfig !== watch.kubeconfig) this.#stopCluster(clusterId);
    }
    for (const [clusterId, connectivity] of wanted) {
      let watch = this.#clusters.get(clusterId);
      if (!watch) {
        const kubeconfig = connectivity.pushKubeconfig as string;
        watch = { kubeconfig, client: pushClient(kubeconfig, clusterId), abort: new AbortController(), namespaces: new Set(), running: [] };
        this.#clusters.set(clusterId, watch);
      }
      for (const namespace of this.deps.connectivity.watchedNamespaces(clusterId)) this.#watchNamespace(clusterId, watch, namespace);
    }
  }

  async stop(): Promise<void> {
    const running = [...this.#clusters.values()].flatMap((watch) => watch.running);
    for (const clusterId of [...this.#clusters.keys()]) this.#stopCluster(clusterId);
    await Promise.allSettled(running);
  }

  #stopCluster(clusterId: string): void {
    this.#clusters.get(clusterId)?.abort.abort();
    this.#clusters.delete(clusterId);
  }

  #watchNamespace(clusterId: string, watch: ClusterWatch, namespace: string): void {
    if (watch.namespaces.has(namespace)) return;
    watch.namespaces.add(namespace);
    for (const type of DIRECT_KINDS) watch.running.push(this.#run(clusterId, watch, type, namespace));
    this.deps.logger.info({ clusterId, namespace }, "watching status with the Push kubeconfig");
  }

  async #run(clusterId: string, watch: ClusterWatch, type: ResourceType, namespace: string): Promise<void> {
    const watcher = new Watcher(watch.client, type, { namespace, timeoutSeconds: this.deps.watchTimeoutSeconds ?? 240, logger: this.deps.logger });
    const known = new Map<string, KubeObject>();
    const observe = (object: KubeObject) => {
      const events = conditionTransitionEvents(known.get(keyOf(object)), object, new Date(this.deps.now()));
      known.set(keyOf(object), object);
      if (events.length > 0) this.deps.events.append(clusterId, events, this.deps.now());
    };
    try {
      for await (const event of watcher.events(watch.abort.signal)) {
        if (event.type === "applied") observe(event.object);
        else if (event.type === "deleted") known.delete(keyOf(event.object));
        else {
          const present = new Set(event.objects.map(keyOf));
          for (const key of [...known.keys()]) if (!present.has(key)) known.delete(key);
          event.objects.forEach(observe);
        }
      }
    } catch (err) {
      if (!watch.abort.signal.aborted) this.deps.logger.error({ clusterId, namespace, kind: type.kind, err: err instanceof Error ? err.message : String(err) }, "status watch ended");
    }
  }
}
