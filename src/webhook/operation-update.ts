/** Rules OP-3 … OP-5 of docs/operations.md#operation-rules: what may change on UPDATE. Pure. */
import { isDeepStrictEqual } from "node:util";
import type { LooseSpec } from "../operations/rules";

const TERMINAL = new Set(["Succeeded", "Failed", "Cancelled"]);

export interface UpdateViolation {
  reason: "OperationFinished" | "ImmutableField";
  message: string;
}

export function updateViolation(oldSpec: LooseSpec, newSpec: LooseSpec, oldPhase: string): UpdateViolation | undefined {
  if (TERMINAL.has(oldPhase) && !isDeepStrictEqual(oldSpec, newSpec)) {
    return { reason: "OperationFinished", message: `spec is immutable once the operation has finished (phase=${oldPhase})` };
  }
  const oldRef = (oldSpec.targetRef ?? {}) as Record<string, unknown>;
  const newRef = (newSpec.targetRef ?? {}) as Record<string, unknown>;
  for (const field of ["apiVersion", "kind", "name"] as const) {
    if (oldRef[field] !== newRef[field]) return { reason: "ImmutableField", message: `spec.targetRef.${field} is immutable` };
  }
  if (oldSpec.type !== newSpec.type) return { reason: "ImmutableField", message: "spec.type is immutable" };
  if (oldSpec.engine !== newSpec.engine) return { reason: "ImmutableField", message: "spec.engine is immutable" };
  if (oldPhase !== "" && oldPhase !== "Pending") {
    for (const field of ["parameters", "approvals"] as const) {
      if (!isDeepStrictEqual(oldSpec[field], newSpec[field])) {
        return { reason: "ImmutableField", message: `spec.${field} is immutable once operation has started (phase=${oldPhase})` };
      }
    }
  }
  return undefined;
}
