/**
 * Redaction of condition messages and Event notes, the one implementation for the reconcilers' conditions
 * and for every condition the agent sends to the control plane: PEM blocks and values under sensitive keys
 * become `[REDACTED]`. Flux messages quote Helm and Kubernetes errors verbatim, which may include rendered
 * values. See docs/security.md.
 */

export const REDACTED = "[REDACTED]";

// A whole block when it is complete; from its BEGIN line to the end when the message was cut inside it.
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g;
// `password: x`, `"apiKey":"x"`, `token=x`: a key ending in password/secret, or a known secret key name.
const SENSITIVE_VALUE =
  /(["']?)([A-Za-z0-9_.-]*(?:password|secret)|accesskey|secretkey|apikey|token)\1(\s*[:=]\s*)(?!\[REDACTED\])("[^"]*"|'[^']*'|[^\s,;}\]]+)/gi;
const REFERENCE_KEY = /(?:secretname|secretref|secretkeyref)$/i;

export function redactMessage(message: string): string {
  return message.replace(PEM_BLOCK, REDACTED).replace(SENSITIVE_VALUE, (match, quote: string, key: string, separator: string) =>
    REFERENCE_KEY.test(key) || key.toLowerCase() === "existingsecret" ? match : `${quote}${key}${quote}${separator}${REDACTED}`,
  );
}
