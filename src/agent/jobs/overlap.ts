/**
 * Runs the jobs of one answer overlapped (docs/connectivity.md#job-pipeline): up to `concurrency` at a time,
 * started strictly in array order (so acknowledgements go out in that order), and a job starts only once every
 * earlier job it shares an ordering key with (for a barrier: every earlier job) has finished. Once a job says
 * `stop`, or `mayStart` turns false, no further job starts; those already started are finished.
 * `concurrency` 1 is the one-at-a-time pipeline.
 */
import type { JobOrder } from "./job-order";
import type { JobDisposition } from "./pipeline";
import type { InOrder } from "./ports";

export interface OverlapOptions<T> {
  concurrency: number;
  order(job: T): JobOrder;
  /** `inOrder` runs a step of the job after that step of every earlier job (see ./ports). */
  run(job: T, inOrder: InOrder): Promise<JobDisposition>;
  /** Asked right before each job starts; false ends the batch (the agent paused or is stopping). */
  mayStart(): boolean;
}

/** Resolves when every started job has finished; rejects with the first error a job threw, after that. */
export async function runOverlapped<T>(jobs: readonly T[], options: OverlapOptions<T>): Promise<void> {
  const slots = new Slots(Math.max(1, Math.floor(options.concurrency)));
  const lastByKey = new Map<string, Promise<void>>();
  let sinceBarrier: Promise<void>[] = [];
  let barrier: Promise<void> = Promise.resolve();
  let stopped = false;
  let failure: { error: unknown } | undefined;

  let previousStarted: Promise<void> = Promise.resolve();
  let previousTurn: Promise<void> = Promise.resolve();

  const start = (job: T, after: Promise<void>[]): Promise<void> => {
    const startAfter = previousStarted;
    let started!: () => void;
    previousStarted = new Promise((resolve) => (started = resolve));
    const turnAfter = previousTurn;
    let turnTaken!: () => void;
    previousTurn = new Promise((resolve) => (turnTaken = resolve));
    const inOrder: InOrder = async (step) => {
      await turnAfter;
      try {
        return await step();
      } finally {
        turnTaken();
      }
    };
    return (async () => {
      await startAfter;
      await Promise.all(after);
      await slots.take();
      started();
      try {
        if (stopped || failure || !options.mayStart()) {
          stopped = true;
          return;
        }
        if ((await options.run(job, inOrder)) === "stop") stopped = true;
      } catch (error) {
        failure ??= { error };
      } finally {
        turnTaken();
        slots.give();
      }
    })();
  };

  const all: Promise<void>[] = [];
  for (const job of jobs) {
    const order = options.order(job);
    if (order.barrier) {
      const done = start(job, [barrier, ...sinceBarrier]);
      barrier = done;
      sinceBarrier = [];
      lastByKey.clear();
      all.push(done);
      continue;
    }
    const after = [barrier, ...order.keys.flatMap((key) => lastByKey.get(key) ?? [])];
    const done = start(job, after);
    for (const key of order.keys) lastByKey.set(key, done);
    sinceBarrier.push(done);
    all.push(done);
  }
  await Promise.all(all);
  if (failure) throw failure.error;
}

/** A counting semaphore whose waiters are served first come, first served. */
class Slots {
  readonly #waiting: (() => void)[] = [];

  constructor(private free: number) {}

  take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  give(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.free++;
  }
}
