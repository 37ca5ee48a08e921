/**
 * Kubernetes Event recorder (events.k8s.io/v1, docs/operations.md#kubernetes-events). `record` only queues: writes
 * happen in the background, repeats of the same (object, type, reason, action, note) within the
 * series window update the existing Event's `series.count` instead of creating new Events, and
 * failures are logged and counted, never thrown. A bounded queue drops the newest on overflow.
 */
import type { Logger } from "../observability/logger";
import { systemClock, type Clock } from "./clock";
import type { KubeClient } from "./client";
import { truncateMessage } from "./conditions";
import { classifyError } from "./errors";
import { formatMicroTime } from "./time";
import type { KubeObject, ResourceType } from "./types";

export const EVENT_TYPE: ResourceType = { group: "events.k8s.io", version: "v1", kind: "Event", plural: "events", namespaced: true };

export interface EventInput {
  type: "Normal" | "Warning";
  reason: string;
  /** What was being done, e.g. the condition type. */
  action: string;
  note: string;
  related?: KubeObject;
}

export interface EventRecorderMetrics {
  written?(kind: "created" | "series"): void;
  failed?(): void;
  dropped?(): void;
}

export interface EventRecorderOptions {
  client: Pick<KubeClient, "create" | "patch">;
  /** The pod name (docs/operations.md#kubernetes-events). */
  reportingInstance: string;
  reportingController?: string;
  /**
   * Namespace for Events about cluster-scoped objects. The API server accepts only `default` or
   * `kube-system` there when `regarding.namespace` is empty; client-go uses `default`.
   */
  clusterScopedNamespace?: string;
  seriesWindowMs?: number;
  maxPending?: number;
  redact?: (note: string) => string;
  clock?: Clock;
  logger?: Logger;
  metrics?: EventRecorderMetrics;
}

interface Pending {
  regarding: KubeObject;
  event: EventInput;
  note: string;
  occurrences: number;
  lastObservedAt: number;
}

interface Series {
  name: string;
  namespace: string;
  count: number;
  lastObservedAt: number;
}

const NOTE_LIMIT = 1024;
const NAME_LIMIT = 253;

export class EventRecorder {
  readonly #options: EventRecorderOptions;
  readonly #clock: Clock;
  readonly #pending = new Map<string, Pending>();
  readonly #series = new Map<string, Series>();
  #draining: Promise<void> | undefined;
  #sequence = 0;
  #stopped = false;

  constructor(options: EventRecorderOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock();
  }

  /** Queues an Event; returns at once and never throws. */
  record(regarding: KubeObject, event: EventInput): void {
    try {
      this.#enqueue(regarding, event);
    } catch (err) {
      this.#options.logger?.warn({ err, reason: event.reason }, "event not recorded");
    }
  }

  /** Resolves when every queued Event has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Refuses new Events and flushes the queue. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.flush();
  }

  #enqueue(regarding: KubeObject, event: EventInput): void {
    if (this.#stopped) return;
    const note = truncateMessage(this.#options.redact ? this.#options.redact(event.note) : event.note, NOTE_LIMIT);
    const key = dedupeKey(regarding, event, note);
    const now = this.#clock.now();
    const pending = this.#pending.get(key);
    if (pending) {
      pending.occurrences++;
      pending.lastObservedAt = now;
      return;
    }
    if (this.#pending.size >= (this.#options.maxPending ?? 1000)) {
      this.#options.metrics?.dropped?.();
      return;
    }
    this.#pending.set(key, { regarding, event, note, occurrences: 1, lastObservedAt: now });
    this.#draining ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      for (let next = this.#takeNext(); next; next = this.#takeNext()) await this.#write(...next);
    } finally {
      this.#draining = undefined;
    }
  }

  #takeNext(): [string, Pending] | undefined {
    const first = this.#pending.entries().next();
    if (first.done) return undefined;
    this.#pending.delete(first.value[0]);
    return first.value;
  }

  async #write(key: string, pending: Pending): Promise<void> {
    this.#forgetExpiredSeries();
    try {
      const series = this.#series.get(key);
      if (series && (await this.#extendSeries(series, pending))) return;
      await this.#create(key, pending);
    } catch (err) {
      this.#options.metrics?.failed?.();
      this.#options.logger?.warn(
        { errorClass: classifyError(err), err: String(err), reason: pending.event.reason, kind: pending.regarding.kind },
        "writing event failed",
      );
    }
  }

  /** False when the Event vanished (expired by the server's TTL): the caller creates a new one. */
  async #extendSeries(series: Series, pending: Pending): Promise<boolean> {
    const count = series.count + pending.occurrences;
    const body = { series: { count, lastObservedTime: formatMicroTime(pending.lastObservedAt) } };
    try {
      await this.#options.client.patch(EVENT_TYPE, series.name, { type: "merge", body }, { namespace: series.namespace });
    } catch (err) {
      if (classifyError(err) === "notFound") return false;
      throw err;
    }
    series.count = count;
    series.lastObservedAt = pending.lastObservedAt;
    this.#options.metrics?.written?.("series");
    return true;
  }

  async #create(key: string, pending: Pending): Promise<void> {
    const body = this.#eventBody(pending);
    await this.#options.client.create(EVENT_TYPE, body);
    this.#series.set(key, {
      name: body.metadata.name,
      namespace: body.metadata.namespace!,
      count: pending.occurrences,
      lastObservedAt: pending.lastObservedAt,
    });
    this.#options.metrics?.written?.("created");
  }

  #eventBody(pending: Pending): KubeObject {
    const { regarding, event, note } = pending;
    const now = this.#clock.now();
    const namespace = regarding.metadata.namespace ?? this.#options.clusterScopedNamespace ?? "default";
    return {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: this.#eventName(regarding.metadata.name, now), namespace },
      eventTime: formatMicroTime(now),
      reportingController: this.#options.reportingController ?? "vworkspace-operator",
      reportingInstance: this.#options.reportingInstance,
      action: event.action,
      reason: event.reason,
      type: event.type,
      note,
      regarding: objectReference(regarding),
      ...(event.related ? { related: objectReference(event.related) } : {}),
      // The server requires count ≥ 2 in a series; repeats seen before the first write start one.
      ...(pending.occurrences > 1
        ? { series: { count: pending.occurrences, lastObservedTime: formatMicroTime(pending.lastObservedAt) } }
        : {}),
    };
  }

  #eventName(objectName: string, now: number): string {
    const suffix = `.${now.toString(16)}${(this.#sequence++ % 4096).toString(16).padStart(3, "0")}`;
    return `${objectName.slice(0, NAME_LIMIT - suffix.length)}${suffix}`;
  }

  #forgetExpiredSeries(): void {
    const cutoff = this.#clock.now() - (this.#options.seriesWindowMs ?? 600_000);
    for (const [key, series] of this.#series) if (series.lastObservedAt < cutoff) this.#series.delete(key);
  }
}

function objectReference(object: KubeObject): Record<string, string> {
  const { name, namespace, uid, resourceVersion } = object.metadata;
  const reference: Record<string, string> = { apiVersion: object.apiVersion, kind: object.kind, name };
  if (namespace) reference.namespace = namespace;
  if (uid) reference.uid = uid;
  if (resourceVersion) reference.resourceVersion = resourceVersion;
  return reference;
}

function dedupeKey(regarding: KubeObject, event: EventInput, note: string): string {
  const { uid, namespace, name } = regarding.metadata;
  const identity = uid ?? `${regarding.kind}/${namespace ?? ""}/${name}`;
  return JSON.stringify([identity, event.type, event.reason, event.action, note]);
}
