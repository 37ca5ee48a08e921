/**
 * A job for a cluster the control plane writes itself (docs/connectivity.md#one-control-plane-three-modes): carried
 * out at once instead of queued, and recorded as a closed job with its result, so `enqueue` and the job
 * endpoints read the same in every mode. Push applies through the stored kubeconfig; GitOps commits to the
 * cluster's repository path. Nothing is signed or encrypted: the job never leaves the control plane.
 */
import { jobResult, type JobResult } from "../protocol";
import { directWriteOf } from "./direct-write";
import type { AdminJobRequest } from "./job-factory";
import { pushClient, pushWrite } from "./push-writer";
import type { ControlPlaneState } from "./state";
import type { ClusterConnectivity } from "./store/connectivity";

export interface DirectJobOutcome {
  envelope: Record<string, unknown>;
  result: JobResult;
  commit?: string;
}

export async function runDirectJob(state: ControlPlaneState, connectivity: ClusterConnectivity, request: AdminJobRequest, id: string): Promise<DirectJobOutcome> {
  const { clusterId } = connectivity;
  const { job } = request;
  const envelope: Record<string, unknown> = { id, kind: job.kind, payload: job.payload, createdAt: new Date(state.now()).toISOString() };
  if (job.idempotencyKey !== undefined) envelope.idempotencyKey = job.idempotencyKey;
  const write = directWriteOf(job.kind, job.payload, clusterId);
  let outcome: { result: JobResult; commit?: string };
  if (write.action === "refuse") {
    outcome = { result: jobResult({ outcome: "failed", errorCode: write.refusal.code, error: `${write.refusal.code}: ${write.refusal.detail}` }) };
  } else if (connectivity.mode === "push") {
    outcome = { result: await pushWrite(pushClient(connectivity.pushKubeconfig as string, clusterId), write) };
    if (outcome.result.outcome === "succeeded" && write.action === "apply" && connectivity.statusSource === "watch") {
      if (state.connectivity.addWatchedNamespace(clusterId, write.object.metadata.namespace as string)) state.statusWatches.reconcile();
    }
  } else {
    outcome = await state.gitops.publish(clusterId, connectivity.gitops as NonNullable<ClusterConnectivity["gitops"]>, write, id);
  }
  const now = state.now();
  state.jobs.insert(clusterId, id, envelope, now);
  state.jobs.ack(id, now);
  state.jobs.recordResult(id, outcome.result, now);
  return { envelope, ...outcome };
}
