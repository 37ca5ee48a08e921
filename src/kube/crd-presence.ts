/**
 * Which CustomResourceDefinitions exist, from one metadata-only watch started on first use. Informers of
 * optional APIs (Argo Workflows, Velero, CSI snapshots, VolSync: absent on a typical k3s VM) wait here
 * for their CRD instead of re-listing a resource that is not installed; a cluster that has them all
 * never opens this watch.
 */
import type { Logger } from "../observability/logger";
import type { Clock } from "./clock";
import { Informer } from "./informer";
import type { ResourceType } from "./types";
import type { WatchApi } from "./watch";

export const CUSTOM_RESOURCE_DEFINITION: ResourceType = {
  group: "apiextensions.k8s.io",
  version: "v1",
  kind: "CustomResourceDefinition",
  plural: "customresourcedefinitions",
  namespaced: false,
};

export interface CrdPresenceOptions {
  api: WatchApi;
  /** Ends the watch. */
  signal: AbortSignal;
  logger?: Logger;
  clock?: Clock;
  resyncMs?: number;
}

/** The CRD name that serves `type`: `<plural>.<group>`. */
export function crdName(type: Pick<ResourceType, "plural" | "group">): string {
  return `${type.plural}.${type.group}`;
}

export class CrdPresence {
  #informer: Informer | undefined;
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(private readonly options: CrdPresenceOptions) {}

  /** Resolves once CRD `name` exists: false at once when it already does, true after waiting for it. */
  async untilPresent(name: string, signal: AbortSignal): Promise<boolean> {
    const informer = this.#started();
    try {
      await informer.waitForSync(AbortSignal.any([signal, this.options.signal]));
    } catch {
      return false; // stopped while waiting: the caller sees its own signal aborted
    }
    if (signal.aborted || informer.store.get(name)) return false;
    await new Promise<void>((resolve) => {
      const waiters = this.#waiters.get(name) ?? new Set<() => void>();
      this.#waiters.set(name, waiters);
      const done = () => {
        waiters.delete(done);
        signal.removeEventListener("abort", done);
        this.options.signal.removeEventListener("abort", done);
        resolve();
      };
      waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
      this.options.signal.addEventListener("abort", done, { once: true });
    });
    return true;
  }

  async stop(): Promise<void> {
    await this.#informer?.stop();
  }

  #started(): Informer {
    if (!this.#informer) {
      const { api, logger, clock, resyncMs } = this.options;
      this.#informer = new Informer({
        api,
        type: CUSTOM_RESOURCE_DEFINITION,
        ...(logger ? { logger } : {}),
        watcher: { metadataOnly: true, ...(resyncMs !== undefined ? { resyncMs } : {}), ...(clock ? { clock } : {}) },
      });
      this.#informer.addHandlers({ add: (crd) => this.#appeared(crd.metadata.name) });
      this.#informer.start(this.options.signal);
    }
    return this.#informer;
  }

  #appeared(name: string): void {
    for (const done of [...(this.#waiters.get(name) ?? [])]) done();
  }
}
