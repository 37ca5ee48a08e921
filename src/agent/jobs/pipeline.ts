/**
 * One job, start to finish (docs/connectivity.md#job-pipeline): ack, ledger, signature, expiry, decryption, idempotency,
 * decode, authorise and write, result, progress. Each step either passes the job on or ends it with a result.
 * Transport-free: acknowledgement, result delivery and progress go through the ports of ./ports.
 * Decrypted payloads live only in this function's locals and are never logged, quoted or sent back.
 */
import * as v from "valibot";
import type { Logger } from "../../observability/logger";
import { PINNED_INTENT_KINDS, pinnedApiVersion, withPinnedTypeMeta } from "../../policy/kinds";
import {
  applyPayloadSchema,
  deletePayloadSchema,
  EXPIRED_ERROR,
  intentPayloadSchemas,
  isIntentName,
  isJobKind,
  jobResult,
  type AppliedRef,
  type JobEnvelope,
  type JobErrorCode,
  type JobResult,
} from "../../protocol";
import {
  decideDecryptionFailure,
  decidePlaintext,
  DecryptionError,
  decryptJobPayload,
  screenJob,
  type ClusterKeypair,
  type SecurityDecision,
  type SecurityMode,
  type TrustedKeySet,
} from "../../security";
import { ledgerBoundsProblem } from "./ledger";
import type { LedgerStore } from "./ledger-store";
import type { AgentMetrics } from "../../observability/agent-metrics";
import { AT_ONCE, type InOrder, type JobAcknowledger, type ProgressSink, type ResultSink } from "./ports";
import type { JobWriter, WriteOutcome } from "./writer";

export interface SecuritySettings {
  signingMode: SecurityMode;
  encryptionMode: SecurityMode;
  trustedKeys: TrustedKeySet | undefined;
  maxAgeSeconds: number;
  clockSkewSeconds: number;
  keypair: ClusterKeypair | undefined;
}

export interface PipelineDeps {
  acknowledger: JobAcknowledger;
  ledger: LedgerStore;
  writer: JobWriter;
  results: ResultSink;
  progress: ProgressSink;
  metrics: AgentMetrics;
  logger: Logger;
  clusterId(): string;
  security(): SecuritySettings;
  /** Applies a payload-security decision: condition, Audit event, Warning Event (docs/connectivity.md#signing-modes, docs/connectivity.md#encryption-modes). */
  onSecurityDecision(area: "signature" | "encryption", jobId: string, decision: SecurityDecision): void;
  /** The ledger refused a job because every entry is a live signed one: aggregated Warning Event. */
  onLedgerFull(jobId: string): void;
  /** Runs a credential rotation (docs/connectivity.md#credential-rotation) for the intent; resolves with the Cluster ref once confirmed. */
  rotate(): Promise<{ ok: true; ref: AppliedRef } | { ok: false; detail: string }>;
  /** Strips additive result members when wire extensions are off. */
  wireResult(result: JobResult): JobResult;
}

export type JobDisposition = "processed" | "skipped" | "stop";

type Finish = { result: JobResult; track?: WriteOutcome & { outcome: "succeeded" }; deletion?: boolean };

const LEDGER_FULL_DETAIL = "the processed-job ledger is full of signed jobs still inside their replay window; job not applied, retry later";

function fail(code: JobErrorCode, detail: string, outcome: "failed" | "noop" = "failed"): Finish {
  return { result: jobResult({ outcome, errorCode: code, error: `${code}: ${detail}` }) };
}

export class JobPipeline {
  constructor(private readonly deps: PipelineDeps) {}

  /**
   * `stop` means the agent paused (401/403) or is stopping: the rest of the batch waits for redelivery.
   * Screening runs through `inOrder`, so the replay ledger admits, and the Cluster's conditions and the Audit
   * trail report, jobs in the order they were sent even while their acks and writes overlap.
   */
  async process(raw: unknown, signal: AbortSignal, inOrder: InOrder = AT_ONCE): Promise<JobDisposition> {
    const { logger } = this.deps;
    if (typeof raw !== "object" || raw === null || typeof (raw as { id?: unknown }).id !== "string" || (raw as { id: string }).id === "") {
      logger.warn("job without an id skipped: it cannot be acknowledged");
      return "skipped";
    }
    const envelope = raw as JobEnvelope & Record<string, unknown>;
    const acked = await this.deps.acknowledger.ack(envelope.id, signal);
    if (acked !== "acked") return acked;
    const checked = await inOrder(async (): Promise<{ admitted: boolean; finish?: Finish }> => {
      const screened = await this.#screen(envelope);
      return screened.admitted ? { admitted: true, ...this.#vet(envelope) } : screened;
    });
    const finish = checked.finish ?? (await this.#decide(envelope, signal));
    await this.#finish(envelope, finish, checked.admitted, signal);
    return "processed";
  }

  /**
   * Steps 2–3: id and key bounds, replay, signature; a job that passes is admitted to the ledger. Nothing else is
   * recorded, so refused or oversized jobs cannot push the record of a signed job out.
   */
  async #screen(job: JobEnvelope & Record<string, unknown>): Promise<{ admitted: true } | { admitted: false; finish: Finish }> {
    const { ledger, metrics } = this.deps;
    const bounds = ledgerBoundsProblem(job);
    if (bounds) return { admitted: false, finish: fail("InvalidPayload", bounds) };
    const security = this.deps.security();
    const screened = await screenJob(job, {
      mode: security.signingMode,
      alreadyProcessed: (id) => ledger.jobState(id) === "done",
      trustedKeys: security.trustedKeys,
      clusterId: this.deps.clusterId(),
      now: new Date(),
      maxAgeSeconds: security.maxAgeSeconds,
      clockSkewSeconds: security.clockSkewSeconds,
    });
    if (screened.kind === "replayed") {
      return { admitted: false, finish: { result: jobResult({ outcome: "noop", errorCode: "JobReplayed", error: "JobReplayed: job id already completed" }) } };
    }
    if (security.signingMode !== "disabled") metrics.verifications.inc({ result: screened.verdict?.valid ? "valid" : "invalid" });
    else metrics.verifications.inc({ result: "skipped" });
    this.deps.onSecurityDecision("signature", job.id, screened.decision);
    const rejection = screened.decision.rejection;
    if (rejection) return { admitted: false, finish: fail(rejection.errorCode, rejection.error.replace(/^[A-Za-z]+: /, "")) };
    if (!ledger.admitJob(job.id, screened.signedUntil)) {
      this.deps.logger.warn({ jobId: job.id }, "job refused: the processed-job ledger holds only signed jobs inside their replay window");
      this.deps.onLedgerFull(job.id);
      return { admitted: false, finish: fail("ApplyFailed", LEDGER_FULL_DETAIL) };
    }
    return { admitted: true };
  }

  /** Steps 4–5 up to decryption: expiry and the plaintext verdict; a finish when the job ends here. */
  #vet(job: JobEnvelope & Record<string, unknown>): { finish?: Finish } {
    if (job.expiresAt && Date.parse(job.expiresAt) > 0 && Date.parse(job.expiresAt) < Date.now()) {
      return { finish: { result: jobResult({ outcome: "noop", errorCode: "JobExpired", error: EXPIRED_ERROR }) } };
    }
    const encrypted = isEncrypted(job);
    if (encrypted && job.payload !== undefined && job.payload !== null) return { finish: fail("InvalidPayload", "a job must not carry both payload and encryptedPayload") };
    const plaintextDecision = decidePlaintext(this.deps.security().encryptionMode, encrypted, job.id);
    if (!encrypted) this.deps.metrics.decryptions.inc({ result: "plaintext" });
    if (plaintextDecision.audit) this.deps.onSecurityDecision("encryption", job.id, plaintextDecision);
    if (plaintextDecision.rejection) return { finish: fail(plaintextDecision.rejection.errorCode, plaintextDecision.rejection.error.replace(/^[A-Za-z]+: /, "")) };
    return {};
  }

  /** Steps 5–9: decryption, idempotency, decode, authorise and write. */
  async #decide(job: JobEnvelope & Record<string, unknown>, signal: AbortSignal): Promise<Finish> {
    const { ledger, metrics } = this.deps;
    const security = this.deps.security();
    const encrypted = isEncrypted(job);
    let payload: unknown = job.payload;
    if (encrypted) {
      try {
        if (!security.keypair) throw new DecryptionError("the cluster has no keypair");
        payload = await decryptJobPayload(job.encryptedPayload as string, security.keypair);
        metrics.decryptions.inc({ result: "ok" });
        this.deps.onSecurityDecision("encryption", job.id, { proceed: true, audit: false, condition: { status: "True", reason: "KeypairReady", message: `job ${job.id} decrypted` } });
      } catch (err) {
        metrics.decryptions.inc({ result: "failed" });
        const cause = err instanceof DecryptionError ? err.message : "decryption failed";
        const decision = decideDecryptionFailure(cause, job.id);
        this.deps.onSecurityDecision("encryption", job.id, decision);
        return fail("JobPayloadDecryptionFailed", cause);
      }
    }

    if (job.idempotencyKey && ledger.hasKey(job.idempotencyKey)) return { result: jobResult({ outcome: "noop" }) };
    const finish = await this.#write(job.kind, payload, signal);
    // API messages can quote submitted values: an encrypted payload's result carries the code only.
    if (encrypted && finish.result.error) finish.result.error = `${finish.result.errorCode}: rejected by the API server`;
    return finish;
  }

  /** Steps 7–9: decode the payload for its kind, then write. */
  async #write(kind: string, payload: unknown, signal: AbortSignal): Promise<Finish> {
    const { writer } = this.deps;
    if (!isJobKind(kind)) return fail("UnsupportedJobKind", `unsupported job kind ${JSON.stringify(String(kind).slice(0, 64))}`);
    if (kind === "apply") {
      const parsed = v.safeParse(applyPayloadSchema, payload);
      if (!parsed.success) return fail("InvalidPayload", "apply payload must be a manifest with apiVersion, kind and metadata.name");
      return finishWrite(await writer.apply({ object: parsed.output as never }, signal), false);
    }
    if (kind === "delete") {
      const parsed = v.safeParse(deletePayloadSchema, payload);
      if (!parsed.success) return fail("InvalidPayload", "delete payload needs apiVersion, kind, name and namespace");
      const { apiVersion, kind: targetKind, name, namespace } = parsed.output;
      return finishWrite(await writer.delete({ apiVersion, kind: targetKind, name, namespace }, signal), true);
    }
    const intent = (payload as { intent?: unknown } | null)?.intent;
    if (typeof payload !== "object" || payload === null || typeof intent !== "string") return fail("InvalidPayload", "intent payload needs an intent name");
    if (!isIntentName(intent)) return fail("UnsupportedIntent", `unsupported intent ${JSON.stringify(intent.slice(0, 64))}`);
    const parsed = v.safeParse(intentPayloadSchemas[intent], payload);
    if (!parsed.success) return fail("InvalidPayload", `${intent} payload is incomplete`);
    switch (intent) {
      case "ensure-application-instance":
      case "request-operation": {
        const pinned = PINNED_INTENT_KINDS[intent];
        const object = (parsed.output as Record<string, unknown>)[intent === "ensure-application-instance" ? "applicationInstance" : "operation"] as Record<string, unknown>;
        return finishWrite(await writer.apply({ object: withPinnedTypeMeta(object, pinned) as never, pinned }, signal), false);
      }
      case "delete-application-instance": {
        const { name, namespace } = parsed.output as { name: string; namespace: string };
        const pinned = PINNED_INTENT_KINDS[intent];
        return finishWrite(await writer.delete({ apiVersion: pinnedApiVersion(pinned), kind: pinned.kind, name, namespace, pinned }, signal), true);
      }
      case "rotate-operator-credentials": {
        const rotated = await this.deps.rotate();
        if (!rotated.ok) return fail("RotationFailed", rotated.detail);
        return { result: jobResult({ outcome: "succeeded", appliedRef: rotated.ref }) };
      }
    }
  }

  /** Step 10–11: result, ledger, progress. */
  async #finish(job: JobEnvelope, finish: Finish, admitted: boolean, signal: AbortSignal): Promise<void> {
    const { ledger, metrics, results, progress } = this.deps;
    const { result } = finish;
    metrics.jobs.inc({ kind: isJobKind(job.kind) ? job.kind : "unknown", outcome: result.outcome });
    if (result.errorCode) metrics.rejections.inc({ code: result.errorCode });
    if (result.outcome === "succeeded") metrics.appliedJobs.inc();
    await results.deliver(job.id, this.deps.wireResult(result), signal);
    if (admitted) ledger.completeJob(job.id);
    if (admitted && result.outcome === "succeeded" && job.idempotencyKey) ledger.recordKey(job.idempotencyKey);
    const written = finish.track;
    if (written) {
      progress.track(
        {
          jobId: job.id,
          type: written.type,
          namespace: written.appliedRef.namespace,
          name: written.appliedRef.name,
          generation: written.appliedRef.generation ?? 0,
          deletion: finish.deletion ?? false,
        });
    }
  }
}

function isEncrypted(job: JobEnvelope & Record<string, unknown>): boolean {
  return typeof job.encryptedPayload === "string" && job.encryptedPayload !== "";
}

function finishWrite(outcome: WriteOutcome, deletion: boolean): Finish {
  if (outcome.outcome === "succeeded") return { result: jobResult({ outcome: "succeeded", appliedRef: outcome.appliedRef }), track: outcome, deletion };
  if (outcome.outcome === "conflict") {
    return { result: jobResult({ outcome: "conflict", errorCode: outcome.code, error: `${outcome.code}: ${outcome.detail}`, conflicts: outcome.conflicts }) };
  }
  return fail(outcome.code, outcome.detail);
}
