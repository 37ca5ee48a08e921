/**
 * A controller: watches feed keys into a work queue, workers reconcile them. Reconcilers are pure
 * about *what* to do; this class owns *when*: dedupe, backoff on error, requeue-after, metrics.
 */
import type { Clock } from "../kube/clock";
import { WorkQueue, type WorkResult } from "../kube/workqueue";
import type { KubeObject } from "../kube/types";
import { objectKey } from "../kube/types";
import type { Logger } from "../observability/logger";
import type { ControllerName, OperatorMetrics } from "../observability/metrics";
import type { SharedView } from "./informers";

export interface ReconcileRequest {
  key: string;
  signal: AbortSignal;
  logger: Logger;
}

export type Reconcile = (request: ReconcileRequest) => Promise<WorkResult | void>;

export interface ControllerOptions {
  name: ControllerName;
  reconcile: Reconcile;
  workers: number;
  metrics: OperatorMetrics;
  logger: Logger;
  clock?: Clock;
}

export class Controller {
  readonly name: ControllerName;
  readonly queue: WorkQueue<string>;
  readonly #views: SharedView<KubeObject>[] = [];
  readonly #options: ControllerOptions;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.name = options.name;
    const { metrics, name } = options;
    this.queue = new WorkQueue<string>({
      name,
      logger: options.logger,
      ...(options.clock ? { clock: options.clock } : {}),
      metrics: {
        depth: (depth) => metrics.workqueueDepth.set({ controller: name }, depth),
        retry: () => metrics.workqueueRetries.inc({ controller: name }),
      },
    });
  }

  /** Reconcile the object's own key on every add, update and delete of `view`. */
  watchPrimary<T extends KubeObject>(view: SharedView<T>): this {
    return this.watchMapped(view, (object) => [objectKey(object.metadata)]);
  }

  /** Reconcile the keys `map` derives (an owner, every object in a namespace, …) on each change. */
  watchMapped<T extends KubeObject>(view: SharedView<T>, map: (object: T) => readonly string[]): this {
    const enqueue = (object: T) => {
      for (const key of map(object)) this.queue.add(key);
    };
    view.addHandlers({ add: enqueue, update: (_previous, current) => enqueue(current), delete: enqueue });
    this.#views.push(view as unknown as SharedView<KubeObject>);
    return this;
  }

  /** Runs workers after every watched cache has synced; resolves once `signal` aborts and work drained. */
  async run(signal: AbortSignal, shutdownTimeoutMs: number): Promise<void> {
    try {
      await Promise.all(this.#views.map((view) => view.waitForSync(signal)));
    } catch (err) {
      if (signal.aborted) return; // stopped before the caches synced: nothing to drain
      throw err;
    }
    const workers = this.queue.run(this.#options.workers, (key, workSignal) => this.#reconcileOnce(key, workSignal), {
      onError: (key, err, retries) => this.#options.logger.warn({ controller: this.name, key, retries, err: describe(err) }, "reconcile failed; retrying with backoff"),
    });
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    await this.queue.shutdown(shutdownTimeoutMs);
    await workers;
  }

  async #reconcileOnce(key: string, signal: AbortSignal): Promise<WorkResult | void> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await this.#options.reconcile({ key, signal, logger: this.#options.logger.child({ controller: this.name, key }) });
      this.#options.metrics.recordReconcile(this.name, result?.requeueAfterMs !== undefined ? "requeue" : "success", seconds());
      return result;
    } catch (err) {
      this.#options.metrics.recordReconcile(this.name, "error", seconds());
      throw err;
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
