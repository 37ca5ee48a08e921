/**
 * The library entry: `createOperator(config)` wires the kube client, health and metrics endpoints,
 * leader election and the controllers. No module-level state, so tests run several in one process.
 */
import { hostname } from "node:os";
import type { ApiCallObserver } from "../kube/api-calls";
import { KubeClient } from "../kube/client";
import { systemClock, type Clock } from "../kube/clock";
import { connectionFrom, resolveKubeConfig, type KubeConnection } from "../kube/config";
import { Discovery } from "../kube/discovery";
import { EventRecorder } from "../kube/events";
import { LeaderElector } from "../kube/leader";
import { StatusWriter } from "../kube/status";
import { HealthChecks, metricsApp } from "../observability/health";
import { listen, parseBindAddress, type Listener } from "../observability/listen";
import { createLogger, type Logger } from "../observability/logger";
import { OperatorMetrics } from "../observability/metrics";
import type { OperatorConfig } from "./config";
import { installCrds, ownCrdsServed } from "./crds";
import { checkApiServer } from "./apiserver";
import { NamespaceGate } from "./namespace-gate";
import { ClusterIdentity } from "./cluster-identity";
import { CLUSTER } from "../api/groups";
import { Informer } from "../kube/informer";
import { InformerFactory, SharedView } from "./informers";
import type { AdmissionServer } from "../webhook/admission-server";

/** Everything a controller factory may use; built once per leadership term. */
export interface ManagerContext {
  config: OperatorConfig;
  client: KubeClient;
  informers: InformerFactory;
  gate: NamespaceGate;
  /** The honoured Cluster's id; its informer is synced before any controller runs. */
  clusterIdentity: ClusterIdentity;
  /** Status writes through here are skipped when nothing changed and counted per kind. */
  status: StatusWriter;
  events: EventRecorder;
  metrics: OperatorMetrics;
  logger: Logger;
  clock: Clock;
}

/** What the manager needs of a controller: a name to log and a loop to run for the leadership term. */
export interface RunnableController {
  readonly name: string;
  run(signal: AbortSignal, shutdownTimeoutMs: number): Promise<void>;
}

export type ControllerFactory = (context: ManagerContext) => RunnableController;

export interface OperatorDeps {
  logger?: Logger;
  clock?: Clock;
  /** Skip kubeconfig resolution (tests hand in a connection to the local cluster). */
  connection?: KubeConnection;
  env?: Record<string, string | undefined>;
  controllers?: ControllerFactory[];
  /** Lease holder identity; defaults to `<hostname>_<random>` as in client-go. */
  identity?: string;
  /** Sees every API call the operator makes (tests record which Secrets it touched). */
  apiObserver?: ApiCallObserver;
}

export interface Operator {
  readonly client: KubeClient;
  readonly metrics: OperatorMetrics;
  readonly identity: string;
  /** Base URLs of the bound listeners, once started. */
  readonly healthUrl: string | undefined;
  readonly metricsUrl: string | undefined;
  /** https://host:port of the admission server once it serves a certificate. */
  readonly webhookUrl: string | undefined;
  isLeader(): boolean;
  start(): Promise<void>;
  /** Resolves when every loop has ended; bounded by `config.shutdownTimeoutMs`. */
  stop(): Promise<void>;
}

export function createOperator(config: OperatorConfig, deps: OperatorDeps = {}): Operator {
  const logger = deps.logger ?? createLogger({ level: config.logLevel });
  const clock = deps.clock ?? systemClock();
  const connection = deps.connection ?? resolvedConnection(config, deps.env, logger);
  const metrics = new OperatorMetrics({ processMetrics: deps.logger === undefined });
  const client = new KubeClient({ connection, userAgent: "vworkspace-operator", ...(deps.apiObserver ? { observer: deps.apiObserver } : {}) });
  const identity = deps.identity ?? `${hostname()}_${crypto.randomUUID()}`;
  const health = new HealthChecks();
  metrics.reportReadiness(() => health.isReady());
  // Serves every replica (the webhook checks identity too), so it lives outside leadership terms.
  const clusters = new Informer({ api: client, type: CLUSTER, logger, watcher: { resyncMs: config.resyncPeriodMs, clock } });
  const clusterView = new SharedView(CLUSTER, [clusters]);
  const clusterIdentity = new ClusterIdentity(clusterView, config.clusterId);
  // Every replica serves admission; only the leader writes the certificate and the configuration. Its
  // module (x509, TLS serving) is loaded at start, and only when the webhook is on.
  let webhook: AdmissionServer | undefined;
  const startWebhook = async (): Promise<void> => {
    const { AdmissionServer } = await import("../webhook/admission-server");
    webhook = new AdmissionServer({
      config: config.webhook,
      namespace: config.namespace,
      clusterId: () => clusterIdentity.clusterId(),
      client,
      isLeader: () => !config.leaderElect || (elector?.isLeader() ?? false),
      metrics,
      logger,
      clock,
      resyncMs: config.resyncPeriodMs,
      operations: config.operations,
    });
    webhook.start();
  };
  if (config.webhook.enabled) health.ready.set("webhook", () => webhook?.ready() ?? { ok: false, message: "admission server not started" });
  const discovery = new Discovery(client, { ttlMs: 2_000, clock });
  const status = new StatusWriter({ client, onWrite: (type) => metrics.statusWrites.inc({ kind: type.kind }) });
  const stopped = new AbortController();
  const listeners: Listener[] = [];
  let elector: LeaderElector | undefined;
  let term: Promise<void> | undefined;

  const runTerm = (signal: AbortSignal): Promise<void> => {
    const informers = new InformerFactory({ client, namespaces: config.watchNamespaces, resyncMs: config.resyncPeriodMs, clock, logger, metrics });
    const events = new EventRecorder({ client, reportingInstance: identity, clock, logger });
    const gate = new NamespaceGate(informers, metrics);
    const context: ManagerContext = { config, client, informers, gate, clusterIdentity, status, events, metrics, logger, clock };
    const controllers = (deps.controllers ?? []).map((factory) => factory(context));
    informers.start(signal);
    logger.info({ controllers: controllers.map((controller) => controller.name) }, "starting controllers");
    // The term lasts until its signal aborts, whether or not any controller runs (the gate still watches).
    const ended = signal.aborted ? Promise.resolve() : new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    return Promise.all([ended, ...controllers.map((controller) => controller.run(signal, config.shutdownTimeoutMs))])
      .then(() => Promise.all([informers.stop(), events.stop()]))
      .then(() => undefined);
  };

  health.ready.set("apiserver", () => checkApiServer(client));
  health.ready.set("crds", () => ownCrdsServed(discovery));
  health.ready.set("cluster-identity", () => (clusters.hasSynced() ? { ok: true, message: clusterIdentity.clusterId() ? "cluster id set" : "no cluster id" } : { ok: false, message: "Cluster cache not synced" }));
  if (config.leaderElect) {
    health.ready.set("leader-election", () => {
      if (!elector) return { ok: false, message: "not started" };
      if (elector.isLeader()) return { ok: true, message: "leading" };
      return { ok: true, message: `standby (holder: ${elector.holder() ?? "none"})` };
    });
  }

  const operator: Operator = {
    client,
    metrics,
    identity,
    get healthUrl() {
      return listeners[0]?.url;
    },
    get webhookUrl() {
      return webhook?.url;
    },
    get metricsUrl() {
      return listeners[1]?.url;
    },
    isLeader: () => (config.leaderElect ? (elector?.isLeader() ?? false) : term !== undefined),

    async start() {
      const reachable = await checkApiServer(client);
      if (!reachable.ok) throw new Error(`API server ${client.server} is unreachable: ${reachable.message}`);
      if (config.installCrds) {
        await installCrds(client, stopped.signal);
        logger.info("installed CRDs");
      }
      startListeners(config, health, metrics, listeners, logger);
      clusters.start(stopped.signal);
      if (config.webhook.enabled) await startWebhook();
      if (!config.leaderElect) {
        term = runTerm(stopped.signal);
        return;
      }
      let leading: AbortController | undefined;
      elector = new LeaderElector({
        client,
        namespace: config.leaderElectionNamespace,
        name: config.leaderElectionId,
        identity,
        leaseDurationMs: config.leaseDurationMs,
        renewDeadlineMs: config.renewDeadlineMs,
        retryPeriodMs: config.retryPeriodMs,
        clock,
        logger,
        onStartedLeading: (signal) => {
          leading = new AbortController();
          term = runTerm(AbortSignal.any([signal, leading.signal, stopped.signal]));
        },
        onStoppedLeading: () => leading?.abort(),
      });
      elector.start();
    },

    async stop() {
      const bound = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref());
      const graceful = (async () => {
        stopped.abort();
        await term;
        await elector?.stop({ release: true });
        // A terminating Pod stays behind its Service until its endpoint is removed: refusing then would
        // refuse writes (failurePolicy Fail), so admission goes on for the drain delay.
        if (webhook && config.webhook.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.webhook.drainDelayMs));
        await webhook?.stop();
        await clusters.stop();
        await Promise.all(listeners.map((listener) => listener.stop()));
      })();
      await Promise.race([graceful, bound]);
    },
  };
  return operator;
}

function resolvedConnection(config: OperatorConfig, env: Record<string, string | undefined> | undefined, logger: Logger): KubeConnection {
  const resolved = resolveKubeConfig({ ...(config.kubeconfig ? { kubeconfigPath: config.kubeconfig } : {}), ...(env ? { env } : {}) });
  logger.info({ source: resolved.source, paths: resolved.paths, server: resolved.server }, "loaded kubeconfig");
  return connectionFrom(resolved);
}

function startListeners(config: OperatorConfig, health: HealthChecks, metrics: OperatorMetrics, listeners: Listener[], logger: Logger): void {
  const healthAddress = parseBindAddress(config.healthProbeBindAddress);
  const metricsAddress = parseBindAddress(config.metricsBindAddress);
  if (healthAddress) {
    const app = health.app();
    listeners[0] = listen(healthAddress, app.fetch, "health", logger);
    logger.info({ healthAddress: listeners[0].url }, "serving health probes");
  }
  if (metricsAddress) {
    listeners[1] = listen(metricsAddress, metricsApp(metrics).fetch, "metrics", logger);
    logger.info({ metricsAddress: listeners[1].url }, "serving metrics");
  }
}
