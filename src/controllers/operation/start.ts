/**
 * Check 8 of docs/operations.md#preconditions (the conflict queue of docs/operations.md#concurrency) and the start of docs/operations.md#how-an-operation-runs, serialized per target
 * in-process so that two workers never start conflicting Operations at once.
 */
import { isTerminalPhase, type Operation } from "../../api/operation";
import { findCondition } from "../../kube/conditions";
import { conflictMessage, holderOf, type QueueEntry } from "../../operations/conflicts";
import { PermanentStartError, writeChildren } from "./children";
import type { Pass } from "./deps";
import type { StartPlan } from "./preconditions";
import { report } from "./report";
import { targetKey } from "./start-gate";

export type StartOutcome = "started" | "held" | "failed";

export async function startOrHold(pass: Pass, plan: StartPlan): Promise<StartOutcome> {
  const { deps } = pass;
  const namespace = pass.current.metadata.namespace ?? "";
  const target = targetKey(namespace, pass.current.spec.targetRef.name);
  return deps.starts.serialize(target, async () => {
    const holder = holderOf(entryOf(pass.current, "idle"), siblings(pass, target));
    if (holder) {
      await report(pass, { situation: { row: "blocked", reason: "ConflictingOperation", message: conflictMessage(holder) }, now: deps.clock.now() });
      return "held";
    }
    return start(pass, plan, target);
  });
}

/** Finishes a start an earlier pass began (its children exist): no conflict check, it already holds the target. */
export function resumeStart(pass: Pass, plan: StartPlan): Promise<StartOutcome> {
  const target = targetKey(pass.current.metadata.namespace ?? "", pass.current.spec.targetRef.name);
  return pass.deps.starts.serialize(target, () => start(pass, plan, target));
}

async function start(pass: Pass, plan: StartPlan, target: string): Promise<StartOutcome> {
  const { deps, signal } = pass;
  const { engine, context, facts, template } = plan;
  const name = pass.current.metadata.name;
  let written;
  try {
    written = await writeChildren(deps, context.uid, engine.desiredChildren(context, facts), signal);
  } catch (err) {
    if (!(err instanceof PermanentStartError)) throw err;
    const situation = err.reason === "EngineFailed"
      ? { row: "failedBeforeStart" as const, reason: "EngineFailed", message: err.message }
      : { row: "failed" as const, reason: err.reason, message: err.message };
    await report(pass, { situation, now: deps.clock.now() });
    return "failed";
  }
  // From here on the Operation holds its target, even before the status write reaches the cache.
  deps.starts.markStarted(target, name, pass.current.spec.type);
  const record = engine.started(context, written);
  for (const child of written) {
    deps.events.record(pass.current, { type: "Normal", reason: "EngineWorkloadCreated", action: "Running", note: `created ${child.kind} ${child.metadata.namespace ? `${child.metadata.namespace}/` : ""}${child.metadata.name}` });
  }
  await report(pass, {
    situation: { row: "started", progressReason: template.reasons.progress, message: `${record.engineRef.kind} ${record.engineRef.name} created` },
    now: deps.clock.now(),
    start: record,
  });
  return "started";
}

/** Sibling Operations on the same target, with their standing in the queue. */
function siblings(pass: Pass, target: string): QueueEntry[] {
  const { deps, current } = pass;
  const startedHere = deps.starts.started(target);
  return deps.operations
    .list(current.metadata.namespace)
    .filter((op) => op.spec?.targetRef?.name === current.spec.targetRef.name && op.metadata.name !== current.metadata.name && !op.metadata.deletionTimestamp)
    .filter((op) => !isTerminalPhase(op.status?.phase))
    .map((op) => entryOf(op, startedHere.has(op.metadata.name) || op.status?.phase === "Running" ? "running" : waitsOnlyOnConflicts(op) ? "queued" : "idle"));
}

/** Not yet evaluated, or Blocked only by a conflict: it is in the queue. */
function waitsOnlyOnConflicts(op: Operation): boolean {
  const blocked = findCondition(op.status?.conditions, "Blocked");
  if (!blocked) return true;
  return blocked.status === "True" && blocked.reason === "ConflictingOperation";
}

function entryOf(op: Operation, standing: QueueEntry["standing"]): QueueEntry {
  return { name: op.metadata.name, type: op.spec.type, creationTimestamp: op.metadata.creationTimestamp ?? "", standing };
}
