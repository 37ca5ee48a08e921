/**
 * One reconcile pass of an Operation (docs/operations.md#how-an-operation-runs): a sequence of small steps, the first one that
 * decides ends the pass. Terminal Operations are never written again.
 */
import { formatDecodeIssues } from "../../api/decode";
import { OPERATION } from "../../api/groups";
import { ANNOTATION_CANCEL } from "../../api/labels";
import { decodeOperation, isTerminalPhase, type Operation } from "../../api/operation";
import { engineFor } from "../../engines";
import type { AnyEngine, EngineContext } from "../../engines/types";
import { addFinalizer, isDeleting } from "../../kube/owners";
import type { WorkResult } from "../../kube/workqueue";
import type { Reconcile } from "../../manager/controller";
import { decodeParameters } from "../../operations/rules";
import { findTemplate } from "../../operations/templates";
import { cancel, finalize } from "./cancel";
import { engineContext } from "./context";
import type { OperationReconcilerDeps, Pass } from "./deps";
import { monitor } from "./monitor";
import { evaluatePreconditions, identityProblem } from "./preconditions";
import { report } from "./report";
import { resumablePlan } from "./resume";
import { resumeStart, startOrHold } from "./start";
import { targetKey } from "./start-gate";
import { SWEEP_INTERVAL_MS, SWEEP_KEY } from "./sweep";

export function operationReconciler(deps: OperationReconcilerDeps, sweep: (signal: AbortSignal) => Promise<void>): Reconcile {
  return async ({ key, signal }) => {
    if (key === SWEEP_KEY) {
      await sweep(signal);
      return { requeueAfterMs: SWEEP_INTERVAL_MS };
    }
    const stored = deps.operations.get(key);
    if (!stored) return;
    const pass: Pass = { deps, signal, current: stored };
    const target = targetKey(stored.metadata.namespace ?? "", stored.spec?.targetRef?.name ?? "");
    if (stored.status?.phase === "Running" || isTerminalPhase(stored.status?.phase)) deps.starts.forget(target, stored.metadata.name);
    if (isDeleting(stored)) return finalize(pass, startedEngine(pass));
    if (isTerminalPhase(stored.status?.phase)) return;
    if (cancelRequested(stored)) return cancel(pass, startedEngine(pass), "cancelled by annotation ops.vworkspace.io/cancel");
    if (stored.status?.phase === "Running") return monitorRunning(pass);
    return evaluate(pass);
  };
}

function cancelRequested(operation: Operation): boolean {
  return operation.metadata.annotations?.[ANNOTATION_CANCEL]?.trim().toLowerCase() === "true";
}

/** Engine and context of a Running Operation; undefined before start (nothing to cancel). */
function startedEngine(pass: Pass): { engine: AnyEngine; context: EngineContext } | undefined {
  const { current, deps } = pass;
  if (current.status?.phase !== "Running") return undefined;
  const template = findTemplate(current.spec.type, current.spec.engine);
  const engine = engineFor(current.spec.engine);
  if (!template || !engine) return undefined;
  const decoded = decodeParameters(template, current.spec.parameters ?? {});
  const target = deps.instances.get(`${current.metadata.namespace}/${current.spec.targetRef.name}`);
  const context = engineContext(current, target, template, decoded.ok ? decoded.value : {}, deps.clock.now(), deps.settings);
  return { engine, context };
}

async function monitorRunning(pass: Pass): Promise<WorkResult | void> {
  const started = startedEngine(pass);
  if (!started) {
    // Started by an operator that knew this engine; this one cannot observe it.
    await report(pass, { situation: { row: "failed", reason: "EngineFailed", message: `engine "${pass.current.spec.engine}" is not available in this operator` }, now: pass.deps.clock.now() });
    return;
  }
  return monitor(pass, started.engine, started.context);
}

async function evaluate(pass: Pass): Promise<WorkResult | void> {
  const { deps } = pass;
  const recheck = { requeueAfterMs: deps.settings.blockedRecheckMs };
  const identity = identityProblem(pass);
  if (identity?.kind === "blocked") {
    await report(pass, { situation: { row: "blocked", ...identity.violation }, now: deps.clock.now() });
    return recheck;
  }
  pass.current = await addFinalizer(deps.client, OPERATION, pass.current, OPERATION.finalizer);

  // An object that got past admission without matching the schema is reported, not crashed on.
  const decoded = decodeOperation(pass.current);
  if (!decoded.ok) {
    await report(pass, { situation: { row: "blocked", reason: "ValidationFailed", message: formatDecodeIssues(decoded.issues) }, now: deps.clock.now() });
    return recheck;
  }
  const resumable = await resumablePlan(pass);
  if (resumable) {
    await resumeStart(pass, resumable);
    return;
  }
  const outcome = await evaluatePreconditions(pass);
  switch (outcome.kind) {
    case "blocked":
      await report(pass, { situation: { row: "blocked", ...outcome.violation }, now: deps.clock.now() });
      return recheck;
    case "permanent":
      await report(pass, { situation: { row: "failedBeforeStart", ...outcome.violation }, now: deps.clock.now() });
      return;
    case "ready": {
      const started = await startOrHold(pass, outcome.plan);
      // After a start, the Running status write itself brings the Operation back to arm its deadline.
      return started === "held" ? recheck : undefined;
    }
  }
}
