/**
 * The status mapping of docs/applications.md#status-mapping, pure: the situation a reconcile pass ended in (and the HelmRelease
 * it observed) in, the instance's conditions out. Rows are evaluated top-down by the caller choosing the
 * situation; "—" cells keep their previous value by not being set.
 */
import { ApplicationInstanceConditionType as Type, ApplicationInstanceReason as Reason } from "../../api/condition-vocabulary";
import type { HelmRelease } from "../../flux/types";
import { findCondition, setCondition, type ConditionInput } from "../../kube/conditions";
import type { Condition, ConditionStatus } from "../../kube/types";
import { redactMessage } from "../../api/redact";

export type BlockedReason = "NamespaceNotGated" | "ClusterMismatch" | "ValidationFailed" | "MissingDependencies";

export type Situation =
  | { row: "Deleting"; message: string }
  | { row: "DeletingTimeout"; message: string }
  | { row: "DeletingPlaceholder" }
  | { row: "Blocked"; reason: BlockedReason; message: string }
  | { row: "Placeholder" }
  | { row: "ApplyFailed"; message: string }
  /** Rows SuspendedReady … Progressing: decided by the HelmRelease (absent when not found). */
  | { row: "HelmRelease"; helmRelease: HelmRelease | undefined };

export interface MappingInput {
  situation: Situation;
  previous: readonly Condition[] | undefined;
  generation: number | undefined;
  suspend: boolean;
  now: number;
}

const cond = (type: string, status: ConditionStatus, reason: string, message = ""): ConditionInput => ({ type, status, reason, message });
const stable = () => cond(Type.Reconciling, "False", Reason.Stable);
const unblocked = () => cond(Type.Blocked, "False", Reason.Unblocked);
const recovered = () => cond(Type.Degraded, "False", Reason.Recovered);

export function mapConditions(input: MappingInput): Condition[] {
  let conditions = [...(input.previous ?? [])];
  for (const next of rowConditions(input)) {
    conditions = setCondition(conditions, next, input.generation, input.now, { redact: redactMessage });
  }
  return conditions;
}

function rowConditions({ situation, suspend }: MappingInput): ConditionInput[] {
  const suspended = suspend
    ? cond(Type.Suspended, "True", Reason.ManuallySuspended, "spec.suspend is true")
    : cond(Type.Suspended, "False", Reason.Active);
  switch (situation.row) {
    case "Deleting":
      return [cond(Type.Ready, "False", Reason.Deleting, situation.message), cond(Type.Deleting, "True", Reason.WaitingForChildResources, situation.message)];
    case "DeletingTimeout":
      return [cond(Type.Ready, "False", Reason.Deleting, situation.message), cond(Type.Deleting, "True", Reason.UninstallTimeout, situation.message)];
    case "DeletingPlaceholder":
      return [cond(Type.Deleting, "True", Reason.Deleting, "placeholder instance is being deleted")];
    case "Blocked":
      return [
        cond(Type.Ready, "False", situation.reason, situation.message),
        stable(),
        cond(Type.Blocked, "True", situation.reason, situation.message),
      ];
    case "Placeholder":
      return [cond(Type.Ready, "True", Reason.Placeholder, "placeholder instance: nothing to install"), stable(), recovered(), suspended, unblocked()];
    case "ApplyFailed":
      return [cond(Type.Ready, "False", Reason.HelmReleaseFailed, situation.message), stable(), suspended, unblocked()];
    case "HelmRelease":
      return [...helmReleaseRow(situation.helmRelease, suspend), degraded(situation.helmRelease), suspended, unblocked()];
  }
}

/** Ready and Reconciling of rows SuspendedReady … Progressing. */
function helmReleaseRow(helmRelease: HelmRelease | undefined, suspend: boolean): ConditionInput[] {
  const conditions = helmRelease?.status?.conditions;
  const ready = findCondition(conditions, "Ready");
  const reconciling = findCondition(conditions, "Reconciling");
  const generation = helmRelease?.metadata.generation;
  if (suspend) {
    if (ready?.status === "True") return [cond(Type.Ready, "True", Reason.HelmReleaseReady, ready.message), stable()];
    if (ready?.status === "False") return [cond(Type.Ready, "False", ready.reason, ready.message), stable()];
    return [cond(Type.Ready, "Unknown", Reason.ManuallySuspended, "HelmRelease is suspended"), stable()];
  }
  if (ready?.status === "True" && helmRelease?.status?.observedGeneration === generation) {
    return [cond(Type.Ready, "True", Reason.HelmReleaseReady, ready.message), stable()];
  }
  if (ready?.status === "False" && ready.observedGeneration === generation) {
    const flux = reconciling?.status === "True" ? cond(Type.Reconciling, "True", reconciling.reason, reconciling.message) : stable();
    return [cond(Type.Ready, "False", ready.reason, ready.message), flux];
  }
  if (!helmRelease || !ready) {
    const message = helmRelease ? "waiting for helm-controller to report on the HelmRelease" : "waiting for the HelmRelease";
    return [cond(Type.Ready, "Unknown", Reason.Reconciling, message), cond(Type.Reconciling, "True", Reason.HelmReleaseInstalling, message)];
  }
  const active = reconciling?.status === "True" ? reconciling : undefined;
  const reason = active?.reason ?? Reason.Progressing;
  const message = active?.message ?? `HelmRelease generation ${generation ?? "?"} not yet reconciled by helm-controller`;
  return [cond(Type.Ready, "Unknown", reason, message), cond(Type.Reconciling, "True", reason, message)];
}

function degraded(helmRelease: HelmRelease | undefined): ConditionInput {
  const stalled = findCondition(helmRelease?.status?.conditions, "Stalled");
  return stalled?.status === "True" ? cond(Type.Degraded, "True", stalled.reason, stalled.message) : recovered();
}
