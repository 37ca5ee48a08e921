/** AdmissionReview bodies and an in-memory admission app for unit tests. */
import { createLogger } from "../../../src/observability/logger";
import { OperatorMetrics } from "../../../src/observability/metrics";
import { admissionApp } from "../../../src/webhook/app";
import { applicationInstanceWebhook } from "../../../src/webhook/applicationinstance";
import { operationWebhook } from "../../../src/webhook/operation";
import type { AdmissionFacts } from "../../../src/webhook/rules";
import { applicationInstanceObject } from "../api/fixtures";

export const AI_PATH = applicationInstanceWebhook.path;
export const AI_KIND = { group: "apps.vworkspace.io", version: "v1alpha1", kind: "ApplicationInstance" };

export function review(request: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: { uid: "u-1", kind: AI_KIND, operation: "CREATE", namespace: "team-a", object: applicationInstanceObject(), ...request },
  };
}

export function testApp(facts: Partial<AdmissionFacts> = {}, handlerTimeoutMs = 4_000) {
  const metrics = new OperatorMetrics();
  const app = admissionApp({
    webhooks: [applicationInstanceWebhook, operationWebhook],
    facts: { namespaceGated: async () => true, namespaceLabels: async () => ({}), clusterId: () => "c1", ...facts },
    handlerTimeoutMs,
    metrics,
    logger: createLogger({ level: "silent" }),
  });
  const post = (path: string, body: string | Uint8Array) => app.request(path, { method: "POST", body, headers: { "content-type": "application/json" } });
  return { app, metrics, post, postJson: (path: string, value: unknown) => post(path, JSON.stringify(value)) };
}
