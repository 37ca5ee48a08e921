/** The only form in which a token may appear in logs, status or events: 16 hex chars of its SHA-256. */
import { createHash } from "node:crypto";

export function tokenFingerprint(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 16);
}

/** Full SHA-256 hex: how the control plane stores bearer and registration tokens. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
