/**
 * The conflict queue of docs/operations.md#concurrency (pure). Conflicting Operations are admitted and wait; an
 * Operation is held by a conflicting sibling that is Running, or that waits only on conflicts and was
 * created earlier. Operations blocked for any other reason hold nobody, so the queue cannot deadlock.
 */
import type { OperationType } from "../api/operation";

const CONFLICTS: ReadonlyArray<readonly [OperationType, OperationType]> = [
  ["Backup", "Restore"],
  ["Restore", "Restore"],
  ["Restore", "Upgrade"],
  ["Restore", "Migration"],
  ["Upgrade", "Upgrade"],
  ["Upgrade", "Migration"],
  ["Migration", "Migration"],
];

/** Symmetric conflict matrix. */
export function conflicts(a: OperationType, b: OperationType): boolean {
  return CONFLICTS.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
}

/** What the queue needs to know about one Operation on the target. */
export interface QueueEntry {
  name: string;
  type: OperationType;
  creationTimestamp: string;
  /** `Running` (or started in-process), `queued` (waits only on conflicts), or `idle` (anything else). */
  standing: "running" | "queued" | "idle";
}

/** Creation order: (`creationTimestamp`, `metadata.name`). */
export function earlier(a: Pick<QueueEntry, "name" | "creationTimestamp">, b: Pick<QueueEntry, "name" | "creationTimestamp">): boolean {
  const at = Date.parse(a.creationTimestamp);
  const bt = Date.parse(b.creationTimestamp);
  if (at !== bt) return at < bt;
  return a.name < b.name;
}

/** The sibling that holds `candidate`, if any; running holders win over queued ones in the message. */
export function holderOf(candidate: Pick<QueueEntry, "name" | "type" | "creationTimestamp">, siblings: readonly QueueEntry[]): QueueEntry | undefined {
  const conflicting = siblings.filter((sibling) => sibling.name !== candidate.name && conflicts(candidate.type, sibling.type));
  return (
    conflicting.find((sibling) => sibling.standing === "running") ??
    conflicting.find((sibling) => sibling.standing === "queued" && earlier(sibling, candidate))
  );
}

export function conflictMessage(holder: Pick<QueueEntry, "name" | "type">): string {
  return `conflicts with operation "${holder.name}" (${holder.type})`;
}
