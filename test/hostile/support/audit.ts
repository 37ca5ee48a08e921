/**
 * The audit pass of the adversarial suite. Snapshots every cluster-scoped object and every object of
 * kube-system; a change between two snapshots counts only when a managedFields entry of the operator
 * (`vworkspace-agent`, `vworkspace-operator`) or of Flux was written after the run started, so objects that
 * churn on their own (leases, events, other managers) never count. The operator's own API calls are checked
 * too: writes only in the gated, Velero and its own namespace (its own objects) or on its Cluster, Secret reads
 * only of its own credential, token and key Secrets.
 */
import type { ApiCall } from "../../../src/kube/api-calls";
import { isWrite } from "../../../src/kube/api-calls";
import type { KubeClient } from "../../../src/kube/client";
import type { KubeObject } from "../../../src/kube/types";
import type { Stage } from "./stage";

export const ATTRIBUTED_MANAGERS = new Set(["vworkspace-agent", "vworkspace-operator", "helm-controller", "source-controller", "kustomize-controller"]);
/** Churn of control-plane components and of every test's namespaces, never an operator's doing. */
const SKIPPED_PLURALS = new Set(["events", "leases", "endpoints", "endpointslices", "componentstatuses"]);

export type Snapshot = Map<string, KubeObject>;

interface ApiResource {
  name: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
}

async function listableResources(client: KubeClient): Promise<Array<{ path: string; namespaced: boolean; plural: string }>> {
  const groupVersions = ["/api/v1"];
  const groups = await client.request<{ groups: Array<{ preferredVersion: { groupVersion: string } }> }>({ method: "GET", path: "/apis" });
  for (const group of groups.groups) groupVersions.push(`/apis/${group.preferredVersion.groupVersion}`);
  const found: Array<{ path: string; namespaced: boolean; plural: string }> = [];
  for (const base of groupVersions) {
    const list = await client.request<{ resources: ApiResource[] }>({ method: "GET", path: base }).catch(() => undefined);
    for (const resource of list?.resources ?? []) {
      if (resource.name.includes("/") || !resource.verbs.includes("list") || SKIPPED_PLURALS.has(resource.name)) continue;
      found.push({ path: `${base}`, namespaced: resource.namespaced, plural: resource.name });
    }
  }
  return found;
}

/** Every object in `namespaces` and (unless told otherwise) every cluster-scoped object, keyed by path. */
export async function snapshot(client: KubeClient, namespaces: readonly string[], clusterScoped = true): Promise<Snapshot> {
  const objects: Snapshot = new Map();
  for (const resource of await listableResources(client)) {
    if (!resource.namespaced && !clusterScoped) continue;
    const paths = resource.namespaced ? namespaces.map((namespace) => `${resource.path}/namespaces/${namespace}/${resource.plural}`) : [`${resource.path}/${resource.plural}`];
    for (const path of paths) {
      const list = await client.request<{ items: KubeObject[] }>({ method: "GET", path }).catch(() => undefined);
      for (const item of list?.items ?? []) objects.set(`${path}/${item.metadata.name}`, item);
    }
  }
  return objects;
}

function comparable(object: KubeObject): string {
  const { resourceVersion: _version, managedFields: _fields, ...metadata } = object.metadata as KubeObject["metadata"] & { resourceVersion?: string };
  return JSON.stringify({ ...object, metadata });
}

function managersSince(object: KubeObject, since: Date): string[] {
  return ((object.metadata.managedFields ?? []) as Array<{ manager?: string; time?: string }>)
    .filter((entry) => entry.manager && ATTRIBUTED_MANAGERS.has(entry.manager) && (!entry.time || Date.parse(entry.time) >= since.getTime() - 1_000))
    .map((entry) => entry.manager!);
}

/** Objects created or changed by the operator or Flux since `since`; `allowed(key)` exempts the run's own Cluster. */
export function attributedChanges(before: Snapshot, after: Snapshot, since: Date, allowed: (key: string) => boolean): string[] {
  const changes: string[] = [];
  for (const [key, object] of after) {
    if (allowed(key)) continue;
    const previous = before.get(key);
    if (previous && comparable(previous) === comparable(object)) continue;
    const managers = managersSince(object, since);
    if (managers.length > 0) changes.push(`${previous ? "changed" : "created"} ${key} by ${[...new Set(managers)].join(", ")}`);
  }
  return changes;
}

function fieldSelectorName(call: ApiCall): string | undefined {
  const selector = call.query.fieldSelector ?? "";
  return /^metadata\.name=([^,]+)$/.exec(selector)?.[1];
}

/** The operator's own objects in its namespace, by plural. */
function ownObject(plural: string, name: string | undefined): boolean {
  const own: Record<string, string[]> = {
    configmaps: ["vworkspace-applied-jobs"],
    secrets: ["vworkspace-agent-credentials", "vworkspace-operator-keypair"],
  };
  return name !== undefined && (own[plural] ?? []).includes(name);
}

/** Writes of the operator outside its allowed scope, and reads of any Secret that is not its own. */
export function operatorCallViolations(stage: Stage, calls: readonly ApiCall[]): string[] {
  const violations: string[] = [];
  const readable = new Set(["vworkspace-agent-credentials", "vworkspace-operator-keypair", "registration", "trusted"]);
  for (const call of calls) {
    const resource = call.resource;
    const describe = `${call.method} ${call.path}${call.query.fieldSelector ? `?fieldSelector=${call.query.fieldSelector}` : ""}`;
    if (call.path.includes("..") || /%2f/i.test(call.path)) {
      violations.push(`path traversal attempted: ${describe}`);
      continue;
    }
    if (resource?.plural === "secrets") {
      const name = resource.name ?? fieldSelectorName(call);
      // The Cluster controller's informer lists and watches the operator namespace's Secrets, and creates its
      // own there (names checked in that namespace's snapshot); nothing outside it, no other name.
      const ownNamespaceCollection = resource.namespace === stage.ns.operator && name === undefined && ["list", "watch", "create"].includes(call.verb);
      if (!ownNamespaceCollection && (resource.namespace !== stage.ns.operator || name === undefined || !readable.has(name))) violations.push(`Secret access outside the agent's own: ${describe}`);
      continue;
    }
    // An attempt counts even when the API server refused it: the agent runs with admin rights here.
    if (!isWrite(call)) continue;
    if (!resource) {
      violations.push(`write to a non-resource path: ${describe}`);
      continue;
    }
    if (resource.plural === "events") continue;
    const namespace = resource.namespace;
    if (namespace === stage.ns.gated || namespace === stage.ns.velero) continue;
    if (namespace === stage.ns.operator && (ownObject(resource.plural, resource.name) || resource.plural === "leases")) continue;
    // A create names its object in the body: which ones it made is checked in the operator namespace's snapshot.
    if (namespace === stage.ns.operator && call.verb === "create" && resource.plural === "configmaps") continue;
    if (!namespace && resource.plural === "clusters" && resource.name === stage.clusterName) continue;
    if (!namespace && resource.plural === "selfsubjectaccessreviews") continue;
    violations.push(`write outside the operator's scope: ${describe} (${call.code})`);
  }
  return violations;
}

/** Where any of `secrets` occurs among the named texts. */
export function leaks(secrets: readonly string[], texts: ReadonlyArray<[string, string]>): string[] {
  const found: string[] = [];
  for (const secret of secrets.filter((value) => value.length >= 8)) {
    for (const [where, text] of texts) if (text.includes(secret)) found.push(`${secret.slice(0, 6)}… in ${where}`);
  }
  return found;
}
