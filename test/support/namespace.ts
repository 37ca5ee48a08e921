/**
 * One namespace per test (docs/development.md#how-the-tests-are-wired): created in beforeEach, deleted in afterEach. A
 * namespace still Terminating after 30 s has finalizers the harness knows stripped (and their
 * holders logged); one whose objects still hold finalizers after 90 s fails the test, because a leaked
 * finalizer is a bug. One with none left is only waiting for a busy namespace controller: a warning.
 */
import { afterAll, afterEach, beforeEach } from "bun:test";
import type { KubeClient } from "../../src/kube/client";
import { Discovery } from "../../src/kube/discovery";
import { classifyError } from "../../src/kube/errors";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { getCluster } from "./cluster";

export const GATE_LABEL = { key: "managed-by", value: "vworkspace" };
export const TEST_RUN_LABEL = "vworkspace.io/test-run";
export const TEST_LABEL = "vworkspace.io/test";

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const STRIP_AFTER_MS = 30_000;
const FAIL_AFTER_MS = 90_000;
const POLL_MS = 250;

/** Resources whose finalizers the harness may strip, and the finalizer prefixes it recognises. */
const FINALIZED_RESOURCES: ResourceType[] = [
  res("apps.vworkspace.io", "v1alpha1", "ApplicationInstance", "applicationinstances"),
  res("ops.vworkspace.io", "v1alpha1", "Operation", "operations"),
  res("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases"),
  res("source.toolkit.fluxcd.io", "v1", "HelmRepository", "helmrepositories"),
  res("source.toolkit.fluxcd.io", "v1", "HelmChart", "helmcharts"),
  res("source.toolkit.fluxcd.io", "v1", "OCIRepository", "ocirepositories"),
  res("velero.io", "v1", "Backup", "backups"),
  res("velero.io", "v1", "Restore", "restores"),
  res("snapshot.storage.k8s.io", "v1", "VolumeSnapshot", "volumesnapshots"),
  res("volsync.backube", "v1alpha1", "ReplicationSource", "replicationsources"),
  res("volsync.backube", "v1alpha1", "ReplicationDestination", "replicationdestinations"),
  res("", "v1", "ConfigMap", "configmaps"),
];
const KNOWN_FINALIZER_PREFIXES = [
  "apps.vworkspace.io/",
  "ops.vworkspace.io/",
  "vworkspace.io/",
  "finalizers.fluxcd.io",
  "velero.io/",
  "snapshot.storage.kubernetes.io/",
  "volsync.backube/",
];

export interface NamespaceOptions {
  /** Label the namespace with the API spec's gate label (default true). */
  gated?: boolean;
  /** Short test identifier: part of the name and the `vworkspace.io/test` label. */
  slug: string;
}

export interface TestNamespace {
  /** The current test's namespace; only valid inside a test. */
  readonly name: string;
}

/**
 * Each test gets a fresh namespace. Deletion starts in `afterEach`; waiting for it to finish (the
 * namespace controller needs ~8 s even for an empty one) happens once per file in `afterAll`, where a
 * namespace stuck Terminating still fails the file and names the leaked finalizer's namespace.
 */
export function useNamespace({ gated = true, slug }: NamespaceOptions): TestNamespace {
  const label = dnsLabel(slug).slice(0, 50).replace(/-+$/, "") || "test";
  let current: string | undefined;
  const deletions: Promise<void>[] = [];
  beforeEach(async () => {
    const { client, runId } = await getCluster();
    current = `t-${label}-${randomSuffix()}`;
    await client.create(NAMESPACES, namespaceObject(current, label, runId, gated));
  });
  afterEach(async () => {
    const name = current;
    current = undefined;
    if (!name) return;
    const deletion = deleteNamespace((await getCluster()).client, name);
    deletion.catch(() => undefined); // reported by afterAll
    deletions.push(deletion);
  });
  afterAll(async () => {
    await Promise.all(deletions.splice(0));
  });
  return {
    get name(): string {
      if (!current) throw new Error("useNamespace: the namespace exists only while a test runs");
      return current;
    },
  };
}

function namespaceObject(name: string, slug: string, runId: string, gated: boolean): KubeObject {
  const labels: Record<string, string> = { [TEST_RUN_LABEL]: runId, [TEST_LABEL]: slug };
  if (gated) labels[GATE_LABEL.key] = GATE_LABEL.value;
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

/** Deletes the namespace and waits until it is gone, stripping known finalizers if it hangs. */
export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  const started = performance.now();
  try {
    await client.delete(NAMESPACES, name);
  } catch (err) {
    if (classifyError(err) === "notFound") return;
    throw err;
  }
  let stripped = false;
  while (await exists(client, name)) {
    const elapsed = performance.now() - started;
    if (elapsed >= FAIL_AFTER_MS) {
      const held = (await finalizedObjects(client, name)).map(({ type, object }) => `${type.kind} ${object.metadata.name} (${object.metadata.finalizers?.join(", ")})`);
      if (held.length > 0) throw new Error(`namespace ${name} still Terminating after ${FAIL_AFTER_MS / 1000}s: finalizers leaked on ${held.join("; ")}`);
      console.warn(`namespace ${name}: still Terminating after ${FAIL_AFTER_MS / 1000}s with no finalizer left; the namespace controller will finish it`);
      return;
    }
    if (!stripped && elapsed >= STRIP_AFTER_MS) {
      await stripKnownFinalizers(client, name);
      await nudge(client, name);
      stripped = true;
    }
    await Bun.sleep(POLL_MS);
  }
}

async function exists(client: KubeClient, name: string): Promise<boolean> {
  try {
    await client.get(NAMESPACES, name);
    return true;
  } catch (err) {
    if (classifyError(err) === "notFound") return false;
    throw err;
  }
}

/** Objects of the finalized resources in `namespace` that still carry a finalizer. */
async function finalizedObjects(client: KubeClient, namespace: string): Promise<Array<{ type: ResourceType; object: KubeObject }>> {
  const discovery = new Discovery(client);
  const found: Array<{ type: ResourceType; object: KubeObject }> = [];
  for (const type of FINALIZED_RESOURCES) {
    if (!(await discovery.isServed(type))) continue;
    for (const object of (await client.listAll(type, { namespace })).items) {
      if ((object.metadata.finalizers ?? []).length > 0) found.push({ type, object });
    }
  }
  return found;
}

async function stripKnownFinalizers(client: KubeClient, namespace: string): Promise<void> {
  for (const { type, object } of await finalizedObjects(client, namespace)) {
    const finalizers = object.metadata.finalizers ?? [];
    const kept = finalizers.filter((finalizer) => !KNOWN_FINALIZER_PREFIXES.some((prefix) => finalizer.startsWith(prefix)));
    if (kept.length === finalizers.length) continue;
    console.warn(`namespace ${namespace}: stripping finalizers ${finalizers.join(", ")} from ${type.kind} ${object.metadata.name}`);
    await client
      .patch(type, object.metadata.name, { type: "merge", body: { metadata: { finalizers: kept } } }, { namespace })
      .catch((err) => console.warn(`namespace ${namespace}: could not strip ${type.kind} ${object.metadata.name}: ${err}`));
  }
}

/** An update of the Namespace puts it back in the namespace controller's queue (within its 5 s grace period). */
async function nudge(client: KubeClient, name: string): Promise<void> {
  await client
    .patch(NAMESPACES, name, { type: "merge", body: { metadata: { annotations: { "vworkspace.io/test-nudge": String(Date.now()) } } } })
    .catch((err) => {
      if (classifyError(err) !== "notFound") console.warn(`namespace ${name}: could not nudge the namespace controller: ${err}`);
    });
}

function res(group: string, version: string, kind: string, plural: string): ResourceType {
  return { group, version, kind, plural, namespaced: true };
}

function dnsLabel(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Five base-36 characters: names that do not repeat across tests, even while earlier ones are Terminating. */
export function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 7).padEnd(5, "0");
}
