/**
 * The instance's whole status as this operator writes it (docs/applications.md#spec-and-status), pure. Status is applied as one
 * body by the `vworkspace-operator` manager, so a field left out here is removed from the object.
 */
import type { ApplicationInstance, ApplicationInstanceStatus, ChartSpec, HelmReleaseRef } from "../../api/applicationinstance";
import { conditionTransitions } from "../../kube/conditions";
import type { EventInput } from "../../kube/events";
import { formatTime } from "../../kube/time";
import type { Condition } from "../../kube/types";

/** What the pass knows about the Helm objects: keep the stored refs, clear them, or set new ones. */
export type AppliedRefs =
  | { kind: "keep" }
  | { kind: "clear" }
  | { kind: "applied"; helmReleaseRef: HelmReleaseRef; lastAppliedChart: ChartSpec };

export function desiredStatus(
  instance: Pick<ApplicationInstance, "metadata" | "status">,
  conditions: Condition[],
  refs: AppliedRefs,
  now: number,
): ApplicationInstanceStatus {
  const previous = instance.status ?? {};
  const status: ApplicationInstanceStatus = { conditions, lastReconcileTime: formatTime(now) };
  if (instance.metadata.generation !== undefined) status.observedGeneration = instance.metadata.generation;
  if (refs.kind === "applied") {
    status.helmReleaseRef = refs.helmReleaseRef;
    status.lastAppliedChart = refs.lastAppliedChart;
  } else if (refs.kind === "keep") {
    if (previous.helmReleaseRef) status.helmReleaseRef = previous.helmReleaseRef;
    if (previous.lastAppliedChart) status.lastAppliedChart = previous.lastAppliedChart;
    if (previous.endpoints) status.endpoints = previous.endpoints;
  }
  return status;
}

// A condition first appearing False here is a default, not news (docs/operations.md#kubernetes-events).
const QUIET_FIRST_FALSE = new Set(["Blocked", "Degraded", "Suspended"]);
const WARNING_WHEN: Record<string, Condition["status"]> = { Ready: "False", Degraded: "True", Blocked: "True" };

/**
 * One Event per change of a condition's status or reason (docs/concepts.md#conditions, docs/operations.md#kubernetes-events),
 * except that conditions changing in the same pass with the same message say the same thing (a new
 * instance: Ready=Unknown and Reconciling=True, both "installing"): they get one Event, the Warning
 * among them if there is one, else the first (Ready before Reconciling).
 */
export function transitionEvents(before: readonly Condition[] | undefined, after: readonly Condition[]): EventInput[] {
  const changed = conditionTransitions(before, after)
    .filter(({ previous, current }) => previous !== undefined || !(current.status === "False" && QUIET_FIRST_FALSE.has(current.type)))
    .map(({ current }) => ({
      message: current.message,
      event: {
        type: WARNING_WHEN[current.type] === current.status ? ("Warning" as const) : ("Normal" as const),
        reason: current.reason,
        action: current.type,
        note: `${current.type}=${current.status}: ${current.message}`,
      },
    }));
  return changed
    .filter((candidate) => {
      const same = changed.filter((other) => other.message === candidate.message);
      return (same.find((other) => other.event.type === "Warning") ?? same[0]) === candidate;
    })
    .map(({ event }) => event);
}
