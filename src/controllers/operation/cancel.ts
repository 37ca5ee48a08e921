/**
 * Cancellation by annotation or deletion of a non-terminal Operation (docs/operations.md#cancellation-and-deletion): the engine's
 * cancel action first, then `Cancelled`. Deletion then lets the finalizer go.
 */
import { OPERATION } from "../../api/groups";
import { isTerminalPhase } from "../../api/operation";
import { removeFinalizer } from "../../kube/owners";
import type { AnyEngine, EngineContext } from "../../engines/types";
import { liveChildren, runActions } from "./children";
import type { Pass } from "./deps";
import { report } from "./report";

/** `engine` and `context` are known once the Operation has started; before that nothing runs. */
export async function cancel(pass: Pass, started: { engine: AnyEngine; context: EngineContext } | undefined, why: string): Promise<void> {
  const { deps, signal } = pass;
  if (started) {
    const actions = started.engine.cancel(started.context, await liveChildren(deps, started.engine, started.context, signal));
    await runActions(deps, actions, signal);
    if (actions.length > 0) deps.events.record(pass.current, { type: "Normal", reason: "EngineWorkloadCancelled", action: "Cancelled", note: `engine workload cancelled: ${why}` });
  }
  await report(pass, { situation: { row: "cancelled", started: started !== undefined, message: why }, now: deps.clock.now() });
}

/** A deleted Operation: cancel it when still open, then remove the finalizer. */
export async function finalize(pass: Pass, started: { engine: AnyEngine; context: EngineContext } | undefined): Promise<void> {
  if (!isTerminalPhase(pass.current.status?.phase) && hasOurFinalizer(pass)) await cancel(pass, started, "operation deleted");
  pass.current = await removeFinalizer(pass.deps.client, OPERATION, pass.current, OPERATION.finalizer);
}

function hasOurFinalizer(pass: Pass): boolean {
  return pass.current.metadata.finalizers?.includes(OPERATION.finalizer) ?? false;
}
