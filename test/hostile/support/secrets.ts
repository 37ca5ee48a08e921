/**
 * The secret values of a run and the texts they must never appear in: the operator's whole log, Kubernetes
 * Events, the objects of the run's namespaces and Cluster, and every control-plane record (jobs, results,
 * statuses, events) and the hostile proxy's records.
 */
import { readFileSync } from "node:fs";
import { CLUSTER } from "../../../src/api/groups";
import { SECRET } from "../../../src/controllers/cluster/secrets";
import { EVENT_TYPE } from "../../../src/kube/events";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { CONFIG_MAP, type Stage } from "./stage";

const SENSITIVE_KEYS = /token|key|jwk|password/i;
const PUBLIC_KEYS = new Set(["control-plane-jwks.json", "public.jwk", "jwks.json", "token-expires-at"]);
const HELM_RELEASE: ResourceType = { group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease", plural: "helmreleases", namespaced: true };

function parts(value: string): string[] {
  if (value.includes("-----BEGIN")) return value.split("\n").filter((line) => line.length >= 32 && !line.startsWith("-----"));
  try {
    const parsed = JSON.parse(value) as { d?: unknown };
    if (typeof parsed === "object" && parsed !== null) return typeof parsed.d === "string" ? [parsed.d] : [];
  } catch {
    // not JSON: a token or a password
  }
  return [value.trim()];
}

/** Token, key and password values of every Secret of the run, the signing key's private part, planted markers. */
export async function runSecrets(stage: Stage): Promise<string[]> {
  const values = [...stage.planted, stage.key.privateJwk.d as string];
  for (const namespace of Object.values(stage.ns)) {
    const { items } = await stage.client.list(SECRET, { namespace });
    for (const item of items as Array<KubeObject & { data?: Record<string, string> }>) {
      for (const [key, encoded] of Object.entries(item.data ?? {})) {
        if (SENSITIVE_KEYS.test(key) && !PUBLIC_KEYS.has(key)) values.push(...parts(Buffer.from(encoded, "base64").toString("utf8")));
      }
    }
  }
  return values.filter((value) => value.length >= 8);
}

/**
 * Named texts to search: log, Events, plane and proxy records (`outside`), and the run's objects, Secrets
 * excluded (`objects`: values a test quoted into a status legitimately stay there).
 */
export async function runTexts(stage: Stage): Promise<{ outside: Array<[string, string]>; objects: Array<[string, string]> }> {
  const texts: Array<[string, string]> = [["operator log", readFileSync(stage.logFile, "utf8")]];
  const objects: Array<[string, string]> = [];
  for (const namespace of [...Object.values(stage.ns), "default"]) {
    const events = await stage.client.list(EVENT_TYPE, { namespace });
    texts.push([`Events in ${namespace}`, JSON.stringify(events.items)]);
  }
  for (const namespace of [stage.ns.operator, stage.ns.gated, stage.ns.velero]) {
    for (const type of [CONFIG_MAP, HELM_RELEASE]) objects.push([`${type.plural} in ${namespace}`, JSON.stringify((await stage.client.list(type, { namespace })).items)]);
  }
  objects.push(["the Cluster", JSON.stringify(await stage.client.get(CLUSTER, stage.clusterName))]);
  texts.push(["plane job records", JSON.stringify(await stage.plane.admin.jobs(stage.clusterId))]);
  texts.push(["plane events", JSON.stringify(await stage.plane.admin.events({ clusterId: stage.clusterId }))]);
  texts.push(["plane log", stage.plane.logs.lines.join("\n")]);
  texts.push(["proxy results", JSON.stringify([...stage.proxy.results.values(), ...stage.proxy.statuses.values()])]);
  return { outside: texts, objects };
}
