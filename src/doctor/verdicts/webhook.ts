/**
 * Verdicts on the admission webhook: registered, caBundle set, answering with a certificate the caBundle
 * verifies, and that certificate's expiry. A registered webhook that cannot answer refuses every write of
 * ApplicationInstances and Operations (failurePolicy Fail), so it fails the report; an absent one only warns.
 */
import { check, type Check } from "../check";
import type { DoctorFacts, DoctorSettings, HandshakeFacts } from "../facts";
import { age } from "./core";

const WEBHOOK = "Admission webhook";
/** The operator renews its self-signed serving certificate this long before expiry (--webhook-cert-renew-before). */
const RENEW_BEFORE_MS = 30 * 86_400_000;

export function webhookChecks(facts: Pick<DoctorFacts, "webhookConfiguration" | "webhookServices" | "handshakes" | "certificateSecret" | "nowMs">, settings: DoctorSettings): Check[] {
  const configuration = facts.webhookConfiguration;
  const subject = `ValidatingWebhookConfiguration ${settings.webhookConfigName}`;
  if (configuration.state === "error") return [check(WEBHOOK, subject, "warn", `cannot read: ${configuration.error}`)];
  if (configuration.state === "absent") {
    return [
      check(
        WEBHOOK,
        subject,
        "warn",
        "not registered: only the CRDs' own rules check writes (the admission rules that need other objects do not run)",
        "run the operator with webhooks enabled (the default), or install the chart, which registers it",
      ),
      ...certificateChecks(facts, settings, false),
    ];
  }
  const webhooks = configuration.value;
  const lines: Check[] = [];
  const withoutCa = webhooks.filter((webhook) => !webhook.caBundleSet).map((webhook) => webhook.name);
  if (withoutCa.length > 0) {
    lines.push(check(WEBHOOK, subject, "fail", `caBundle empty on ${withoutCa.join(", ")}: the API server cannot verify the webhook and refuses the writes it guards`, "let the operator manage caBundle (self-signed mode), or set it (cert-manager's CA injector, --set webhooks.caBundle)"));
  } else {
    lines.push(check(WEBHOOK, subject, "ok", `registered, ${webhooks.length} webhook${webhooks.length === 1 ? "" : "s"}, caBundle set`));
  }
  for (const service of new Set(webhooks.flatMap((webhook) => ("service" in webhook.endpoint ? [`${webhook.endpoint.service.namespace}/${webhook.endpoint.service.name}`] : [])))) {
    const lookup = facts.webhookServices[service] ?? { state: "absent" };
    if (lookup.state === "absent") lines.push(check(WEBHOOK, `Service ${service}`, "fail", "not found: the API server has nowhere to send admission requests", "install the operator (chart) or fix the configuration's service reference"));
    else if (lookup.state === "error") lines.push(check(WEBHOOK, `Service ${service}`, "warn", `cannot read: ${lookup.error}`));
  }
  for (const handshake of facts.handshakes) lines.push(handshakeCheck(handshake, facts.nowMs));
  lines.push(...certificateChecks(facts, settings, true));
  return lines;
}

function handshakeCheck(handshake: HandshakeFacts, nowMs: number): Check {
  const subject = `reachability ${handshake.target}`;
  switch (handshake.result) {
    case "ok":
      return check(WEBHOOK, subject, "ok", `TLS handshake verified against caBundle; serving certificate expires in ${age(Date.parse(handshake.notAfter) - nowMs)}`);
    case "unresolvable":
      return check(WEBHOOK, subject, "info", "not checked: the Service name resolves only inside the cluster; run doctor in a Pod to test the handshake");
    case "failed":
      return check(WEBHOOK, subject, "fail", `TLS handshake failed: ${handshake.error}`, "is the operator running and serving the certificate the caBundle names? see its logs");
  }
}

function certificateChecks(facts: Pick<DoctorFacts, "certificateSecret" | "nowMs">, settings: DoctorSettings, registered: boolean): Check[] {
  const secret = `${settings.namespace}/${settings.webhookCertSecret}`;
  const subject = `serving certificate (Secret ${secret})`;
  const lookup = facts.certificateSecret;
  if (lookup.state === "absent") return [check(WEBHOOK, subject, "info", "no such Secret (expected in files, external and some cert-manager set-ups)")];
  if (lookup.state === "error") return [check(WEBHOOK, subject, "info", `not checked: ${lookup.error}`)];
  const remainingMs = Date.parse(lookup.value.notAfter) - facts.nowMs;
  if (Number.isNaN(remainingMs)) return [check(WEBHOOK, subject, "warn", "tls.crt is not a readable certificate", "let the operator re-issue it: delete the Secret (self-signed mode)")];
  if (remainingMs <= 0) {
    return [check(WEBHOOK, subject, registered ? "fail" : "warn", `expired ${age(-remainingMs)} ago (${lookup.value.notAfter})`, "restart the operator in self-signed mode to renew it, or renew it with your issuer")];
  }
  if (remainingMs < RENEW_BEFORE_MS) {
    return [check(WEBHOOK, subject, "warn", `expires in ${age(remainingMs)} (${lookup.value.notAfter})`, "the operator renews it 30 days ahead in self-signed mode; otherwise renew it with your issuer")];
  }
  return [check(WEBHOOK, subject, "ok", `expires in ${age(remainingMs)} (${lookup.value.notAfter})`)];
}
