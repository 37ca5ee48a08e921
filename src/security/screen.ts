/**
 * Steps 2–3 of the agent's job pipeline (docs/connectivity.md#job-pipeline): the replay check against the agent's own ledger,
 * then signature verification under the configured mode. The ledger stays the agent's; it is passed in as a hook.
 */
import { verifyJobSignature, type SignatureVerdict, type VerifyJobOptions } from "./jws";
import { decideSignature, type SecurityDecision, type SecurityMode } from "./modes";

export interface ScreenJobOptions extends VerifyJobOptions {
  mode: SecurityMode;
  /** True when the job id is already `done` in the processed-jobs ledger. */
  alreadyProcessed: (jobId: string) => boolean | Promise<boolean>;
}

export type ScreenOutcome =
  | { kind: "replayed" }
  | {
      kind: "screened";
      verdict: SignatureVerdict | undefined;
      decision: SecurityDecision;
      /** For a valid signature: until when a replay would still verify (`iat` + max age + skew). */
      signedUntil?: Date;
    };

export async function screenJob(rawJob: Record<string, unknown> & { id: string }, options: ScreenJobOptions): Promise<ScreenOutcome> {
  if (await options.alreadyProcessed(rawJob.id)) return { kind: "replayed" };
  const verdict = options.mode === "disabled" ? undefined : await verifyJobSignature(rawJob, options);
  const decision = decideSignature(options.mode, verdict, rawJob.id);
  const iat = verdict?.valid ? issuedAt(rawJob.signature) : undefined;
  if (iat === undefined) return { kind: "screened", verdict, decision };
  return { kind: "screened", verdict, decision, signedUntil: new Date((iat + options.maxAgeSeconds + options.clockSkewSeconds) * 1000) };
}

/** `iat` of a signature that already verified (so its header is well formed). */
function issuedAt(signature: unknown): number | undefined {
  if (typeof signature !== "string") return undefined;
  try {
    const header = JSON.parse(Buffer.from(signature.split(".")[0] ?? "", "base64url").toString("utf8")) as { iat?: unknown };
    return typeof header.iat === "number" && Number.isInteger(header.iat) ? header.iat : undefined;
  } catch {
    return undefined;
  }
}
