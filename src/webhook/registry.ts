/** The webhooks the operator serves and registers (docs/operations.md#admission-webhooks); the chart renders the same list. */
import { applicationInstanceWebhook } from "./applicationinstance";
import { fluxWebhooks } from "./flux";
import { operationWebhook } from "./operation";
import type { KindWebhook } from "./rules";

/** Every webhook, for the control plane whose ServiceAccount lives in `operatorNamespace`. */
export function operatorWebhooks(operatorNamespace: string): KindWebhook[] {
  return [applicationInstanceWebhook, operationWebhook, ...fluxWebhooks(operatorNamespace)];
}
