/** The Operation's whole status after a situation (docs/operations.md#the-operation-resource), pure. */
import type { Operation, OperationStatus } from "../../api/operation";
import type { StartRecord } from "../../engines/types";
import { formatTime } from "../../kube/time";
import { conditionsFor, phaseOf, type Situation } from "./situation";

export interface StatusInputs {
  situation: Situation;
  now: number;
  /** Set by the start write only. */
  start?: StartRecord;
  /** Outputs reported by the engine in this pass; merged over the stored ones. */
  outputs?: Record<string, string>;
}

export function desiredStatus(operation: Operation, inputs: StatusInputs): OperationStatus {
  const previous = operation.status ?? {};
  const { situation, now, start } = inputs;
  const phase = phaseOf(situation);
  const status: OperationStatus = {
    ...previous,
    phase,
    conditions: conditionsFor(situation, previous.conditions, operation.metadata.generation, now),
  };
  if (start) {
    status.startedAt = formatTime(now);
    status.engineRef = start.engineRef;
    if (start.logsRef) status.logsRef = start.logsRef;
  }
  const outputs = { ...(previous.outputs ?? {}), ...(start?.outputs ?? {}), ...(inputs.outputs ?? {}) };
  if (Object.keys(outputs).length > 0) status.outputs = outputs;
  if (phase === "Succeeded" || phase === "Failed" || phase === "Cancelled") status.finishedAt = formatTime(now);
  return status;
}
