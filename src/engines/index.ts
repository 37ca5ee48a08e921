/**
 * The engine registry: the Operation controller looks engines up here by `spec.engine`.
 * Engines register by adding themselves to ENGINES.
 */
import type { OperationEngine } from "../api/operation";
import { helmEngine } from "./helm/engine";
import { helmHookJobEngine } from "./helmHookJob/engine";
import { jobEngine } from "./job/engine";
import { snapshotEngine } from "./snapshot/engine";
import type { AnyEngine } from "./types";
import { veleroEngine } from "./velero/engine";
import { volSyncEngine } from "./volsync/engine";
import { workflowEngine } from "./workflow/engine";

export const ENGINES: readonly AnyEngine[] = [veleroEngine, jobEngine, helmHookJobEngine, helmEngine, workflowEngine, snapshotEngine, volSyncEngine];

export function engineFor(name: OperationEngine | string): AnyEngine | undefined {
  return ENGINES.find((engine) => engine.name === name);
}
