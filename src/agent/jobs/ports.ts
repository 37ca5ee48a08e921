/**
 * What the job pipeline needs from the mode that delivered the job, as interfaces: the pipeline decides, the
 * driver's transport acknowledges, carries results back and reports progress. Pull implements them over
 * HTTP (transport/); another delivery path can reuse the pipeline without it.
 */
import type { JobResult } from "../../protocol";
import type { ResourceType } from "../../kube/types";

/** `stop`: the agent paused or the source is unreachable, so the rest of the batch waits for redelivery. */
export type AckOutcome = "acked" | "skipped" | "stop";

export interface JobAcknowledger {
  ack(jobId: string, signal: AbortSignal): Promise<AckOutcome>;
}

export interface ResultSink {
  deliver(jobId: string, result: JobResult, signal?: AbortSignal): Promise<unknown>;
}

/** The object a succeeded job wrote, to follow until it is ready, failed or deleted. */
export interface TrackRequest {
  jobId: string;
  type: ResourceType;
  namespace: string;
  name: string;
  generation: number;
  deletion: boolean;
}

export interface ProgressSink {
  track(request: TrackRequest): void;
}

/**
 * Runs a job's step once the same step of every earlier job of its answer has run (or that job ended without
 * it), whatever else overlaps: the driver's way of keeping verdicts in the order the jobs were sent.
 */
export type InOrder = <T>(step: () => Promise<T>) => Promise<T>;

/** A job handled on its own. */
export const AT_ONCE: InOrder = (step) => step();
