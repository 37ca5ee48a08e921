/**
 * The ValidatingWebhookConfiguration of docs/operations.md#admission-webhooks: rendered (pure) and server-side applied by the
 * operator in local/binary mode, where it also owns `caBundle`. The chart renders the same object in-cluster.
 */
import { applyObject } from "../kube/apply";
import type { KubeClient } from "../kube/client";
import type { KubeObject, ResourceType } from "../kube/types";
import type { KindWebhook } from "./rules";

export const VALIDATING_WEBHOOK_CONFIGURATION: ResourceType = {
  group: "admissionregistration.k8s.io",
  version: "v1",
  kind: "ValidatingWebhookConfiguration",
  plural: "validatingwebhookconfigurations",
  namespaced: false,
};

const FIELD_MANAGER = "vworkspace-operator";

/** Where the API server reaches the webhook: a URL base for local runs, else the Service. */
export type WebhookEndpoint =
  | { url: string }
  | { service: { name: string; namespace: string; port: number } };

export interface ConfigurationOptions {
  name: string;
  webhooks: readonly KindWebhook[];
  endpoint: WebhookEndpoint;
  caPem: string;
  /** Test scope only (docs/development.md#admission-webhooks-through-the-real-api-server): the spec's configuration has no namespace selector. */
  namespaceSelector?: Record<string, string>;
  labels?: Record<string, string>;
}

export function renderConfiguration(options: ConfigurationOptions): KubeObject {
  const caBundle = Buffer.from(options.caPem).toString("base64");
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: options.name, labels: { "app.kubernetes.io/managed-by": "vworkspace-operator", ...options.labels } },
    webhooks: options.webhooks.map((webhook) => ({
      name: webhook.name,
      clientConfig: { ...clientConfig(options.endpoint, webhook.path), caBundle },
      rules: [
        {
          apiGroups: [webhook.type.group],
          apiVersions: [webhook.type.version],
          resources: [webhook.type.plural],
          operations: ["CREATE", "UPDATE"],
          scope: "Namespaced",
        },
      ],
      ...(webhook.matchConditions ? { matchConditions: webhook.matchConditions.map((condition) => ({ ...condition })) } : {}),
      failurePolicy: "Fail",
      sideEffects: "None",
      timeoutSeconds: 5,
      admissionReviewVersions: ["v1"],
      matchPolicy: "Equivalent",
      ...(options.namespaceSelector ? { namespaceSelector: { matchLabels: options.namespaceSelector } } : {}),
    })),
  };
}

export async function applyConfiguration(client: KubeClient, configuration: KubeObject, signal?: AbortSignal): Promise<void> {
  try {
    await applyObject(client, VALIDATING_WEBHOOK_CONFIGURATION, configuration, { fieldManager: FIELD_MANAGER, force: true, signal });
  } catch (err) {
    throw new Error(`apply ValidatingWebhookConfiguration ${configuration.metadata.name}: ${(err as Error).message}`, { cause: err });
  }
}

function clientConfig(endpoint: WebhookEndpoint, path: string): Record<string, unknown> {
  if ("url" in endpoint) return { url: `${endpoint.url.replace(/\/$/, "")}${path}` };
  return { service: { ...endpoint.service, path } };
}
