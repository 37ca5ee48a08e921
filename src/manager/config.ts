/**
 * Everything `run` can be told, as one typed object. The CLI builds it from flags and environment;
 * tests build it with `operatorConfig({...})`. Intervals are milliseconds so tests can shrink them.
 */
import type { FlagSpec, ParsedFlags } from "../commandline/flags";
import { DEFAULT_WEBHOOK_CONFIG, WEBHOOK_FLAGS, webhookConfigFromFlags, type WebhookConfig } from "../webhook/config";
import { AGENT_FLAGS, agentConfigFromFlags, DEFAULT_AGENT_CONFIG, type AgentConfig } from "../agent/config";
import { DEFAULT_OPERATIONS_CONFIG, OPERATION_FLAGS, operationsConfigFromFlags, type OperationsConfig } from "../operations/config";

export interface OperatorConfig {
  kubeconfig?: string;
  /** The operator's own namespace: Lease, credentials and webhook Secrets live here. */
  namespace: string;
  /** Namespaces to watch; empty means all. Tests use it to scope an in-process operator. */
  watchNamespaces: string[];
  clusterId: string;
  healthProbeBindAddress: string;
  metricsBindAddress: string;
  leaderElect: boolean;
  leaderElectionId: string;
  leaderElectionNamespace: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  resyncPeriodMs: number;
  workers: number;
  shutdownTimeoutMs: number;
  installCrds: boolean;
  logLevel: string;
  /** Admission server and certificate (docs/operations.md#admission-webhooks). */
  webhook: WebhookConfig;
  /** ApplicationInstance children (docs/applications.md#chart-sources, docs/applications.md#the-helmrelease, docs/applications.md#deletion). */
  helmReleaseIntervalMs: number;
  helmReleaseTimeoutMs: number;
  sourceIntervalMs: number;
  uninstallTimeoutMs: number;
  /** How often an instance blocked on missing Flux APIs looks for them again. */
  dependencyRecheckMs: number;
  /** Pull agent and Cluster controller (docs/connectivity.md#the-cluster-resource, docs/connectivity.md#pull-mode-wire-protocol, docs/connectivity.md#the-pull-agent). */
  agent: AgentConfig;
  /** Operation controller and engines (docs/operations.md#how-an-operation-runs, docs/operations.md#approvals, docs/operations.md#engines). */
  operations: OperationsConfig;
}

/** `--leader-elect` is off by default as in the Go operator; the chart, systemd unit and `npm start` turn it on. */
export const RUN_FLAGS: FlagSpec[] = [
  { name: "kubeconfig", type: "string", help: "Path to a kubeconfig; else $KUBECONFIG, in-cluster, then /etc/rancher/k3s/k3s.yaml" },
  { name: "namespace", type: "string", env: "POD_NAMESPACE", default: "vworkspace-system", help: "The operator's own namespace" },
  { name: "watch-namespaces", type: "list", env: "VWS_WATCH_NAMESPACES", default: "", help: "Comma-separated namespaces to watch (empty: all)" },
  { name: "cluster-id", type: "string", env: "VWORKSPACE_CLUSTER_ID", default: "", help: "Cluster identity when no Cluster object sets one" },
  { name: "health-probe-bind-address", type: "string", env: "VWS_HEALTH_PROBE_BIND_ADDRESS", default: ":8081", help: "Address of /healthz and /readyz" },
  { name: "metrics-bind-address", type: "string", env: "VWS_METRICS_BIND_ADDRESS", default: "0", help: "Address of /metrics; 0 disables it" },
  { name: "leader-elect", type: "bool", env: "VWS_LEADER_ELECT", default: "false", help: "Elect a leader on a coordination.k8s.io Lease" },
  { name: "leader-election-id", type: "string", default: "dad03b25.vworkspace.io", help: "Lease name (shared with the Go operator, so the two never lead at once)" },
  { name: "leader-election-namespace", type: "string", env: "VWS_LEADER_ELECTION_NAMESPACE", default: "", help: "Lease namespace (default: --namespace)" },
  { name: "leader-election-lease-duration", type: "duration", default: "15s", help: "How long a non-renewed Lease stays valid" },
  { name: "leader-election-renew-deadline", type: "duration", default: "10s", help: "How long the leader keeps trying to renew before it steps down" },
  { name: "leader-election-retry-period", type: "duration", default: "2s", help: "Interval between acquire and renew attempts" },
  { name: "resync-period", type: "duration", env: "VWS_RESYNC_PERIOD", default: "10m", help: "Full relist interval of every watch" },
  { name: "workers", type: "int", env: "VWS_WORKERS", default: "16", help: "Concurrent reconciles per controller" },
  { name: "shutdown-timeout", type: "duration", default: "15s", help: "Bound on graceful shutdown after SIGTERM" },
  { name: "install-crds", type: "bool", env: "VWS_INSTALL_CRDS", default: "false", help: "Server-side apply the operator's CRDs at start" },
  { name: "log-level", type: "string", env: "VWS_LOG_LEVEL", default: "info", help: "trace, debug, info, warn or error" },
  { name: "page-out-interval", type: "duration", env: "VWS_PAGE_OUT_INTERVAL", default: "30s", help: "How often to let the kernel reclaim executable pages that start-up or a burst of work read (0 disables)" },
  ...WEBHOOK_FLAGS,
  ...AGENT_FLAGS,
  { name: "helmrelease-interval", type: "duration", default: "5m", help: "spec.interval of every HelmRelease" },
  { name: "helmrelease-timeout", type: "duration", default: "10m", help: "spec.timeout of every HelmRelease" },
  { name: "source-interval", type: "duration", default: "10m", help: "spec.interval of every HelmRepository and OCIRepository" },
  { name: "uninstall-timeout", type: "duration", default: "10m", help: "How long a deleted ApplicationInstance waits for its Helm uninstall" },
  { name: "dependency-recheck-interval", type: "duration", default: "30s", help: "How often instances blocked on missing Flux APIs look for them again" },
  ...OPERATION_FLAGS,
];

const DEFAULTS: OperatorConfig = {
  namespace: "vworkspace-system",
  watchNamespaces: [],
  clusterId: "",
  healthProbeBindAddress: ":8081",
  metricsBindAddress: "0",
  leaderElect: false,
  leaderElectionId: "dad03b25.vworkspace.io",
  leaderElectionNamespace: "vworkspace-system",
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  resyncPeriodMs: 600_000,
  workers: 16,
  shutdownTimeoutMs: 15_000,
  installCrds: false,
  logLevel: "info",
  webhook: DEFAULT_WEBHOOK_CONFIG,
  helmReleaseIntervalMs: 300_000,
  helmReleaseTimeoutMs: 600_000,
  sourceIntervalMs: 600_000,
  uninstallTimeoutMs: 600_000,
  dependencyRecheckMs: 30_000,
  agent: DEFAULT_AGENT_CONFIG,
  operations: DEFAULT_OPERATIONS_CONFIG,
};

export function operatorConfig(overrides: Partial<OperatorConfig> = {}): OperatorConfig {
  const merged = { ...DEFAULTS, ...overrides };
  if (overrides.leaderElectionNamespace === undefined) merged.leaderElectionNamespace = merged.namespace;
  return merged;
}

export function configFromFlags({ values }: ParsedFlags): OperatorConfig {
  const str = (name: string) => values.get(name) as string;
  const num = (name: string) => values.get(name) as number;
  const kubeconfig = values.get("kubeconfig") as string | undefined;
  return operatorConfig({
    ...(kubeconfig ? { kubeconfig } : {}),
    namespace: str("namespace"),
    watchNamespaces: values.get("watch-namespaces") as string[],
    clusterId: str("cluster-id"),
    healthProbeBindAddress: str("health-probe-bind-address"),
    metricsBindAddress: str("metrics-bind-address"),
    leaderElect: values.get("leader-elect") as boolean,
    leaderElectionId: str("leader-election-id"),
    ...(str("leader-election-namespace") ? { leaderElectionNamespace: str("leader-election-namespace") } : {}),
    leaseDurationMs: num("leader-election-lease-duration"),
    renewDeadlineMs: num("leader-election-renew-deadline"),
    retryPeriodMs: num("leader-election-retry-period"),
    resyncPeriodMs: num("resync-period"),
    workers: num("workers"),
    shutdownTimeoutMs: num("shutdown-timeout"),
    installCrds: values.get("install-crds") as boolean,
    logLevel: str("log-level"),
    webhook: webhookConfigFromFlags(values),
    helmReleaseIntervalMs: num("helmrelease-interval"),
    helmReleaseTimeoutMs: num("helmrelease-timeout"),
    sourceIntervalMs: num("source-interval"),
    uninstallTimeoutMs: num("uninstall-timeout"),
    dependencyRecheckMs: num("dependency-recheck-interval"),
    agent: agentConfigFromFlags(values),
    operations: operationsConfigFromFlags(values),
  });
}
