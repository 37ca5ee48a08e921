/** Flags and defaults of the admission server and its certificate (operations.md §8.1, §8.2). */
import { FlagError, type FlagSpec, type ParsedFlags } from "../cli/flags";

export type WebhookCertMode = "self-signed" | "cert-manager" | "external";

export interface WebhookConfig {
  enabled: boolean;
  /** Bind host; "" means all interfaces. */
  host: string;
  port: number;
  handlerTimeoutMs: number;
  certMode: WebhookCertMode;
  certSecret: string;
  configName: string;
  serviceName: string;
  /** Local runs: the API server calls `https://<urlHost>:<bound port><path>` instead of the Service. */
  urlHost: string;
  /** Extra serving-certificate SANs (DNS names or IPs); `urlHost` is always added. */
  extraSans: string[];
  /** Leader's certificate check interval (§8.2: hourly). */
  certCheckIntervalMs: number;
  servingCertValidityMs: number;
  servingCertRenewBeforeMs: number;
  /**
   * matchLabels of the configuration's namespaceSelector: none by default (operations.md §8.1); tests,
   * benchmarks and staged roll-outs scope admission to labelled namespaces with it (testing.md §6.4).
   */
  namespaceSelector?: Record<string, string>;
}

export const WEBHOOK_FLAGS: FlagSpec[] = [
  { name: "webhooks-enabled", type: "bool", env: "VWS_WEBHOOKS_ENABLED", default: "true", help: "Serve the admission webhooks" },
  { name: "webhook-host", type: "string", env: "VWS_WEBHOOK_HOST", default: "", help: "Admission server bind host (empty: all interfaces)" },
  { name: "webhook-port", type: "int", env: "VWS_WEBHOOK_PORT", default: "9443", help: "Admission server port" },
  { name: "webhook-handler-timeout", type: "duration", default: "4s", help: "Bound on one admission request; expiry denies with InternalError" },
  { name: "webhook-cert-mode", type: "string", env: "VWS_WEBHOOK_CERT_MODE", default: "self-signed", help: "self-signed, cert-manager or external" },
  { name: "webhook-cert-secret", type: "string", default: "vworkspace-operator-webhook-tls", help: "Secret holding ca.crt, tls.crt and tls.key" },
  { name: "webhook-config-name", type: "string", default: "vworkspace-operator-validating-webhook", help: "ValidatingWebhookConfiguration name" },
  { name: "webhook-service-name", type: "string", default: "vworkspace-operator-webhook", help: "Service in front of the admission server" },
  { name: "webhook-url-host", type: "string", env: "VWS_WEBHOOK_URL_HOST", default: "", help: "Local runs: register https://<host>:<port>/<path> instead of the Service" },
  { name: "webhook-extra-sans", type: "list", env: "VWS_WEBHOOK_EXTRA_SANS", default: "", help: "Extra serving-certificate SANs" },
  { name: "webhook-cert-check-interval", type: "duration", default: "1h", help: "How often the leader checks certificate expiry" },
  { name: "webhook-cert-validity", type: "duration", default: "8760h", help: "Serving certificate lifetime" },
  { name: "webhook-cert-renew-before", type: "duration", default: "720h", help: "Renew the serving certificate when less than this remains" },
  { name: "webhook-namespace-selector", type: "list", default: "", help: "Admit only in namespaces with these labels (key=value,…; empty: all namespaces)" },
];

const DAY_MS = 86_400_000;

export const DEFAULT_WEBHOOK_CONFIG: WebhookConfig = {
  enabled: true,
  host: "",
  port: 9443,
  handlerTimeoutMs: 4_000,
  certMode: "self-signed",
  certSecret: "vworkspace-operator-webhook-tls",
  configName: "vworkspace-operator-validating-webhook",
  serviceName: "vworkspace-operator-webhook",
  urlHost: "",
  extraSans: [],
  certCheckIntervalMs: 3_600_000,
  servingCertValidityMs: 365 * DAY_MS,
  servingCertRenewBeforeMs: 30 * DAY_MS,
};

const CERT_MODES: readonly string[] = ["self-signed", "cert-manager", "external"];

export function webhookConfigFromFlags(values: ParsedFlags["values"]): WebhookConfig {
  const certMode = values.get("webhook-cert-mode") as string;
  if (!CERT_MODES.includes(certMode)) throw new FlagError(`--webhook-cert-mode must be one of ${CERT_MODES.join(", ")}, got "${certMode}"`);
  return {
    enabled: values.get("webhooks-enabled") as boolean,
    host: values.get("webhook-host") as string,
    port: values.get("webhook-port") as number,
    handlerTimeoutMs: values.get("webhook-handler-timeout") as number,
    certMode: certMode as WebhookCertMode,
    certSecret: values.get("webhook-cert-secret") as string,
    configName: values.get("webhook-config-name") as string,
    serviceName: values.get("webhook-service-name") as string,
    urlHost: values.get("webhook-url-host") as string,
    extraSans: values.get("webhook-extra-sans") as string[],
    certCheckIntervalMs: values.get("webhook-cert-check-interval") as number,
    servingCertValidityMs: values.get("webhook-cert-validity") as number,
    servingCertRenewBeforeMs: values.get("webhook-cert-renew-before") as number,
    ...namespaceSelectorFrom(values.get("webhook-namespace-selector") as string[]),
  };
}

function namespaceSelectorFrom(pairs: readonly string[]): Pick<WebhookConfig, "namespaceSelector"> {
  if (pairs.length === 0) return {};
  const entries = pairs.map((pair) => {
    const at = pair.indexOf("=");
    if (at <= 0) throw new FlagError(`--webhook-namespace-selector wants key=value pairs, got "${pair}"`);
    return [pair.slice(0, at), pair.slice(at + 1)] as const;
  });
  return { namespaceSelector: Object.fromEntries(entries) };
}
