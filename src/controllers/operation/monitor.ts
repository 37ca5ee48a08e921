/**
 * Monitoring a Running Operation (docs/operations.md#how-an-operation-runs, docs/operations.md#timeouts): the engine's verdict on the watched children,
 * the missing-child grace, and the timeout. Returns when to look again: a timer for the next deadline,
 * never a fixed poll.
 */
import type { WorkResult } from "../../kube/workqueue";
import type { AnyEngine, EngineContext } from "../../engines/types";
import { liveChildren, observeChildren, runActions } from "./children";
import type { Pass } from "./deps";
import { report } from "./report";

export async function monitor(pass: Pass, engine: AnyEngine, context: EngineContext): Promise<WorkResult | void> {
  const { deps } = pass;
  const now = deps.clock.now();
  const startedAt = Date.parse(pass.current.status?.startedAt ?? "") || now;
  const deadline = startedAt + context.timeoutSeconds * 1000;
  if (now >= deadline) return timeOut(pass, engine, context);

  // Until the child caches have listed once, a missing child proves nothing; their sync re-enqueues us.
  if (!engine.childTypes.every((type) => deps.children(type).hasSynced())) return later(deadline - now);

  const progress = engine.observe(context, observeChildren(deps, engine, context));
  const { progress: progressReason } = context.template.reasons;
  switch (progress.state) {
    case "running":
      await report(pass, { situation: { row: "progress", progressReason, message: progress.message }, now, ...(progress.outputs ? { outputs: progress.outputs } : {}) });
      return later(deadline - now, progress.recheckAfterMs);
    case "missing": {
      const graceEnds = startedAt + deps.settings.missingWorkloadGraceMs;
      if (now < graceEnds) return later(deadline - now, graceEnds - now);
      await report(pass, { situation: { row: "failed", reason: "WorkloadMissing", message: progress.message }, now });
      return;
    }
    case "succeeded":
      await report(pass, {
        situation: { row: "succeeded", reason: context.template.reasons.success, message: progress.message, ...(progress.degraded ? { degraded: progress.degraded } : {}) },
        now,
        ...(progress.outputs ? { outputs: progress.outputs } : {}),
      });
      return;
    case "failed": {
      await runActions(deps, engine.afterFailure(context, await liveChildren(deps, engine, context, pass.signal)), pass.signal);
      await report(pass, { situation: { row: "failed", reason: progress.reason, message: progress.message }, now, ...(progress.outputs ? { outputs: progress.outputs } : {}) });
      return;
    }
  }
}

async function timeOut(pass: Pass, engine: AnyEngine, context: EngineContext): Promise<void> {
  const { deps, signal } = pass;
  await runActions(deps, engine.cancel(context, await liveChildren(deps, engine, context, signal)), signal);
  deps.events.record(pass.current, { type: "Normal", reason: "EngineWorkloadCancelled", action: "Failed", note: "engine workload cancelled after timeout" });
  const message = `operation exceeded its timeout of ${context.timeoutSeconds}s`;
  await report(pass, { situation: { row: "failed", reason: "Timeout", message }, now: deps.clock.now() });
}

function later(...delays: Array<number | undefined>): WorkResult {
  const due = delays.filter((delay): delay is number => delay !== undefined && delay > 0);
  return { requeueAfterMs: Math.max(1, Math.ceil(Math.min(...due))) };
}
