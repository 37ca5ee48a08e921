/**
 * The engine registry: the Operation controller looks engines up here by `spec.engine`.
 * Engines register by adding themselves to ENGINES.
 */
import type { OperationEngine } from "../api/operation";
import { helmHookJobEngine } from "./helmHookJob/engine";
import { jobEngine } from "./job/engine";
import type { AnyEngine } from "./types";

export const ENGINES: readonly AnyEngine[] = [jobEngine, helmHookJobEngine];

export function engineFor(name: OperationEngine | string): AnyEngine | undefined {
  return ENGINES.find((engine) => engine.name === name);
}
