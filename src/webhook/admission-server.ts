/**
 * The admission webhook at run time: serves on every replica from its own informers (Namespaces for the
 * gate, the certificate Secret for TLS), reloads TLS whenever the Secret changes, and, on the leader in
 * self-signed mode, creates/renews the certificate and keeps the configuration's `caBundle` in sync.
 */
import { isGatedNamespace } from "../api/gate";
import type { KubeClient } from "../kube/client";
import { sleep, type Clock } from "../kube/clock";
import { classifyError } from "../kube/errors";
import { Informer } from "../kube/informer";
import type { KubeObject } from "../kube/types";
import { NAMESPACE_TYPE } from "../manager/namespace-gate";
import type { CheckResult } from "../observability/health";
import type { Logger } from "../observability/logger";
import type { OperatorMetrics } from "../observability/metrics";
import { admissionApp } from "./app";
import { applicationInstanceWebhook } from "./applicationinstance";
import { certificateNotAfter, DEFAULT_CERTIFICATE_POLICY, servingNames, type WebhookCertificates } from "./certificates";
import { certificatesFromSecret, ensureCertificateSecret, SECRET_TYPE } from "./cert-secret";
import type { WebhookConfig } from "./config";
import { applyConfiguration, renderConfiguration, type WebhookEndpoint } from "./configuration";
import { operationWebhook } from "./operation";
import { operationAdmissionFacts } from "./operation-facts";
import { DEFAULT_OPERATIONS_CONFIG, type OperationsConfig } from "../operations/config";
import type { AdmissionFacts, KindWebhook } from "./rules";
import { TlsServer } from "./server";

export interface AdmissionServerOptions {
  config: WebhookConfig;
  /** The operator's namespace: the Secret and the Service live here. */
  namespace: string;
  clusterId: () => string;
  client: KubeClient;
  isLeader: () => boolean;
  metrics: OperatorMetrics;
  logger: Logger;
  clock: Clock;
  resyncMs: number;
  webhooks?: readonly KindWebhook[];
  /** Operation rule settings (Velero namespace, approval secret). */
  operations?: OperationsConfig;
}

export class AdmissionServer {
  readonly #options: AdmissionServerOptions;
  readonly #logger: Logger;
  readonly #webhooks: readonly KindWebhook[];
  readonly #namespaces: Informer;
  readonly #secret: Informer;
  readonly #tls: TlsServer;
  readonly #stopped = new AbortController();
  #served: WebhookCertificates | undefined;
  #leaderLoop: Promise<void> | undefined;

  constructor(options: AdmissionServerOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: "webhook" });
    this.#webhooks = options.webhooks ?? [applicationInstanceWebhook, operationWebhook];
    const { client, config, clock, resyncMs } = options;
    this.#namespaces = new Informer({ api: client, type: NAMESPACE_TYPE, logger: this.#logger, watcher: { resyncMs, clock } });
    this.#secret = new Informer({
      api: client,
      type: SECRET_TYPE,
      logger: this.#logger,
      watcher: { namespace: options.namespace, fieldSelector: `metadata.name=${config.certSecret}`, resyncMs, clock },
    });
    const facts: AdmissionFacts = {
      namespaceGated: (name, signal) => this.#namespaceGated(name, signal),
      clusterId: options.clusterId,
      operations: operationAdmissionFacts({
        client,
        namespace: (name, signal) => this.#namespace(name, signal),
        config: options.operations ?? DEFAULT_OPERATIONS_CONFIG,
        now: () => clock.now(),
      }),
    };
    const app = admissionApp({ webhooks: this.#webhooks, facts, handlerTimeoutMs: config.handlerTimeoutMs, metrics: options.metrics, logger: this.#logger });
    this.#tls = new TlsServer({ hostname: config.host || "0.0.0.0", port: config.port, fetch: app.fetch });
  }

  /** https://host:port of the listener once a certificate is served. */
  get url(): string | undefined {
    if (!this.#tls.serving) return undefined;
    const host = this.#options.config.urlHost || this.#options.config.host || "127.0.0.1";
    return `https://${host}:${this.#tls.port}`;
  }

  start(): void {
    const signal = this.#stopped.signal;
    const reload = (secret: KubeObject) => void this.#load(secret).catch((err) => this.#logger.error({ err: (err as Error).message }, "loading the webhook certificate failed"));
    this.#secret.addHandlers({ add: reload, update: (_old, secret) => reload(secret) });
    this.#namespaces.start(signal);
    this.#secret.start(signal);
    if (this.#options.config.certMode === "self-signed") this.#leaderLoop = this.#runLeaderLoop(signal);
  }

  ready(): CheckResult {
    if (!this.#served) return { ok: false, message: "serving certificate not loaded" };
    if (!this.#namespaces.hasSynced()) return { ok: false, message: "namespace cache not synced" };
    return { ok: true, message: "serving" };
  }

  async stop(): Promise<void> {
    this.#stopped.abort();
    await Promise.all([this.#namespaces.stop(), this.#secret.stop(), this.#leaderLoop]);
    await this.#tls.stop();
  }

  async #namespaceGated(name: string, signal: AbortSignal): Promise<boolean> {
    return isGatedNamespace((await this.#namespace(name, signal))?.metadata.labels);
  }

  async #namespace(name: string, signal: AbortSignal): Promise<KubeObject | undefined> {
    const cached = this.#namespaces.store.get(name);
    if (cached) return cached;
    // A namespace created a moment ago may not have reached the cache yet: one GET (§8.1).
    try {
      return await this.#options.client.get(NAMESPACE_TYPE, name, { signal });
    } catch (err) {
      if (classifyError(err) === "notFound") return undefined;
      throw new Error(`read namespace ${name}: ${(err as Error).message}`, { cause: err });
    }
  }

  async #load(secret: KubeObject): Promise<void> {
    const certs = certificatesFromSecret(secret);
    if (!certs) {
      this.#logger.warn({ secret: secret.metadata.name }, "webhook certificate Secret is incomplete; still waiting");
      return;
    }
    if (this.#served?.certPem === certs.certPem && this.#served.caPem === certs.caPem) return;
    this.#tls.serve(certs);
    this.#served = certs;
    const notAfter = certificateNotAfter(certs.certPem);
    this.#options.metrics.webhookCertificateExpiry.set(notAfter.getTime() / 1000);
    this.#logger.info({ port: this.#tls.port, notAfter: notAfter.toISOString() }, "serving webhook certificate");
    if (this.#options.config.certMode === "self-signed" && this.#options.isLeader()) await this.#syncConfiguration(this.#stopped.signal);
  }

  async #runLeaderLoop(signal: AbortSignal): Promise<void> {
    const { config, clock } = this.#options;
    while (!signal.aborted) {
      if (this.#options.isLeader()) {
        try {
          await this.#ensureCertificate(signal);
          if (this.#served) await this.#syncConfiguration(signal);
        } catch (err) {
          if (!signal.aborted) this.#logger.error({ err: (err as Error).message }, "webhook certificate check failed");
        }
      }
      // Until a certificate is served, retry quickly; afterwards the configured interval (§8.2: hourly).
      await sleep(clock, this.#served ? config.certCheckIntervalMs : 1_000, signal);
    }
  }

  async #ensureCertificate(signal: AbortSignal): Promise<void> {
    const { config, namespace, client, clock } = this.#options;
    const outcome = await ensureCertificateSecret({
      client,
      namespace,
      name: config.certSecret,
      names: this.#names(),
      policy: { ...DEFAULT_CERTIFICATE_POLICY, servingValidityMs: config.servingCertValidityMs, servingRenewBeforeMs: config.servingCertRenewBeforeMs },
      now: new Date(clock.now()),
      signal,
    });
    if (outcome !== "unchanged") this.#logger.info({ secret: config.certSecret, outcome }, "webhook certificate Secret written");
  }

  async #syncConfiguration(signal: AbortSignal): Promise<void> {
    const { config, namespace, client } = this.#options;
    if (!this.#served) return;
    const configuration = renderConfiguration({
      name: config.configName,
      webhooks: this.#webhooks,
      endpoint: this.#endpoint(),
      caPem: this.#served.caPem,
      ...(config.namespaceSelector ? { namespaceSelector: config.namespaceSelector } : {}),
    });
    await applyConfiguration(client, configuration, signal);
    this.#logger.debug({ configuration: config.configName, namespace }, "webhook configuration applied");
  }

  #endpoint(): WebhookEndpoint {
    const { config, namespace } = this.#options;
    if (config.urlHost) return { url: `https://${config.urlHost}:${this.#tls.port}` };
    return { service: { name: config.serviceName, namespace, port: 443 } };
  }

  #names() {
    const { config, namespace } = this.#options;
    return servingNames(config.serviceName, namespace, [...config.extraSans, ...(config.urlHost ? [config.urlHost] : [])]);
  }
}
