/**
 * Which kept children have expired (operations.md §3.6, §7.7): VolumeSnapshots past their
 * `ops.vworkspace.io/expires-at`, and VolSync objects whose Operation finished more than `--child-ttl` ago.
 */
import { isTerminalPhase, type Operation } from "../../api/operation";
import type { KubeObject } from "../../kube/types";
import { isExpired } from "../snapshot/manifest";

export function expiredSnapshots(snapshots: readonly KubeObject[], nowMs: number): KubeObject[] {
  return snapshots.filter((snapshot) => !snapshot.metadata.deletionTimestamp && isExpired(snapshot, nowMs));
}

/** A VolSync child whose owning Operation (looked up by `operationOf`) finished `ttlMs` or longer ago. */
export function expiredVolSyncChildren(
  children: readonly KubeObject[],
  operationOf: (child: KubeObject) => Operation | undefined,
  nowMs: number,
  ttlMs: number,
): KubeObject[] {
  return children.filter((child) => {
    if (child.metadata.deletionTimestamp) return false;
    const operation = operationOf(child);
    if (!operation || !isTerminalPhase(operation.status?.phase)) return false;
    const finishedAt = Date.parse(operation.status?.finishedAt ?? "");
    return Number.isFinite(finishedAt) && finishedAt + ttlMs <= nowMs;
  });
}
