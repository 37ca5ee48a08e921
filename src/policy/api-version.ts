/**
 * Shape checks of what a job names, made before any discovery call or request path is built: an `apiVersion`
 * is `version` or `group/version` (DNS-1123 group, Kubernetes version string), object names are DNS-1123
 * subdomains, namespaces DNS-1123 labels, kinds identifiers. Nothing that passes can contain `/`, `..` or be
 * empty, so no path segment built from it can point elsewhere. See docs/security.md.
 */
import { DNS1123_LABEL, isDns1123Subdomain } from "../api/patterns";
import type { Refusal } from "./refusal";

/** `v1`, `v1beta2`, `v2alpha1`: what the API server accepts as a version of a group. */
export const KUBE_VERSION = /^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/;
const KIND = /^[A-Za-z][A-Za-z0-9]{0,62}$/;

export interface GroupVersion {
  group: string;
  version: string;
}

export function parseApiVersion(apiVersion: string): GroupVersion | Refusal {
  const parts = apiVersion.split("/");
  if (parts.length > 2) return invalid("apiVersion must be version or group/version");
  const [group, version] = parts.length === 2 ? [parts[0]!, parts[1]!] : ["", parts[0]!];
  if (parts.length === 2 && !isDns1123Subdomain(group)) return invalid("apiVersion group must be a DNS-1123 subdomain");
  if (!KUBE_VERSION.test(version)) return invalid("apiVersion version must look like v1, v1beta2 or v2alpha1");
  return { group, version };
}

export function isRefusal(value: object): value is Refusal {
  return "code" in value && "detail" in value;
}

/** Kind, name and (when given) namespace of a job target. */
export function checkTargetNames(kind: string, name: string, namespace: string): Refusal | undefined {
  if (!KIND.test(kind)) return invalid("kind must be an identifier of letters and digits");
  if (!isDns1123Subdomain(name)) return invalid(`${kind} name must be a DNS-1123 subdomain of at most 253 characters`);
  if (namespace !== "" && !isNamespaceName(namespace)) return invalid(`${kind} ${name}: namespace must be a DNS-1123 label of at most 63 characters`);
  return undefined;
}

export function isNamespaceName(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

function invalid(detail: string): Refusal {
  return { code: "InvalidPayload", detail };
}
