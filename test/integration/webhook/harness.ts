/**
 * Runs the operator's admission webhook in-process against the shared cluster, scoped as docs/development.md#admission-webhooks-through-the-real-api-server
 * asks: configuration `vws-test-<runId>-<slug>` selecting only namespaces labelled `vworkspace.io/test=<slug>`,
 * served on 127.0.0.1:0 and registered by URL with the operator's own CA.
 */
import * as tls from "node:tls";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import type { KubeClient } from "../../../src/kube/client";
import { KubeApiError, classifyError } from "../../../src/kube/errors";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import type { OperatorConfig } from "../../../src/manager/config";
import { DEFAULT_WEBHOOK_CONFIG, type WebhookConfig } from "../../../src/webhook/config";
import { VALIDATING_WEBHOOK_CONFIGURATION } from "../../../src/webhook/configuration";
import type { TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { deleteNamespace, randomSuffix, TEST_LABEL, TEST_RUN_LABEL } from "../../support/namespace";
import { startOperatorInProcess, type InProcessOperator } from "../../support/operator";

export const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
export const AI_WEBHOOK = "vapplicationinstance.kb.io";

export type ScopedConfig = Partial<OperatorConfig> & { webhook: WebhookConfig };

export interface WebhookHarness {
  /** The running operator; replaced by `startOperator`. */
  readonly operator: InProcessOperator;
  /** The operator's own namespace (certificate Secret). */
  systemNamespace: string;
  configName: string;
  /** The operator configuration in use (port 0 replaced by the bound port after the first start). */
  readonly config: ScopedConfig;
  /** Stops the operator only: the configuration stays registered (a dead webhook). */
  stopOperator(): Promise<void>;
  /** Starts a fresh operator on the port the first one bound. */
  startOperator(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A fresh name for the operator's own namespace: one from an earlier test may still be Terminating, and
 * a busy namespace controller can take longer than a test to remove it.
 */
export function newSystemNamespace(cluster: TestCluster, slug: string): string {
  return `vws-test-${cluster.runId}-${slug}`.slice(0, 52).replace(/-+$/, "") + `-sys-${randomSuffix()}`;
}

export async function startWebhook(
  cluster: TestCluster,
  slug: string,
  webhook: Partial<WebhookConfig> = {},
  operatorOverrides: Partial<OperatorConfig> = {},
  systemNamespace = newSystemNamespace(cluster, slug),
): Promise<WebhookHarness> {
  await cluster.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: systemNamespace, labels: { [TEST_RUN_LABEL]: cluster.runId } } });
  const configName = `vws-test-${cluster.runId}-${slug}`;
  const config = (port: number): ScopedConfig => ({
    namespace: systemNamespace,
    clusterId: "c1",
    ...operatorOverrides,
    webhook: { ...DEFAULT_WEBHOOK_CONFIG, host: "127.0.0.1", port, urlHost: "127.0.0.1", configName, namespaceSelector: { [TEST_LABEL]: slug }, ...webhook },
  });
  let port = 0;
  const launch = async (): Promise<InProcessOperator> => {
    const launched = await startReadyOperator(cluster, config(port));
    port = Number(new URL(launched.operator.webhookUrl as string).port);
    return launched;
  };
  let operator: InProcessOperator | undefined = await launch();
  return {
    get operator(): InProcessOperator {
      if (!operator) throw new Error("the webhook's operator is stopped");
      return operator;
    },
    systemNamespace,
    configName,
    get config() {
      return config(port);
    },
    async stopOperator() {
      await operator?.stop();
      operator = undefined;
    },
    async startOperator() {
      operator = await launch();
    },
    async stop() {
      await cluster.client.delete(VALIDATING_WEBHOOK_CONFIGURATION, configName).catch((err) => {
        if (classifyError(err) !== "notFound") throw err;
      });
      await operator?.stop();
      await deleteNamespace(cluster.client, systemNamespace);
    },
  };
}

/** Starts an operator and waits for /readyz, which needs a served certificate and synced caches. */
export async function startReadyOperator(cluster: TestCluster, config: Partial<OperatorConfig>): Promise<InProcessOperator> {
  const launched = await startOperatorInProcess({ kubeconfigPath: cluster.kubeconfigPath, config });
  await eventually(async () => (await fetch(`${launched.operator.healthUrl}/readyz`)).status === 200, { what: "operator ready (certificate served)" });
  return launched;
}

export function instance(namespace: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name: "shop", namespace, labels },
    spec: {
      appRef: { catalogId: "odoo" },
      chart: { sourceType: "helm", url: "https://charts.example.com", name: "odoo", version: "1.2.3" },
      release: { name: "shop", namespace },
      values: { source: "inline", inline: { replicas: 2 } },
      ...spec,
    },
  };
}

/** The refusal of a write, or undefined when it was admitted. */
export async function refusal(write: Promise<unknown>): Promise<KubeApiError | undefined> {
  try {
    await write;
    return undefined;
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
}

export function denied(message: string, webhook = AI_WEBHOOK): string {
  return `admission webhook "${webhook}" denied the request: ${message}`;
}

/** Configurations apply asynchronously (docs/development.md#admission-webhooks-through-the-real-api-server): wait until a known-bad write meets our denial. */
export async function webhookActive(client: KubeClient, namespace: string): Promise<void> {
  const probe = instance(namespace, {}, { "app.vworkspace.io/cluster-id": "not-this-cluster" });
  await eventually(
    async () => {
      const err = await refusal(client.create(APPLICATION_INSTANCE, probe, { dryRun: true }));
      return err?.serverMessage.includes(`admission webhook "${AI_WEBHOOK}" denied the request`) ?? false;
    },
    { what: `webhook active for namespace ${namespace}` },
  );
}

/** SHA-256 fingerprint of the certificate the webhook presents to a new connection. */
export function servedFingerprint(url: string, caPem: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), ca: caPem }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on("error", reject);
  });
}
