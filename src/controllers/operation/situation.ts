/**
 * The rows of docs/operations.md#conditions as data, pure: each situation names the phase and the conditions it
 * sets; conditions it does not name stay as they are ("—" in the table).
 */
import type { OperationPhase } from "../../api/operation";
import { setCondition, type ConditionInput } from "../../kube/conditions";
import type { Condition } from "../../kube/types";
import { redactMessage } from "../../api/redact";

export type Situation =
  | { row: "blocked"; reason: string; message: string }
  | { row: "started"; progressReason: string; message: string }
  | { row: "progress"; progressReason: string; message: string }
  | { row: "succeeded"; reason: string; message: string; degraded?: { reason: string; message: string } }
  | { row: "failed"; reason: string; message: string }
  | { row: "failedBeforeStart"; reason: string; message: string }
  | { row: "cancelled"; started: boolean; message: string };

export function phaseOf(situation: Situation): OperationPhase {
  switch (situation.row) {
    case "blocked":
      return "Pending";
    case "started":
    case "progress":
      return "Running";
    case "succeeded":
      return "Succeeded";
    case "failed":
    case "failedBeforeStart":
      return "Failed";
    case "cancelled":
      return "Cancelled";
  }
}

function rows(situation: Situation): ConditionInput[] {
  switch (situation.row) {
    case "blocked":
      return [
        { type: "Accepted", status: "False", reason: situation.reason, message: situation.message },
        { type: "Blocked", status: "True", reason: situation.reason, message: situation.message },
      ];
    case "started":
      return [
        { type: "Accepted", status: "True", reason: "AdmissionPassed", message: "all preconditions passed" },
        { type: "Running", status: "True", reason: situation.progressReason, message: situation.message },
        { type: "Blocked", status: "False", reason: "Unblocked", message: "not blocked" },
      ];
    case "progress":
      return [{ type: "Running", status: "True", reason: situation.progressReason, message: situation.message }];
    case "succeeded":
      return [
        { type: "Running", status: "False", reason: "EngineFinished", message: "engine finished" },
        { type: "Succeeded", status: "True", reason: situation.reason, message: situation.message },
        ...(situation.degraded ? [{ type: "Degraded", status: "True" as const, reason: situation.degraded.reason, message: situation.degraded.message }] : []),
      ];
    case "failed":
      return [
        { type: "Running", status: "False", reason: "EngineFinished", message: "engine finished" },
        { type: "Failed", status: "True", reason: situation.reason, message: situation.message },
      ];
    case "failedBeforeStart":
      return [
        { type: "Running", status: "False", reason: "EngineNotStarted", message: "engine not started" },
        { type: "Blocked", status: "False", reason: "Unblocked", message: "not blocked" },
        { type: "Failed", status: "True", reason: situation.reason, message: situation.message },
      ];
    case "cancelled":
      return situation.started
        ? [
            { type: "Running", status: "False", reason: "EngineFinished", message: "engine finished" },
            { type: "Cancelled", status: "True", reason: "UserCancelled", message: situation.message },
          ]
        : [
            { type: "Running", status: "False", reason: "EngineNotStarted", message: "engine not started" },
            { type: "Blocked", status: "False", reason: "Unblocked", message: "not blocked" },
            { type: "Cancelled", status: "True", reason: "UserCancelled", message: situation.message },
          ];
  }
}

/** The conditions after `situation`, starting from `previous`. */
export function conditionsFor(situation: Situation, previous: readonly Condition[] | undefined, generation: number | undefined, now: number): Condition[] {
  return rows(situation).reduce<Condition[]>((list, row) => setCondition(list, row, generation, now, { redact: redactMessage }), [...(previous ?? [])]);
}
