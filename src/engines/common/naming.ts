/** Deterministic child names (docs/operations.md#engines): the same Operation always names the same child. */
import { createHash } from "node:crypto";

const MAX_NAME = 63;

/** `s` when it fits a DNS label, else a 52-character prefix, `-` and 10 hex digits of SHA-256(s). */
export function shortName(s: string): string {
  if (s.length <= MAX_NAME) return s;
  const prefix = s.slice(0, 52).replace(/[-.]+$/, "");
  const digest = createHash("sha256").update(s).digest("hex").slice(0, 10);
  return `${prefix}-${digest}`;
}

/** Job and Workflow children: `<ns>--<name>` when it fits, else the Operation UID (Go-compatible). */
export function workloadName(operation: { namespace: string; name: string; uid: string }): string {
  const joined = `${operation.namespace}--${operation.name}`;
  return joined.length <= MAX_NAME ? joined : operation.uid;
}
