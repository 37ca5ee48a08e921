/**
 * Request counts from the API server's own `apiserver_request_total`, so every operator binary is measured
 * by the same meter whatever its client library. Only resources an operator of this kind touches are
 * counted; discovery and /metrics (resource "") are not, nor is anything the bench itself does outside
 * the windows it measures.
 */
import type { KubeClient } from "../../src/kube/client";

export const OPERATOR_RESOURCES = new Set([
  "applicationinstances",
  "operations",
  "clusters",
  "helmreleases",
  "helmrepositories",
  "ocirepositories",
  "namespaces",
  "serviceaccounts",
  "rolebindings",
  "events",
  "leases",
  "configmaps",
  "secrets",
  "customresourcedefinitions",
  "jobs",
  "backups",
  "restores",
  "schedules",
  "backupstoragelocations",
  "workflows",
  "volumesnapshots",
  "replicationsources",
  "replicationdestinations",
]);

const READ_VERBS = new Set(["GET", "LIST", "WATCH", "CONNECT"]);

/** Counter value per `VERB resource[/subresource]`. */
export type RequestCounts = Map<string, number>;

const SAMPLE = /^apiserver_request_total\{([^}]*)\}\s+(\S+)$/;
const LABEL = /(\w+)="([^"]*)"/g;

export function parseRequestCounts(metricsText: string): RequestCounts {
  const counts: RequestCounts = new Map();
  for (const line of metricsText.split("\n")) {
    const sample = SAMPLE.exec(line);
    if (!sample) continue;
    const labels = Object.fromEntries([...(sample[1] ?? "").matchAll(LABEL)].map((match) => [match[1], match[2]]));
    if (!OPERATOR_RESOURCES.has(labels.resource ?? "")) continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ""}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(sample[2]));
  }
  return counts;
}

export async function requestCounts(client: KubeClient): Promise<RequestCounts> {
  return parseRequestCounts(await client.requestText({ method: "GET", path: "/metrics" }));
}

/** `after - before` per key, zero entries dropped. */
export function difference(after: RequestCounts, before: RequestCounts): RequestCounts {
  const delta: RequestCounts = new Map();
  for (const [key, value] of after) {
    const grown = value - (before.get(key) ?? 0);
    if (grown > 0) delta.set(key, grown);
  }
  return delta;
}

export function total(counts: RequestCounts, which: "all" | "writes" = "all"): number {
  let sum = 0;
  for (const [key, value] of counts) if (which === "all" || !READ_VERBS.has(key.split(" ")[0] ?? "")) sum += value;
  return sum;
}

/** "PATCH helmreleases 20, POST events 20, …", largest first. */
export function describe(counts: RequestCounts, which: "all" | "writes" = "all"): string {
  const entries = [...counts].filter(([key]) => which === "all" || !READ_VERBS.has(key.split(" ")[0] ?? ""));
  return entries.sort((a, b) => b[1] - a[1]).map(([key, value]) => `${key} ${value}`).join(", ") || "none";
}

/** Counts the requests made while `during` runs. */
export async function countDuring(client: KubeClient, during: () => Promise<void>): Promise<RequestCounts> {
  const before = await requestCounts(client);
  await during();
  return difference(await requestCounts(client), before);
}
