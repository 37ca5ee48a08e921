/**
 * The admission webhook at run time: serves on every replica from its own informers (Namespaces for the
 * gate, the certificate Secret for TLS) or, in files mode, from certificate files it re-reads; reloads TLS
 * whenever the certificate changes; on the leader in self-signed mode creates/renews the certificate; and
 * the leader keeps the configuration's `caBundle` in sync wherever `writesCaBundle` says it owns it.
 */
import { isGatedNamespace } from "../api/gate";
import type { KubeClient } from "../kube/client";
import { sleep, type Clock } from "../kube/clock";
import { classifyError } from "../kube/errors";
import { Informer } from "../kube/informer";
import type { KubeObject } from "../kube/types";
import { NAMESPACE_TYPE } from "../api/gate";
import type { CheckResult } from "../observability/health";
import type { Logger } from "../observability/logger";
import type { OperatorMetrics } from "../observability/metrics";
import { admissionApp } from "./app";
import { certificateNotAfter, DEFAULT_CERTIFICATE_POLICY, servingNames } from "./certificates";
import { watchCertificateFiles } from "./cert-file-watch";
import { certificateFilePaths } from "./cert-files";
import { certificatesFromSecret, ensureCertificateSecret, SECRET_TYPE } from "./cert-secret";
import { writesCaBundle, type WebhookConfig } from "./config";
import { applyConfiguration, renderConfiguration, type WebhookEndpoint } from "./configuration";
import { operatorWebhooks } from "./registry";
import { operationAdmissionFacts } from "./operation-facts";
import { DEFAULT_OPERATIONS_CONFIG, type OperationsConfig } from "../operations/config";
import { whenKnown, type AdmissionFacts, type KindWebhook } from "./rules";
import { TlsServer, type ServedCertificates } from "./server";

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
  /** Absent in files mode, which reads no Secret. */
  readonly #secret: Informer | undefined;
  readonly #tls: TlsServer;
  readonly #stopped = new AbortController();
  #served: ServedCertificates | undefined;
  /** Files mode: why the last read of the files failed, until one succeeds. */
  #filesProblem: string | undefined;
  #leaderLoop: Promise<void> | undefined;
  #filesLoop: Promise<void> | undefined;

  constructor(options: AdmissionServerOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: "webhook" });
    this.#webhooks = options.webhooks ?? operatorWebhooks(options.namespace);
    const { client, config, clock, resyncMs } = options;
    // Labels and annotations are all admission reads of a namespace.
    this.#namespaces = new Informer({ api: client, type: NAMESPACE_TYPE, logger: this.#logger, watcher: { resyncMs, clock, metadataOnly: true } });
    this.#secret =
      config.certMode === "files"
        ? undefined
        : new Informer({
            api: client,
            type: SECRET_TYPE,
            logger: this.#logger,
            watcher: { namespace: options.namespace, fieldSelector: `metadata.name=${config.certSecret}`, resyncMs, clock },
          });
    const facts: AdmissionFacts = {
      namespaceGated: (name, signal) => this.#namespaceGated(name, signal),
      namespaceLabels: async (name, signal) => (await this.#namespace(name, signal))?.metadata.labels,
      clusterId: options.clusterId,
      operations: operationAdmissionFacts({
        client,
        namespace: async (name, signal) => this.#namespace(name, signal),
        config: options.operations ?? DEFAULT_OPERATIONS_CONFIG,
        now: () => clock.now(),
      }),
    };
    const app = admissionApp({ webhooks: this.#webhooks, facts, handlerTimeoutMs: config.handlerTimeoutMs, metrics: options.metrics, logger: this.#logger });
    this.#tls = new TlsServer({ hostname: config.host || "0.0.0.0", port: config.port, fetch: app.fetch, logger: this.#logger });
  }

  /** https://host:port of the listener once a certificate is served. */
  get url(): string | undefined {
    if (!this.#tls.serving) return undefined;
    const host = this.#options.config.urlHost || this.#options.config.host || "127.0.0.1";
    return `https://${host}:${this.#tls.port}`;
  }

  start(): void {
    const signal = this.#stopped.signal;
    const { certMode } = this.#options.config;
    this.#namespaces.start(signal);
    if (this.#secret) {
      const reload = (secret: KubeObject) => void this.#loadSecret(secret).catch((err) => this.#logLoadFailure(err));
      this.#secret.addHandlers({ add: reload, update: (_old, secret) => reload(secret) });
      this.#secret.start(signal);
    } else {
      this.#filesLoop = this.#watchFiles(signal);
    }
    if (certMode === "self-signed" || certMode === "files") this.#leaderLoop = this.#runLeaderLoop(signal);
  }

  ready(): CheckResult {
    if (!this.#served) return { ok: false, message: this.#filesProblem ?? "serving certificate not loaded" };
    if (!this.#namespaces.hasSynced()) return { ok: false, message: "namespace cache not synced" };
    // Still ready: failing every replica would empty the Service and, with failurePolicy Fail, refuse all
    // writes while a valid certificate is being served. The expiry metric tells how long that lasts.
    if (this.#filesProblem) return { ok: true, message: `serving the last good certificate; ${this.#filesProblem}` };
    return { ok: true, message: "serving" };
  }

  async stop(): Promise<void> {
    this.#stopped.abort();
    await Promise.all([this.#namespaces.stop(), this.#secret?.stop(), this.#leaderLoop, this.#filesLoop]);
    await this.#tls.stop();
  }

  #namespaceGated(name: string, signal: AbortSignal): boolean | Promise<boolean> {
    return whenKnown(this.#namespace(name, signal), (namespace) => isGatedNamespace(namespace?.metadata.labels));
  }

  /** The cached namespace at once; only a cache miss waits on a read. */
  #namespace(name: string, signal: AbortSignal): KubeObject | Promise<KubeObject | undefined> {
    return this.#namespaces.store.get(name) ?? this.#readNamespace(name, signal);
  }

  /** A namespace created a moment ago may not have reached the cache yet: one GET (docs/operations.md#admission-webhooks). */
  async #readNamespace(name: string, signal: AbortSignal): Promise<KubeObject | undefined> {
    try {
      return await this.#options.client.get(NAMESPACE_TYPE, name, { signal });
    } catch (err) {
      if (classifyError(err) === "notFound") return undefined;
      throw new Error(`read namespace ${name}: ${(err as Error).message}`, { cause: err });
    }
  }

  async #loadSecret(secret: KubeObject): Promise<void> {
    const certs = certificatesFromSecret(secret);
    if (!certs) {
      this.#logger.warn({ secret: secret.metadata.name }, "webhook certificate Secret is incomplete; still waiting");
      return;
    }
    await this.#load(certs);
  }

  #watchFiles(signal: AbortSignal): Promise<void> {
    const { config, clock } = this.#options;
    const paths = certificateFilePaths(config.certDir, config.caFile);
    return watchCertificateFiles({
      paths,
      intervalMs: config.certWatchIntervalMs,
      clock,
      signal,
      onCertificates: async (certs) => {
        if (this.#filesProblem) this.#logger.info({ certDir: config.certDir }, "webhook certificate files are usable again");
        this.#filesProblem = undefined;
        await this.#load(certs).catch((err) => this.#logLoadFailure(err));
      },
      onError: (err) => {
        if (err.message === this.#filesProblem) return;
        this.#filesProblem = err.message;
        if (this.#served) this.#logger.warn({ err: err.message }, "webhook certificate files unusable; keeping the last good certificate");
        else this.#logger.error({ err: err.message }, "webhook certificate files unusable; not serving yet");
      },
    });
  }

  #logLoadFailure(err: unknown): void {
    this.#logger.error({ err: (err as Error).message }, "loading the webhook certificate failed");
  }

  async #load(certs: ServedCertificates): Promise<void> {
    if (this.#served?.certPem === certs.certPem && this.#served.caPem === certs.caPem) return;
    this.#tls.serve(certs);
    this.#served = certs;
    const notAfter = certificateNotAfter(certs.certPem);
    this.#options.metrics.webhookCertificateExpiry.set(notAfter.getTime() / 1000);
    this.#logger.info({ port: this.#tls.port, notAfter: notAfter.toISOString() }, "serving webhook certificate");
    if (writesCaBundle(this.#options.config.certMode, certs.caPem) && this.#options.isLeader()) await this.#syncConfiguration(this.#stopped.signal);
  }

  async #runLeaderLoop(signal: AbortSignal): Promise<void> {
    const { config, clock } = this.#options;
    while (!signal.aborted) {
      if (this.#options.isLeader()) {
        try {
          if (config.certMode === "self-signed") await this.#ensureCertificate(signal);
          if (this.#served && writesCaBundle(config.certMode, this.#served.caPem)) await this.#syncConfiguration(signal);
        } catch (err) {
          if (!signal.aborted) this.#logger.error({ err: (err as Error).message }, "webhook certificate check failed");
        }
      }
      // Until a certificate is served, retry quickly; afterwards the configured interval (docs/operations.md#serving-certificate: hourly).
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
    if (!this.#served?.caPem) return;
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
