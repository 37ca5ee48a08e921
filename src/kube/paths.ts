/** REST paths of a ResourceType: pure string building, the only place that knows the URL layout. */
import type { ResourceType } from "./types";

/** Every segment is checked: a group or version with `/` or `..` would otherwise address another API. */
export function groupVersionPath(group: string, version: string): string {
  return group === "" ? `/api/${segment(version)}` : `/apis/${segment(group)}/${segment(version)}`;
}

/** The collection: namespaced when `namespace` is given, else cluster-wide (all namespaces). */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const base = groupVersionPath(type.group, type.version);
  if (type.namespaced && namespace) return `${base}/namespaces/${segment(namespace)}/${segment(type.plural)}`;
  return `${base}/${segment(type.plural)}`;
}

export function objectPath(type: ResourceType, name: string, namespace?: string, subresource?: string): string {
  if (type.namespaced && !namespace) {
    throw new Error(`${type.kind} ${name}: namespaced resource ${type.plural} needs a namespace`);
  }
  const path = `${collectionPath(type, namespace)}/${segment(name)}`;
  return subresource ? `${path}/${segment(subresource)}` : path;
}

export type QueryValue = string | number | boolean | undefined;

export function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** One path segment, percent-encoded; throws for a value that could not be one (empty, `.`, `..`, `/`). */
function segment(value: string): string {
  if (value === "" || value === "." || value.includes("..") || value.includes("/")) {
    throw new Error(`invalid path segment ${JSON.stringify(value)}`);
  }
  return encodeURIComponent(value);
}

export interface ResourcePath {
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

/** Inverse of objectPath, following the apiserver's RequestInfo rules; undefined for non-resource paths. */
export function parseResourcePath(path: string): ResourcePath | undefined {
  const parts = path.split("?")[0]!.split("/").filter((part) => part !== "").map(decodeURIComponent);
  let rest: string[];
  let group: string;
  let version: string | undefined;
  if (parts[0] === "api") [group, version, rest] = ["", parts[1], parts.slice(2)];
  else if (parts[0] === "apis") [group, version, rest] = [parts[1] ?? "", parts[2], parts.slice(3)];
  else return undefined;
  if (!version || rest.length === 0) return undefined;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource] = rest as [string, string | undefined, string | undefined];
  return { group, version, plural, namespace, name, subresource };
}
