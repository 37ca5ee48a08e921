/** The open-Operation gauges of docs/reference/metrics.md, recounted from the cache (label values from fixed sets). */
import type { Operation } from "../../api/operation";
import { findCondition } from "../../kube/conditions";
import type { OperatorMetrics } from "../../observability/metrics";

const scheduled = new WeakSet<OperatorMetrics>();

/** Recounts at most once per microtask burst, however many cache events arrive together. */
export function recountOperations(cache: { list(): Operation[] }, metrics: OperatorMetrics): void {
  if (scheduled.has(metrics)) return;
  scheduled.add(metrics);
  queueMicrotask(() => {
    scheduled.delete(metrics);
    metrics.operationsActive.reset();
    metrics.operationsBlocked.reset();
    for (const op of cache.list()) {
      const phase = op.status?.phase ?? "Pending";
      if (phase !== "Pending" && phase !== "Running") continue;
      metrics.operationsActive.inc({ type: op.spec?.type ?? "", engine: op.spec?.engine ?? "", phase });
      const blocked = findCondition(op.status?.conditions, "Blocked");
      if (phase === "Pending" && blocked?.status === "True") metrics.operationsBlocked.inc({ reason: blocked.reason });
    }
  });
}
