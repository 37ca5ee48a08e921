/** Flags and defaults of the admission server and its certificate (docs/operations.md#admission-webhooks, docs/operations.md#serving-certificate). */
import { FlagError, type FlagSpec, type ParsedFlags } from "../commandline/flags";

export type WebhookCertMode = "self-signed" | "cert-manager" | "external" | "files";

/** controller-runtime's default `CertDir`, so manifests written for controller-runtime operators fit. */
export const DEFAULT_CERT_DIR = "/tmp/k8s-webhook-server/serving-certs";

export interface WebhookConfig {
  enabled: boolean;
  /** Bind host; "" means all interfaces. */
  host: string;
  port: number;
  handlerTimeoutMs: number;
  /** After a stop begins, how long the server keeps admitting while the API server stops routing to it. */
  drainDelayMs: number;
  certMode: WebhookCertMode;
  certSecret: string;
  /** Files mode: directory holding tls.crt and tls.key (and optionally ca.crt). */
  certDir: string;
  /** Files mode: CA bundle for `caBundle`; "" means ca.crt in `certDir` when present. */
  caFile: string;
  /** Files mode: how often the files are re-read (controller-runtime's certwatcher also polls, 10 s). */
  certWatchIntervalMs: number;
  configName: string;
  serviceName: string;
  /** Local runs: the API server calls `https://<urlHost>:<bound port><path>` instead of the Service. */
  urlHost: string;
  /** Extra serving-certificate SANs (DNS names or IPs); `urlHost` is always added. */
  extraSans: string[];
  /** Leader's certificate check interval (docs/operations.md#serving-certificate: hourly). */
  certCheckIntervalMs: number;
  servingCertValidityMs: number;
  servingCertRenewBeforeMs: number;
  /**
   * matchLabels of the configuration's namespaceSelector: none by default (docs/operations.md#admission-webhooks); tests,
   * benchmarks and staged roll-outs scope admission to labelled namespaces with it (docs/development.md#admission-webhooks-through-the-real-api-server).
   */
  namespaceSelector?: Record<string, string>;
}

export const WEBHOOK_FLAGS: FlagSpec[] = [
  { name: "webhooks-enabled", type: "bool", env: "VWS_WEBHOOKS_ENABLED", default: "true", help: "Serve the admission webhooks" },
  { name: "webhook-host", type: "string", env: "VWS_WEBHOOK_HOST", default: "", help: "Admission server bind host (empty: all interfaces)" },
  { name: "webhook-port", type: "int", env: "VWS_WEBHOOK_PORT", default: "9443", help: "Admission server port" },
  { name: "webhook-handler-timeout", type: "duration", default: "4s", help: "Bound on one admission request; expiry denies with InternalError" },
  {
    name: "webhook-drain-delay",
    type: "duration",
    default: "0s",
    help: "On shutdown, keep admitting this long after releasing leadership, until the API server no longer routes to this Pod (the chart sets 5s)",
  },
  { name: "webhook-cert-mode", type: "string", env: "VWS_WEBHOOK_CERT_MODE", default: "self-signed", help: "self-signed, cert-manager, external or files" },
  { name: "webhook-cert-secret", type: "string", default: "vworkspace-operator-webhook-tls", help: "Secret holding ca.crt, tls.crt and tls.key" },
  {
    name: "webhook-cert-dir",
    type: "string",
    env: "VWS_WEBHOOK_CERT_DIR",
    default: "",
    help: `Files mode: directory with tls.crt and tls.key, re-read when they change (empty: ${DEFAULT_CERT_DIR}, as controller-runtime)`,
  },
  {
    name: "webhook-ca-file",
    type: "string",
    env: "VWS_WEBHOOK_CA_FILE",
    default: "",
    help: "Files mode: CA bundle the leader keeps in caBundle (empty: ca.crt in --webhook-cert-dir if present, else caBundle is left alone)",
  },
  { name: "webhook-cert-watch-interval", type: "duration", default: "10s", help: "Files mode: how often the certificate files are re-read" },
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
  drainDelayMs: 0,
  certMode: "self-signed",
  certSecret: "vworkspace-operator-webhook-tls",
  certDir: DEFAULT_CERT_DIR,
  caFile: "",
  certWatchIntervalMs: 10_000,
  configName: "vworkspace-operator-validating-webhook",
  serviceName: "vworkspace-operator-webhook",
  urlHost: "",
  extraSans: [],
  certCheckIntervalMs: 3_600_000,
  servingCertValidityMs: 365 * DAY_MS,
  servingCertRenewBeforeMs: 30 * DAY_MS,
};

const CERT_MODES: readonly string[] = ["self-signed", "cert-manager", "external", "files"];

export function webhookConfigFromFlags(values: ParsedFlags["values"]): WebhookConfig {
  const certMode = values.get("webhook-cert-mode") as string;
  if (!CERT_MODES.includes(certMode)) throw new FlagError(`--webhook-cert-mode must be one of ${CERT_MODES.join(", ")}, got "${certMode}"`);
  const certDir = values.get("webhook-cert-dir") as string;
  const caFile = values.get("webhook-ca-file") as string;
  // Ignoring them would silently serve a self-issued certificate instead of the one the installer mounted.
  for (const [flag, value] of [["webhook-cert-dir", certDir], ["webhook-ca-file", caFile]] as const) {
    if (value && certMode !== "files") throw new FlagError(`--${flag} needs --webhook-cert-mode=files, got --webhook-cert-mode=${certMode}`);
  }
  return {
    enabled: values.get("webhooks-enabled") as boolean,
    host: values.get("webhook-host") as string,
    port: values.get("webhook-port") as number,
    handlerTimeoutMs: values.get("webhook-handler-timeout") as number,
    drainDelayMs: values.get("webhook-drain-delay") as number,
    certMode: certMode as WebhookCertMode,
    certSecret: values.get("webhook-cert-secret") as string,
    certDir: certDir || DEFAULT_CERT_DIR,
    caFile,
    certWatchIntervalMs: values.get("webhook-cert-watch-interval") as number,
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

/**
 * Whether the leader writes the configuration's `caBundle`: in self-signed mode it owns the CA; in files
 * mode only when a CA file was found, otherwise the installer (or a CA injector) owns `caBundle`.
 */
export function writesCaBundle(mode: WebhookCertMode, caPem: string | undefined): boolean {
  if (mode === "self-signed") return true;
  return mode === "files" && caPem !== undefined;
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
