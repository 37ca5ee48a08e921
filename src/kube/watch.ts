/**
 * The watcher: an endless list+watch loop over one resource, as a stream of events (kube-rs
 * `watcher`). It survives everything the API server and Bun's fetch do to a watch:
 * - the server ends every stream after `timeoutSeconds` (≤ 240, below Bun's 300 s idle close);
 * - stream and transport errors resume from the last resourceVersion after jittered backoff;
 * - 410 Gone (HTTP or an ERROR event) and the periodic resync relist and emit "restarted";
 * - a stream the server does not end in time (hung apiserver) is cut and resumed.
 */
import type { Logger } from "../observability/logger";
import { Backoff, type BackoffPolicy } from "./backoff";
import type { KubeClient } from "./client";
import { systemClock, sleep, type Clock } from "./clock";
import { KubeApiError, classifyError } from "./errors";
import { collectionPath } from "./paths";
import type { KubeObject, ResourceType } from "./types";

export type RelistReason = "initial" | "gone" | "resync" | "error";
export type RestartReason = "idle_timeout" | "gone" | "error";

export type WatcherEvent<T extends KubeObject = KubeObject> =
  /** A full list: the store replaces its content (deleting what is absent). */
  | { type: "restarted"; objects: T[]; reason: RelistReason }
  | { type: "applied"; object: T }
  | { type: "deleted"; object: T };

export type WatchApi = Pick<KubeClient, "listAll" | "watch">;

export interface WatcherObserver {
  onRestart?(reason: RestartReason): void;
  onRelist?(reason: RelistReason): void;
}

export interface WatcherOptions {
  namespace?: string;
  /** Cache PartialObjectMetadata instead of whole objects. */
  metadataOnly?: boolean;
  /**
   * For a resource that may not be installed (an optional CRD): resolves once it may be served, true
   * when it had to wait. A 404 then waits here, noted once, instead of a retry and a warning every 30 s.
   */
  untilServed?: (signal: AbortSignal) => Promise<boolean>;
  labelSelector?: string;
  fieldSelector?: string;
  /** Server-side stream length, jittered down by up to 25 %; at most 240. Default 240. */
  timeoutSeconds?: number;
  /** Full relist period; 0 disables it. Default 10 min. */
  resyncMs?: number;
  /** Delay between failed attempts. Default 0.5 s → 30 s. */
  backoff?: BackoffPolicy;
  pageSize?: number;
  /** Skip the initial list and watch from here (the caller already holds that state). */
  initialResourceVersion?: string;
  /** How long past `timeoutSeconds` a stream may stay open before it is cut. Default 30 s. */
  stallGraceMs?: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  observer?: WatcherObserver;
}

export interface WatcherStats {
  restarts: Record<RestartReason, number>;
  relists: Record<RelistReason, number>;
  resourceVersion: string | undefined;
}

export const MAX_WATCH_TIMEOUT_SECONDS = 240;
const MIN_HEALTHY_WATCH_MS = 1_000;

type WatchEnd = "ended" | "resync" | "stalled";

interface Cursor {
  resourceVersion: string | undefined;
  events: number;
}

const RESYNC_DUE = Symbol("resync due");

/**
 * Where a list may be served from, as client-go's reflector chooses: the first list and a resync are
 * answered by the API server's watch cache ("0": any state; the last seen version: not older than it),
 * which costs no quorum read and no wait for the cache to catch up. The watch that follows starts at
 * the list's version, so a stale list converges through the events after it. Only after 410 Gone (the
 * version is no longer known) is the list a consistent one ("").
 */
export function listResourceVersion(reason: RelistReason, last: string | undefined): string | undefined {
  if (reason === "gone") return undefined;
  if (reason === "resync" && last !== undefined) return last;
  return "0";
}
const STREAM_STALLED = Symbol("stream stalled");

export class Watcher<T extends KubeObject = KubeObject> {
  readonly stats: WatcherStats = {
    restarts: { idle_timeout: 0, gone: 0, error: 0 },
    relists: { initial: 0, gone: 0, resync: 0, error: 0 },
    resourceVersion: undefined,
  };
  readonly #options: Required<Pick<WatcherOptions, "timeoutSeconds" | "resyncMs" | "pageSize" | "stallGraceMs">> &
    WatcherOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #backoff: Backoff;
  #absenceNoted = false;

  constructor(
    private readonly api: WatchApi,
    readonly type: ResourceType,
    options: WatcherOptions = {},
  ) {
    const timeoutSeconds = options.timeoutSeconds ?? MAX_WATCH_TIMEOUT_SECONDS;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > MAX_WATCH_TIMEOUT_SECONDS) {
      throw new RangeError(`watch timeoutSeconds must be an integer in 1..${MAX_WATCH_TIMEOUT_SECONDS}, got ${timeoutSeconds}`);
    }
    this.#options = { resyncMs: 600_000, pageSize: 500, stallGraceMs: 30_000, ...options, timeoutSeconds };
    this.#clock = options.clock ?? systemClock();
    this.#random = options.random ?? Math.random;
    this.#backoff = new Backoff(options.backoff ?? { initialMs: 500, maxMs: 30_000 }, this.#random);
  }

  /** Runs until `signal` aborts; never throws for API or transport failures. */
  async *events(signal: AbortSignal): AsyncGenerator<WatcherEvent<T>> {
    const cursor: Cursor = { resourceVersion: this.#options.initialResourceVersion, events: 0 };
    let relist: RelistReason | undefined = cursor.resourceVersion === undefined ? "initial" : undefined;
    let listedAt = this.#clock.now();
    while (!signal.aborted) {
      if (!relist && this.#resyncDue(listedAt)) relist = "resync";
      try {
        if (relist) {
          const objects = await this.#list(cursor, relist, signal);
          listedAt = this.#clock.now();
          this.#countRelist(relist);
          yield { type: "restarted", objects, reason: relist };
          relist = undefined;
          if (signal.aborted) return;
        }
        const startedAt = this.#clock.now();
        cursor.events = 0;
        const end = yield* this.#watchOnce(cursor, listedAt, signal);
        if (end === "resync") relist = "resync";
        else if (end === "stalled") await this.#retryAfterError(new Error("watch stream not ended by the server"), signal);
        else await this.#afterCleanEnd(cursor, startedAt, signal);
      } catch (err) {
        if (signal.aborted) return;
        // A list that fails (even with 410: an expired continue token) is retried after backoff.
        if (relist === undefined && classifyError(err) === "gone") {
          this.#countRestart("gone");
          this.#options.logger?.info({ resource: this.type.plural, err: String(err) }, "watch expired; relisting");
          relist = "gone";
          continue;
        }
        if (this.#options.untilServed && classifyError(err) === "notFound") {
          // Listed afresh once served again: whatever was cached went with the resource.
          relist ??= "error";
          await this.#awaitServed(this.#options.untilServed, signal);
          continue;
        }
        await this.#retryAfterError(err, signal);
      }
    }
  }

  async #list(cursor: Cursor, reason: RelistReason, signal: AbortSignal): Promise<T[]> {
    const list = await this.api.listAll<T>(this.type, {
      namespace: this.#options.namespace,
      resourceVersion: listResourceVersion(reason, cursor.resourceVersion),
      metadataOnly: this.#options.metadataOnly,
      labelSelector: this.#options.labelSelector,
      fieldSelector: this.#options.fieldSelector,
      pageSize: this.#options.pageSize,
      signal,
    });
    cursor.resourceVersion = list.metadata.resourceVersion;
    this.stats.resourceVersion = cursor.resourceVersion;
    this.#backoff.reset();
    this.#absenceNoted = false;
    return list.items;
  }

  async *#watchOnce(cursor: Cursor, listedAt: number, signal: AbortSignal): AsyncGenerator<WatcherEvent<T>, WatchEnd> {
    const controller = new AbortController();
    const forward = () => controller.abort(signal.reason);
    // The consumer may have stopped us while we were suspended at a yield.
    if (signal.aborted) forward();
    signal.addEventListener("abort", forward, { once: true });
    const timeoutSeconds = this.#jitteredTimeout();
    const timers = [this.#clock.setTimer(() => controller.abort(STREAM_STALLED), timeoutSeconds * 1000 + this.#options.stallGraceMs)];
    if (this.#options.resyncMs > 0) {
      const dueIn = listedAt + this.#options.resyncMs - this.#clock.now();
      timers.push(this.#clock.setTimer(() => controller.abort(RESYNC_DUE), dueIn));
    }
    try {
      const stream = this.api.watch<T>(this.type, {
        namespace: this.#options.namespace,
        labelSelector: this.#options.labelSelector,
        fieldSelector: this.#options.fieldSelector,
        resourceVersion: cursor.resourceVersion,
        metadataOnly: this.#options.metadataOnly,
        timeoutSeconds,
        allowWatchBookmarks: true,
        signal: controller.signal,
      });
      for await (const event of stream) {
        cursor.events++;
        if (event.type === "ERROR") throw this.#statusError(event.status);
        cursor.resourceVersion = event.type === "BOOKMARK" ? event.resourceVersion : event.object.metadata.resourceVersion;
        this.stats.resourceVersion = cursor.resourceVersion;
        if (event.type === "DELETED") yield { type: "deleted", object: event.object };
        else if (event.type !== "BOOKMARK") yield { type: "applied", object: event.object };
      }
      return "ended";
    } catch (err) {
      if (controller.signal.reason === RESYNC_DUE) return "resync";
      if (controller.signal.reason === STREAM_STALLED) return "stalled";
      throw err;
    } finally {
      for (const timer of timers) timer.cancel();
      signal.removeEventListener("abort", forward);
    }
  }

  /** A normal end (server timeout or idle close): resume at once, unless the stream died instantly. */
  async #afterCleanEnd(cursor: Cursor, startedAt: number, signal: AbortSignal): Promise<void> {
    this.#countRestart("idle_timeout");
    if (cursor.events === 0 && this.#clock.now() - startedAt < MIN_HEALTHY_WATCH_MS) {
      await sleep(this.#clock, this.#backoff.next(), signal);
    } else {
      this.#backoff.reset();
    }
  }

  async #retryAfterError(err: unknown, signal: AbortSignal): Promise<void> {
    this.#countRestart("error");
    const delayMs = this.#backoff.next();
    this.#options.logger?.warn(
      { resource: this.type.plural, errorClass: classifyError(err), err: String(err), retryInMs: delayMs },
      "watch failed; retrying",
    );
    await sleep(this.#clock, delayMs, signal);
  }

  async #awaitServed(untilServed: (signal: AbortSignal) => Promise<boolean>, signal: AbortSignal): Promise<void> {
    if (!this.#absenceNoted) {
      this.#absenceNoted = true;
      this.#options.logger?.warn({ resource: `${this.type.plural}.${this.type.group}` }, "API not served; waiting for its CustomResourceDefinition");
    }
    // Its CRD exists but the API is not served yet (not Established): a plain backoff.
    if (!(await untilServed(signal))) await sleep(this.#clock, this.#backoff.next(), signal);
  }

  #statusError(status: { code?: number; reason?: string; message?: string }): KubeApiError {
    return new KubeApiError(status.code ?? 500, status, {
      verb: "watch",
      path: collectionPath(this.type, this.#options.namespace),
    });
  }

  #resyncDue(listedAt: number): boolean {
    return this.#options.resyncMs > 0 && this.#clock.now() - listedAt >= this.#options.resyncMs;
  }

  #jitteredTimeout(): number {
    const max = this.#options.timeoutSeconds;
    return Math.max(1, max - Math.floor((this.#random() * max) / 4));
  }

  #countRestart(reason: RestartReason): void {
    this.stats.restarts[reason]++;
    this.#options.observer?.onRestart?.(reason);
  }

  #countRelist(reason: RelistReason): void {
    this.stats.relists[reason]++;
    this.#options.observer?.onRelist?.(reason);
  }
}
