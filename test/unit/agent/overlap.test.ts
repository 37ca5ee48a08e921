import { describe, expect, test } from "bun:test";
import type { JobOrder } from "../../../src/agent/jobs/job-order";
import { runOverlapped } from "../../../src/agent/jobs/overlap";
import type { JobDisposition } from "../../../src/agent/jobs/pipeline";

interface FakeJob {
  id: string;
  keys?: string[];
  barrier?: boolean;
  outcome?: JobDisposition;
  fails?: boolean;
}

/** Jobs that finish only when the test releases them, recording starts, finishes and the most in flight. */
function harness(jobs: FakeJob[], concurrency: number, mayStart: () => boolean = () => true) {
  const started: string[] = [];
  const finished: string[] = [];
  const releases = new Map<string, () => void>();
  let inFlight = 0;
  let mostInFlight = 0;
  const done = runOverlapped(jobs, {
    concurrency,
    order: (job): JobOrder => (job.barrier ? { barrier: true } : { barrier: false, keys: job.keys ?? [`id:${job.id}`] }),
    mayStart,
    run: async (job) => {
      started.push(job.id);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await new Promise<void>((resolve) => releases.set(job.id, resolve));
      inFlight--;
      finished.push(job.id);
      if (job.fails) throw new Error(`job ${job.id} failed`);
      return job.outcome ?? "processed";
    },
  });
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    started,
    finished,
    done,
    mostInFlight: () => mostInFlight,
    settle,
    /** Finishes a started job and lets the scheduler react. */
    async release(id: string) {
      const release = releases.get(id);
      if (!release) throw new Error(`job ${id} has not started`);
      release();
      await settle();
    },
  };
}

describe("overlapped jobs of one answer (docs/connectivity.md#job-pipeline)", () => {
  test("jobs of distinct objects overlap up to the concurrency, started in array order", async () => {
    const run = harness(["a", "b", "c", "d", "e"].map((id) => ({ id })), 3);
    await run.settle();
    expect(run.started).toEqual(["a", "b", "c"]);
    await run.release("b");
    expect(run.started).toEqual(["a", "b", "c", "d"]);
    for (const id of ["a", "c", "d"]) await run.release(id);
    expect(run.started).toEqual(["a", "b", "c", "d", "e"]);
    await run.release("e");
    await run.done;
    expect(run.mostInFlight()).toBe(3);
  });

  test("a job waits for the earlier job of its object, and later jobs start only after it (acks stay in array order)", async () => {
    const run = harness([{ id: "a1", keys: ["object:a"] }, { id: "b", keys: ["object:b"] }, { id: "a2", keys: ["object:a"] }, { id: "c", keys: ["object:c"] }], 4);
    await run.settle();
    expect(run.started).toEqual(["a1", "b"]);
    await run.release("b");
    expect(run.started).toEqual(["a1", "b"]);
    await run.release("a1");
    expect(run.started).toEqual(["a1", "b", "a2", "c"]);
    await run.release("c");
    await run.release("a2");
    await run.done;
    expect(run.finished).toEqual(["b", "a1", "c", "a2"]);
  });

  test("any shared key orders two jobs: the same id or idempotency key on different objects", async () => {
    const run = harness([{ id: "x", keys: ["id:x", "object:a", "key:k"] }, { id: "y", keys: ["id:y", "object:b", "key:k"] }], 4);
    await run.settle();
    expect(run.started).toEqual(["x"]);
    await run.release("x");
    expect(run.started).toEqual(["x", "y"]);
    await run.release("y");
    await run.done;
  });

  test("a barrier waits for every earlier job, and every later job waits for it", async () => {
    const run = harness([{ id: "a" }, { id: "b" }, { id: "rotate", barrier: true }, { id: "c" }], 4);
    await run.settle();
    expect(run.started).toEqual(["a", "b"]);
    await run.release("a");
    expect(run.started).toEqual(["a", "b"]);
    await run.release("b");
    expect(run.started).toEqual(["a", "b", "rotate"]);
    await run.release("rotate");
    expect(run.started).toEqual(["a", "b", "rotate", "c"]);
    await run.release("c");
    await run.done;
  });

  test("concurrency 1 handles the jobs one by one in array order", async () => {
    const run = harness([{ id: "a", keys: ["object:a"] }, { id: "a2", keys: ["object:a"] }, { id: "b", keys: ["object:b"] }], 1);
    for (const id of ["a", "a2", "b"]) {
      await run.settle();
      expect(run.started.at(-1)).toBe(id);
      await run.release(id);
    }
    await run.done;
    expect(run.mostInFlight()).toBe(1);
    expect(run.finished).toEqual(["a", "a2", "b"]);
  });

  test("after a stop no further job starts; the jobs in hand are finished", async () => {
    const run = harness([{ id: "a", outcome: "stop" }, { id: "b" }, { id: "c" }, { id: "d" }], 2);
    await run.settle();
    expect(run.started).toEqual(["a", "b"]);
    await run.release("a");
    expect(run.started).toEqual(["a", "b"]);
    await run.release("b");
    await run.done;
    expect(run.started).toEqual(["a", "b"]);
    expect(run.finished).toEqual(["a", "b"]);
  });

  test("when the agent pauses, jobs not yet started stay for redelivery", async () => {
    let paused = false;
    const run = harness([{ id: "a" }, { id: "b" }, { id: "c" }], 1, () => !paused);
    await run.settle();
    paused = true;
    await run.release("a");
    await run.done;
    expect(run.started).toEqual(["a"]);
  });

  test("a job that throws stops the batch; the jobs in hand finish before the error is raised", async () => {
    const run = harness([{ id: "a", fails: true }, { id: "b" }, { id: "c" }], 2);
    let raised: unknown;
    const outcome = run.done.catch((err: unknown) => (raised = err));
    await run.settle();
    await run.release("a");
    expect(raised).toBeUndefined();
    await run.release("b");
    await outcome;
    expect((raised as Error).message).toBe("job a failed");
    expect(run.started).toEqual(["a", "b"]);
  });

  test("in-order steps run in array order while the jobs overlap; a job that ends without its step passes its turn on", async () => {
    const acks = new Map<string, () => void>();
    const steps: string[] = [];
    const done = runOverlapped(["a", "skipped", "b", "c"], {
      concurrency: 4,
      order: (id): JobOrder => ({ barrier: false, keys: [`id:${id}`] }),
      mayStart: () => true,
      run: async (id, inOrder) => {
        await new Promise<void>((resolve) => acks.set(id, resolve));
        if (id === "skipped") return "skipped";
        await inOrder(async () => void steps.push(id));
        return "processed";
      },
    });
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
    await settle();
    acks.get("c")!();
    acks.get("b")!();
    await settle();
    expect(steps).toEqual([]);
    acks.get("a")!();
    await settle();
    expect(steps).toEqual(["a"]);
    acks.get("skipped")!();
    await done;
    expect(steps).toEqual(["a", "b", "c"]);
  });
});
