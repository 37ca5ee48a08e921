/** One line of the doctor report, and the exit code a set of lines implies. */

/** ok ✓, warn ! (works, but something is missing or risky), fail ✗ (a required piece is missing), info ·. */
export type CheckStatus = "ok" | "warn" | "fail" | "info";

export interface Check {
  /** The feature the line belongs to, e.g. "API server" or "Admission webhook". */
  section: string;
  /** What was checked, e.g. a CRD or controller name. */
  subject: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a fail or warn. */
  fix?: string;
}

/** Non-zero exactly when a required piece is missing or broken. */
export function exitCodeOf(checks: readonly Check[]): number {
  return checks.some((check) => check.status === "fail") ? 1 : 0;
}

export function check(section: string, subject: string, status: CheckStatus, detail: string, fix?: string): Check {
  return fix === undefined ? { section, subject, status, detail } : { section, subject, status, detail, fix };
}
