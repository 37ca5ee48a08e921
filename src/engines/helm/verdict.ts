/**
 * ApplicationInstance conditions → Upgrade progress (docs/operations.md#helm). Only conditions written for
 * the upgraded generation count, so the instance's state from before the upgrade never decides it.
 */
import type { ApplicationInstance } from "../../api/applicationinstance";
import type { Condition } from "../../kube/types";
import type { TemplateReasons } from "../../operations/templates";
import type { Progress } from "../types";

/** Ready=False reasons that mean Helm itself gave up on the release. */
const RELEASE_FAILURE_REASONS = new Set([
  "InstallFailed",
  "UpgradeFailed",
  "RollbackSucceeded",
  "RollbackFailed",
  "UninstallSucceeded",
  "UninstallFailed",
  "HelmReleaseFailed",
]);

export interface UpgradeTarget {
  /** `spec.chart.version` the upgrade wrote, when it changed the version. */
  version?: string;
  generation: number;
  /** When the upgrade started (ms); a stuck Ready=False is measured from no earlier than this. */
  startedAtMs: number;
}

export function upgradeProgress(
  instance: ApplicationInstance | undefined,
  target: UpgradeTarget,
  clock: { nowMs: number; stuckAfterMs: number },
  reasons: TemplateReasons,
): Progress {
  const failed = (message: string): Progress => ({ state: "failed", reason: reasons.failure, message });
  const running = (message: string, recheckAfterMs?: number): Progress =>
    recheckAfterMs === undefined ? { state: "running", message } : { state: "running", message, recheckAfterMs };
  if (!instance || instance.metadata.deletionTimestamp) {
    return failed("target ApplicationInstance was deleted during the upgrade");
  }
  const specVersion = instance.spec.chart?.version;
  if (target.version !== undefined && specVersion !== target.version) {
    return failed(`spec.chart.version was changed to "${specVersion ?? ""}" by another writer during the upgrade to "${target.version}"`);
  }
  const current = (type: string): Condition | undefined =>
    instance.status?.conditions?.find((c) => c.type === type && (c.observedGeneration ?? 0) >= target.generation);
  const describe = (c: Condition) => `ApplicationInstance ${c.type}=${c.status} ${c.reason}: ${c.message}`;
  const ready = current("Ready");
  const blocked = current("Blocked");
  if (blocked?.status === "True") return failed(describe(blocked));
  const degraded = current("Degraded");
  if (degraded?.status === "True") return failed(describe(degraded));
  if (ready?.status === "True") {
    const applied = instance.status?.lastAppliedChart?.version;
    if (target.version === undefined || applied === target.version) {
      return { state: "succeeded", message: `ApplicationInstance ${instance.metadata.name} is Ready at chart version ${applied ?? specVersion ?? ""}` };
    }
    return running(`waiting for chart version ${target.version} to be applied (applied: ${applied ?? "none"})`);
  }
  if (ready?.status === "False") {
    if (RELEASE_FAILURE_REASONS.has(ready.reason)) {
      const reconciling = current("Reconciling");
      if (reconciling?.status === "False") return failed(describe(ready));
      return running(`${describe(ready)} (Flux is still retrying)`);
    }
    const since = Math.max(Date.parse(ready.lastTransitionTime) || 0, target.startedAtMs);
    const stuckAt = since + clock.stuckAfterMs;
    if (clock.nowMs >= stuckAt) {
      return failed(`${describe(ready)} (unchanged for ${Math.round(clock.stuckAfterMs / 1000)}s)`);
    }
    return running(describe(ready), stuckAt - clock.nowMs);
  }
  return running(`waiting for ApplicationInstance ${instance.metadata.name} to observe generation ${target.generation}`);
}
