/**
 * The operator's Prometheus metrics (docs/reference/metrics.md, docs/reference/metrics.md). One registry per operator
 * instance, so several operators in one test process never share counters. Label values come only from
 * fixed sets: never object names, namespaces or error texts.
 */
// One by one rather than from the index (src/observability/prom-client-parts.d.ts says why).
import Counter from "prom-client/lib/counter";
import Gauge from "prom-client/lib/gauge";
import Histogram from "prom-client/lib/histogram";
import Registry from "prom-client/lib/registry";
import pkg from "../../package.json";

export type ControllerName = "applicationinstance" | "operation" | "cluster" | "tenant" | "push-access";
export type ReconcileResult = "success" | "error" | "requeue";
export type WatchRestartReason = "idle_timeout" | "gone" | "error";

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class OperatorMetrics {
  readonly registry = new Registry();

  readonly reconcileTotal = new Counter({
    name: "vworkspace_operator_reconcile_total",
    help: "Reconcile passes by controller and result",
    labelNames: ["controller", "result"] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: "vworkspace_operator_reconcile_duration_seconds",
    help: "Duration of one reconcile pass",
    labelNames: ["controller"] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly workqueueDepth = new Gauge({
    name: "vworkspace_operator_workqueue_depth",
    help: "Keys waiting in a controller's work queue",
    labelNames: ["controller"] as const,
    registers: [this.registry],
  });
  readonly workqueueRetries = new Counter({
    name: "vworkspace_operator_workqueue_retries_total",
    help: "Keys re-queued with backoff after a failed reconcile",
    labelNames: ["controller"] as const,
    registers: [this.registry],
  });
  readonly statusWrites = new Counter({
    name: "vworkspace_operator_status_writes_total",
    help: "Status writes by kind (a growing count on idle objects is a write loop)",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly watchRestarts = new Counter({
    name: "vworkspace_operator_watch_restarts_total",
    help: "Watch stream restarts by resource and reason",
    labelNames: ["resource", "reason"] as const,
    registers: [this.registry],
  });
  readonly managedNamespaces = new Gauge({
    name: "vworkspace_operator_managed_namespaces",
    help: "Namespaces that pass the namespace gate",
    registers: [this.registry],
  });
  readonly webhookRequests = new Counter({
    name: "vworkspace_operator_webhook_requests_total",
    help: "Admission requests by webhook, operation and verdict",
    labelNames: ["webhook", "operation", "allowed"] as const,
    registers: [this.registry],
  });
  readonly webhookDenials = new Counter({
    name: "vworkspace_operator_webhook_denials_total",
    help: "Admission denials by webhook and reason code",
    labelNames: ["webhook", "reason"] as const,
    registers: [this.registry],
  });
  readonly webhookDuration = new Histogram({
    name: "vworkspace_operator_webhook_duration_seconds",
    help: "Admission handler latency",
    labelNames: ["webhook"] as const,
    buckets: [0.0005, 0.001, 0.0025, ...DURATION_BUCKETS.slice(1)],
    registers: [this.registry],
  });
  readonly webhookCertificateExpiry = new Gauge({
    name: "vworkspace_operator_webhook_certificate_expiry_timestamp_seconds",
    help: "notAfter of the serving certificate in use",
    registers: [this.registry],
  });
  readonly operationTotal = new Counter({
    name: "vworkspace_operator_operation_total",
    help: "Finished Operations by type, engine and terminal phase",
    labelNames: ["type", "engine", "phase"] as const,
    registers: [this.registry],
  });
  readonly operationDuration = new Histogram({
    name: "vworkspace_operator_operation_duration_seconds",
    help: "finishedAt - startedAt of finished Operations",
    labelNames: ["type", "engine", "phase"] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers: [this.registry],
  });
  readonly operationsActive = new Gauge({
    name: "vworkspace_operator_operations_active",
    help: "Open Operations by type, engine and phase (Pending, Running)",
    labelNames: ["type", "engine", "phase"] as const,
    registers: [this.registry],
  });
  readonly operationsBlocked = new Gauge({
    name: "vworkspace_operator_operations_blocked",
    help: "Pending Operations by Blocked reason",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  #readiness: () => Promise<boolean> = async () => false;
  // Set at scrape time, so an alert on it sees what the kubelet's readiness probe sees.
  readonly ready: Gauge = new Gauge({
    name: "vworkspace_operator_ready",
    help: "1 while every readiness check passes (what /readyz answers), else 0",
    registers: [this.registry],
    collect: async () => {
      this.ready.set((await this.#readiness()) ? 1 : 0);
    },
  });
  readonly buildInfo = new Gauge({
    name: "vworkspace_operator_build_info",
    help: "Build identity",
    labelNames: ["version", "commit"] as const,
    registers: [this.registry],
  });

  // controller-runtime names, for dashboards built on the Go implementation.
  readonly crReconcileTotal = new Counter({
    name: "controller_runtime_reconcile_total",
    help: "Reconcile passes (controller-runtime compatible)",
    labelNames: ["controller", "result"] as const,
    registers: [this.registry],
  });
  readonly crReconcileErrors = new Counter({
    name: "controller_runtime_reconcile_errors_total",
    help: "Failed reconcile passes (controller-runtime compatible)",
    labelNames: ["controller"] as const,
    registers: [this.registry],
  });
  readonly crReconcileTime = new Histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Reconcile pass duration (controller-runtime compatible)",
    labelNames: ["controller"] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean; commit?: string } = {}) {
    this.buildInfo.set({ version: pkg.version, commit: options.commit ?? "unknown" }, 1);
    if (options.processMetrics) void this.#collectProcessMetrics();
  }

  async #collectProcessMetrics(): Promise<void> {
    const { default: collectDefaultMetrics } = await import("prom-client/lib/defaultMetrics");
    collectDefaultMetrics({ register: this.registry });
  }

  /** The readiness the `vworkspace_operator_ready` gauge reports. */
  reportReadiness(isReady: () => Promise<boolean>): void {
    this.#readiness = isReady;
  }

  recordReconcile(controller: ControllerName, result: ReconcileResult, seconds: number): void {
    const crResult = result === "requeue" ? "requeue_after" : result;
    this.reconcileTotal.inc({ controller, result });
    this.reconcileDuration.observe({ controller }, seconds);
    this.crReconcileTotal.inc({ controller, result: crResult });
    this.crReconcileTime.observe({ controller }, seconds);
    if (result === "error") this.crReconcileErrors.inc({ controller });
  }
}
