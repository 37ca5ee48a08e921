/**
 * Takeover of a HelmRelease written by the Go implementation (docs/applications.md#adopting-existing-objects), pure. Server-side apply
 * cannot remove fields another manager owns, so before our first apply the owned paths the desired
 * state omits are removed with one JSON patch: this erases secret values the Go operator copied into
 * `spec.values`, and swaps `spec.chart` for `spec.chartRef` in the same write because Flux rejects a
 * HelmRelease with neither.
 */
import type { HelmRelease, HelmReleaseSpec } from "../../flux/types";
import type { JsonPatchOp } from "../../kube/client";
import { FIELD_MANAGER } from "./children";

const EXCLUSIVE_PATHS = ["values", "valuesFrom", "chart", "chartRef"] as const;

function hasOurManagedFields(helmRelease: HelmRelease): boolean {
  const entries = (helmRelease.metadata.managedFields ?? []) as Array<{ manager?: string }>;
  return entries.some((entry) => entry.manager === FIELD_MANAGER);
}

/** The JSON patch that prepares `existing` for our first apply, or undefined when none is needed. */
export function takeoverPatch(existing: HelmRelease, desired: HelmReleaseSpec): JsonPatchOp[] | undefined {
  if (hasOurManagedFields(existing)) return undefined;
  const spec = existing.spec ?? {};
  const ops: JsonPatchOp[] = [];
  for (const path of EXCLUSIVE_PATHS) {
    if (spec[path] !== undefined && desired[path] === undefined) ops.push({ op: "remove", path: `/spec/${path}` });
  }
  const swapsChart = ops.some((op) => op.path === "/spec/chart") && desired.chartRef !== undefined && spec.chartRef === undefined;
  if (swapsChart) ops.push({ op: "add", path: "/spec/chartRef", value: desired.chartRef });
  const swapsChartRef = ops.some((op) => op.path === "/spec/chartRef") && desired.chart !== undefined && spec.chart === undefined;
  if (swapsChartRef) ops.push({ op: "add", path: "/spec/chart", value: desired.chart });
  if (ops.length === 0) return undefined;
  const resourceVersion = existing.metadata.resourceVersion;
  if (!resourceVersion) throw new Error(`HelmRelease ${existing.metadata.name} has no resourceVersion to guard the takeover on`);
  return [{ op: "test", path: "/metadata/resourceVersion", value: resourceVersion }, ...ops];
}
