/**
 * The Upgrade write on the target ApplicationInstance (docs/operations.md#helm). It goes through the
 * instance's spec, the intent the AI reconciler turns into the HelmRelease, so the two never fight.
 *
 * One JSON merge patch (RFC 7386) under the field manager `vworkspace-operator-upgrade` carries both the
 * chart version and `valuesPatch` (below `spec.values.inline`): the API server merges deeply and deletes
 * `null` keys even when another manager owns them, which server-side apply cannot express, and both
 * changes land in one generation. Re-sending it after a restart changes nothing (merge patches are idempotent).
 */
import type { ApplicationInstance } from "../../api/applicationinstance";

export const UPGRADE_FIELD_MANAGER = "vworkspace-operator-upgrade";

export interface UpgradeParameters {
  targetVersion?: string;
  valuesPatch?: Record<string, unknown>;
}

export function upgradePatch(p: UpgradeParameters): { spec: Record<string, unknown> } {
  return {
    spec: {
      ...(p.targetVersion !== undefined ? { chart: { version: p.targetVersion } } : {}),
      ...(p.valuesPatch !== undefined ? { values: { inline: p.valuesPatch } } : {}),
    },
  };
}

/** Outputs known once the patch landed. */
export function upgradeOutputs(before: ApplicationInstance, after: ApplicationInstance): Record<string, string> {
  return {
    previousVersion: before.spec.chart?.version ?? "",
    version: after.spec.chart?.version ?? "",
    helmReleaseName: after.spec.release?.name ?? "",
    targetGeneration: String(after.metadata.generation ?? 0),
  };
}
