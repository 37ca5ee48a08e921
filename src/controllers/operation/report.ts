/**
 * The one place an Operation's status is written: merge patch guarded by the resourceVersion the pass
 * read (a stale cache gets 409 and a retry, so a terminal Operation is never overwritten), one Event
 * per condition transition, and the finished-Operation metrics.
 */
import { OPERATION } from "../../api/groups";
import { isTerminalPhase } from "../../api/operation";
import { conditionTransitions } from "../../kube/conditions";
import type { EventInput } from "../../kube/events";
import type { Condition } from "../../kube/types";
import type { Pass } from "./deps";
import { desiredStatus, type StatusInputs } from "./status";

// A condition first appearing False is a default, not news (docs/operations.md#kubernetes-events).
const QUIET_FIRST_FALSE = new Set(["Blocked", "Degraded", "Suspended", "Failed", "Cancelled"]);
const WARNING_WHEN_TRUE = new Set(["Blocked", "Failed", "Degraded"]);

export async function report(pass: Pass, inputs: StatusInputs): Promise<void> {
  const { deps, current } = pass;
  const desired = desiredStatus(current, inputs);
  const result = await deps.status.mergePatch(OPERATION, current, desired as Record<string, unknown>, { signal: pass.signal });
  if (!result.written) return;
  const previous = current.status?.conditions;
  pass.current = result.object;
  for (const event of transitionEvents(previous, desired.conditions ?? [])) deps.events.record(result.object, event);
  if (isTerminalPhase(desired.phase)) recordFinished(pass, desired.phase ?? "", desired.startedAt, desired.finishedAt);
}

export function transitionEvents(before: readonly Condition[] | undefined, after: readonly Condition[]): EventInput[] {
  return conditionTransitions(before, after)
    .filter(({ previous, current }) => previous !== undefined || !(current.status === "False" && QUIET_FIRST_FALSE.has(current.type)))
    .map(({ current }) => ({
      type: current.status === "True" && WARNING_WHEN_TRUE.has(current.type) ? "Warning" : "Normal",
      reason: current.reason,
      action: current.type,
      note: `${current.type}=${current.status}: ${current.message}`,
    }));
}

function recordFinished(pass: Pass, phase: string, startedAt: string | undefined, finishedAt: string | undefined): void {
  const { type, engine } = pass.current.spec;
  const labels = { type, engine, phase };
  pass.deps.metrics.operationTotal.inc(labels);
  if (startedAt && finishedAt) pass.deps.metrics.operationDuration.observe(labels, Math.max(0, (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000));
}
