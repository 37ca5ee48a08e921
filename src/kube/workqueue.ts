/**
 * The controller work queue, with client-go semantics:
 * - a key is queued at most once (dedupe) and never handed to two workers at once: a key added
 *   while it is being processed is queued again when its worker finishes;
 * - failures retry with the rate limiter's delay (per-key exponential backoff, global bucket);
 * - `addAfter` schedules a key (requeue-after); the earliest schedule of a key wins;
 * - `shutdown` stops handing out keys and waits, with a bound, for the ones in flight.
 * Time comes from an injected clock, so tests drive backoff and requeue-after without sleeping.
 */
import type { Logger } from "../observability/logger";
import { systemClock, type Clock, type Timer } from "./clock";
import { controllerRateLimiter, type RateLimiter } from "./ratelimit";

export interface WorkQueueMetrics {
  depth?(depth: number): void;
  add?(): void;
  retry?(): void;
  /** Seconds between a key being queued and a worker taking it. */
  queueLatency?(seconds: number): void;
  workDuration?(seconds: number): void;
}

export interface WorkQueueOptions<K> {
  name?: string;
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
  metrics?: WorkQueueMetrics;
  logger?: Logger;
}

export interface WorkResult {
  /** Process the key again after this delay, even though it succeeded. */
  requeueAfterMs?: number;
}

export type WorkHandler<K> = (key: K, signal: AbortSignal) => Promise<WorkResult | void> | WorkResult | void;

export interface RunOptions<K> {
  /** Called for each failed attempt before the key is retried; defaults to a debug log line. */
  onError?(key: K, err: unknown, retries: number): void;
}

interface Scheduled<K> {
  key: K;
  at: number;
}

export class WorkQueue<K = string> {
  readonly name: string;
  readonly #clock: Clock;
  readonly #limiter: RateLimiter<K>;
  readonly #metrics: WorkQueueMetrics;
  readonly #logger: Logger | undefined;
  #queue: K[] = [];
  readonly #queuedAt = new Map<K, number>();
  readonly #dirty = new Set<K>();
  readonly #processing = new Set<K>();
  readonly #scheduledAt = new Map<K, number>();
  #heap: Array<Scheduled<K>> = [];
  #timer: { handle: Timer; at: number } | undefined;
  #getters: Array<(key: K | undefined) => void> = [];
  #idleWaiters: Array<() => void> = [];
  readonly #abort = new AbortController();
  #shuttingDown = false;

  constructor(options: WorkQueueOptions<K> = {}) {
    this.name = options.name ?? "queue";
    this.#clock = options.clock ?? systemClock();
    this.#limiter = options.rateLimiter ?? controllerRateLimiter<K>(this.#clock);
    this.#metrics = options.metrics ?? {};
    this.#logger = options.logger;
  }

  /** Keys waiting for a worker (not counting scheduled or in-flight ones). */
  get length(): number {
    return this.#queue.length;
  }

  get processing(): number {
    return this.#processing.size;
  }

  get scheduled(): number {
    return this.#scheduledAt.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  add(key: K): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#metrics.add?.();
    this.#dirty.add(key);
    if (this.#processing.has(key)) return; // re-queued by done()
    this.#enqueue(key);
  }

  addAfter(key: K, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = this.#clock.now() + delayMs;
    const existing = this.#scheduledAt.get(key);
    if (existing !== undefined && existing <= at) return;
    this.#scheduledAt.set(key, at);
    this.#heapPush({ key, at });
    this.#armTimer();
  }

  /** Retry after a failure: the delay grows with each consecutive failure of `key`. */
  addRateLimited(key: K): void {
    if (this.#shuttingDown) return;
    this.#metrics.retry?.();
    this.addAfter(key, this.#limiter.when(key));
  }

  /** Ends the failure history of `key`: its next failure starts again at the base delay. */
  forget(key: K): void {
    this.#limiter.forget(key);
  }

  retries(key: K): number {
    return this.#limiter.retries(key);
  }

  /** The next key, waiting if none is queued; undefined once the queue shuts down. */
  get(): Promise<K | undefined> {
    if (this.#queue.length > 0) return Promise.resolve(this.#take());
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** Must follow every `get`: releases the key, re-queuing it if it was added meanwhile. */
  done(key: K): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#enqueue(key);
    if (this.#processing.size === 0) this.#resolveIdle();
  }

  /** Runs `workers` loops until shutdown; a thrown error retries the key with backoff. */
  async run(workers: number, handler: WorkHandler<K>, options: RunOptions<K> = {}): Promise<void> {
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be ≥ 1, got ${workers}`);
    const worker = async () => {
      for (let key = await this.get(); key !== undefined; key = await this.get()) {
        await this.#process(key, handler, options);
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
  }

  /**
   * Stops handing out keys, drops queued and scheduled ones (a restart relists anyway) and waits
   * up to `timeoutMs` for in-flight keys; past the bound their handlers' signal aborts.
   * Resolves true when everything in flight finished in time.
   */
  async shutdown(timeoutMs = 30_000): Promise<boolean> {
    this.#shuttingDown = true;
    this.#timer?.handle.cancel();
    this.#timer = undefined;
    this.#heap = [];
    this.#scheduledAt.clear();
    this.#queue = [];
    this.#queuedAt.clear();
    this.#dirty.clear();
    this.#reportDepth();
    for (const getter of this.#getters.splice(0)) getter(undefined);
    if (this.#processing.size === 0) return true;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = this.#clock.setTimer(() => resolve(false), timeoutMs);
      this.#idleWaiters.push(() => {
        timer.cancel();
        resolve(true);
      });
    });
    if (!drained) {
      this.#logger?.warn({ queue: this.name, inFlight: this.#processing.size }, "shutdown bound reached; aborting work");
      this.#abort.abort(new Error(`work queue ${this.name} shut down`));
    }
    return drained;
  }

  async #process(key: K, handler: WorkHandler<K>, options: RunOptions<K>): Promise<void> {
    const started = this.#clock.now();
    try {
      const result = await handler(key, this.#abort.signal);
      this.forget(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const retries = this.retries(key);
      if (options.onError) options.onError(key, err, retries);
      else this.#logger?.debug({ queue: this.name, key, retries, err }, "work failed; retrying with backoff");
      this.addRateLimited(key);
    } finally {
      this.#metrics.workDuration?.((this.#clock.now() - started) / 1000);
      this.done(key);
    }
  }

  #enqueue(key: K): void {
    this.#queue.push(key);
    this.#queuedAt.set(key, this.#clock.now());
    this.#reportDepth();
    const getter = this.#getters.shift();
    if (getter) getter(this.#take());
  }

  #take(): K {
    const key = this.#queue.shift()!;
    this.#dirty.delete(key);
    this.#processing.add(key);
    const queuedAt = this.#queuedAt.get(key);
    this.#queuedAt.delete(key);
    if (queuedAt !== undefined) this.#metrics.queueLatency?.((this.#clock.now() - queuedAt) / 1000);
    this.#reportDepth();
    return key;
  }

  #reportDepth(): void {
    this.#metrics.depth?.(this.#queue.length);
  }

  #resolveIdle(): void {
    for (const waiter of this.#idleWaiters.splice(0)) waiter();
  }

  /** Keeps one timer armed for the earliest scheduled key. */
  #armTimer(): void {
    const next = this.#peekScheduled();
    if (this.#timer && next && this.#timer.at === next.at) return;
    this.#timer?.handle.cancel();
    this.#timer = undefined;
    if (!next) return;
    const handle = this.#clock.setTimer(() => this.#fireScheduled(), next.at - this.#clock.now());
    this.#timer = { handle, at: next.at };
  }

  #fireScheduled(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    for (let next = this.#peekScheduled(); next && next.at <= now; next = this.#peekScheduled()) {
      this.#heapPop();
      this.#scheduledAt.delete(next.key);
      this.add(next.key);
    }
    this.#armTimer();
  }

  /** The earliest live entry; entries superseded by an earlier schedule are dropped lazily. */
  #peekScheduled(): Scheduled<K> | undefined {
    while (this.#heap.length > 0) {
      const top = this.#heap[0]!;
      if (this.#scheduledAt.get(top.key) === top.at) return top;
      this.#heapPop();
    }
    return undefined;
  }

  #heapPush(entry: Scheduled<K>): void {
    const heap = this.#heap;
    heap.push(entry);
    for (let child = heap.length - 1; child > 0; ) {
      const parent = (child - 1) >> 1;
      if (heap[parent]!.at <= heap[child]!.at) break;
      [heap[parent], heap[child]] = [heap[child]!, heap[parent]!];
      child = parent;
    }
  }

  #heapPop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    for (let parent = 0; ; ) {
      const left = parent * 2 + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < heap.length && heap[left]!.at < heap[smallest]!.at) smallest = left;
      if (right < heap.length && heap[right]!.at < heap[smallest]!.at) smallest = right;
      if (smallest === parent) break;
      [heap[parent], heap[smallest]] = [heap[smallest]!, heap[parent]!];
      parent = smallest;
    }
  }
}
