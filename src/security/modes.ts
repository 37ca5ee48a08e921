/**
 * Pure decisions for the payload security modes (docs/connectivity.md#signing-modes, docs/connectivity.md#encryption-modes): given the mode and what the checks
 * found, whether the job proceeds, whether an Audit event is due, and which condition the Cluster gets.
 */
import type { SignatureVerdict } from "./jws";

export const SECURITY_MODES = ["disabled", "warn", "enforce"] as const;
export type SecurityMode = (typeof SECURITY_MODES)[number];

export interface ConditionOutcome {
  status: "True" | "False";
  reason: string;
  message: string;
}

export interface Rejection {
  errorCode: "JobPayloadSignatureInvalid" | "JobPayloadNotEncrypted" | "JobPayloadDecryptionFailed";
  error: string;
}

export interface SecurityDecision {
  proceed: boolean;
  /** An `Audit` event (and a Warning Kubernetes Event) is due. */
  audit: boolean;
  /** Condition to set; `"remove"` drops it (signing disabled); undefined leaves it alone. */
  condition: ConditionOutcome | "remove" | undefined;
  /** Set when the job must be answered `failed` without being applied. */
  rejection?: Rejection;
}

/** Signing (docs/connectivity.md#signing-modes): `verdict` is undefined exactly when the mode is `disabled` and nothing was evaluated. */
export function decideSignature(mode: SecurityMode, verdict: SignatureVerdict | undefined, jobId: string): SecurityDecision {
  if (mode === "disabled" || verdict === undefined) return { proceed: true, audit: false, condition: "remove" };
  if (verdict.valid) {
    return { proceed: true, audit: false, condition: { status: "True", reason: "SignatureVerified", message: `job ${jobId} verified with key ${verdict.kid}` } };
  }
  const condition: ConditionOutcome = { status: "False", reason: "JobPayloadSignatureInvalid", message: `job ${jobId}: ${verdict.cause}` };
  if (mode === "warn") return { proceed: true, audit: true, condition };
  return {
    proceed: false,
    audit: true,
    condition,
    rejection: { errorCode: "JobPayloadSignatureInvalid", error: `JobPayloadSignatureInvalid: ${verdict.cause}` },
  };
}

/** Encryption (docs/connectivity.md#encryption-modes) for a job before decryption: encrypted jobs are always decrypted; plaintext depends on mode. */
export function decidePlaintext(mode: SecurityMode, encrypted: boolean, jobId: string): SecurityDecision {
  if (encrypted || mode === "disabled") return { proceed: true, audit: false, condition: undefined };
  const condition: ConditionOutcome = { status: "False", reason: "JobPayloadNotEncrypted", message: `job ${jobId} carried a plaintext payload` };
  if (mode === "warn") return { proceed: true, audit: true, condition };
  return {
    proceed: false,
    audit: true,
    condition,
    rejection: { errorCode: "JobPayloadNotEncrypted", error: "JobPayloadNotEncrypted: the job payload is not encrypted" },
  };
}

/** Any decryption failure (docs/connectivity.md#encryption-modes): never applied, whatever the mode. `cause` must not quote payload content. */
export function decideDecryptionFailure(cause: string, jobId: string): SecurityDecision {
  return {
    proceed: false,
    audit: true,
    condition: { status: "False", reason: "JobPayloadDecryptionFailed", message: `job ${jobId}: ${cause}` },
    rejection: { errorCode: "JobPayloadDecryptionFailed", error: `JobPayloadDecryptionFailed: ${cause}` },
  };
}
