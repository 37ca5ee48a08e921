/**
 * Regular expressions shared by the schemas (which turn them into CRD `pattern`s) and the admission rules.
 * They must stay RE2-compatible: the API server evaluates `pattern` with Go's regexp package.
 */

/** RFC 1123 label: lower-case alphanumerics and '-', alphanumeric at both ends. Length is bounded separately. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_LABEL_MESSAGE =
  "must be a DNS-1123 label (lower-case alphanumerics and '-', alphanumeric at both ends)";

/** Decode message of every `minLength: 1` string. */
export const NON_EMPTY = "must not be empty";

// semver.org grammar: numeric identifiers without leading zeros, dot-separated pre-release and build parts.
const NUMERIC = "0|[1-9]\\d*";
const PRERELEASE_ID = `${NUMERIC}|\\d*[a-zA-Z-][0-9a-zA-Z-]*`;
const BUILD_ID = "[0-9a-zA-Z-]+";

/** An exact SemVer 2.0 version with an optional leading "v": no ranges, no "latest". */
export const SEMVER = new RegExp(
  `^v?(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})` +
    `(-(${PRERELEASE_ID})(\\.(${PRERELEASE_ID}))*)?` +
    `(\\+${BUILD_ID}(\\.${BUILD_ID})*)?$`,
);

/** A Helm chart name: no slash, no whitespace. */
export const CHART_NAME = /^[^/\s]+$/;

export const HTTP_URL = /^https?:\/\//;

/** metav1.Condition `type`: a qualified name with an optional DNS-subdomain prefix. */
export const CONDITION_TYPE =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;

/** metav1.Condition `reason`: CamelCase-ish identifier. */
export const CONDITION_REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** RFC 1123 subdomain (names of most Kubernetes objects, API groups): dot-separated labels, at most 253. */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}
