/**
 * One reconcile pass of an ApplicationInstance (docs/applications.md#reconcile-flow): a sequence of small named steps, the first
 * one that decides ends the pass. Decisions live in desired.ts, conditions.ts and status.ts; this file
 * only sequences them and does the I/O.
 */
import { decodeApplicationInstance, type ApplicationInstance } from "../../api/applicationinstance";
import { formatDecodeIssues } from "../../api/decode";
import { APPLICATION_INSTANCE } from "../../api/groups";
import { validateApplicationInstanceSpec } from "../../api/validation/applicationinstance";
import { clusterMismatchMessage, mismatchedClusterIdLabel, namespaceNotGatedMessage } from "../../api/validation/identity";
import { LABEL_MANAGED_BY, MANAGED_BY_OPERATOR } from "../../api/labels";
import { tenantServiceAccount } from "../../api/tenant";
import { HELM_RELEASE, type HelmRelease, type HelmReleaseSpec } from "../../flux/types";
import { addFinalizer, isDeleting } from "../../kube/owners";
import { objectKey, type KubeObject } from "../../kube/types";
import type { WorkResult } from "../../kube/workqueue";
import type { Reconcile } from "../../manager/controller";
import { applyChild, deleteChild, FIELD_MANAGER, getOptional, ownedChildren, refuseForeign } from "./children";
import { finalize } from "./deletion";
import { desiredHelmRelease, desiredSource, needsIndexRefresh, sourceName, staleSourceTypeOf, type ChildSettings, type DesiredChild, type ManagedInstance } from "./desired";
import { report, type Pass, type ReconcilerDeps } from "./pass";
import type { AppliedRefs } from "./status";
import { takeoverPatch } from "./takeover";

export function applicationInstanceReconciler(deps: ReconcilerDeps): Reconcile {
  return async ({ key, signal }) => {
    const stored = deps.instances.get(key);
    if (!stored) return;
    const pass: Pass = { deps, signal, current: stored as ApplicationInstance };
    if (isDeleting(stored)) return deps.released.isStale(stored) ? undefined : finalize(pass);
    return reconcileLive(pass);
  };
}

async function reconcileLive(pass: Pass): Promise<WorkResult | void> {
  const { deps } = pass;
  const { metadata } = pass.current;
  const namespace = metadata.namespace ?? "";
  if (!deps.gate.isGated(namespace)) {
    return report(pass, { row: "Blocked", reason: "NamespaceNotGated", message: namespaceNotGatedMessage(namespace) });
  }
  const clusterId = deps.clusterId();
  const mismatch = mismatchedClusterIdLabel(metadata.labels, clusterId);
  if (mismatch !== undefined) {
    return report(pass, { row: "Blocked", reason: "ClusterMismatch", message: clusterMismatchMessage(mismatch, clusterId) });
  }
  pass.current = await addFinalizer(deps.client, APPLICATION_INSTANCE, pass.current, APPLICATION_INSTANCE.finalizer);

  // An object that got past admission without matching the schema (webhook and CEL off) is reported, not crashed on.
  const decoded = decodeApplicationInstance(pass.current);
  if (!decoded.ok) return report(pass, { row: "Blocked", reason: "ValidationFailed", message: formatDecodeIssues(decoded.issues) });
  const instance = decoded.value;
  const violation = validateApplicationInstanceSpec(instance);
  if (violation) return report(pass, { row: "Blocked", reason: "ValidationFailed", message: violation.message });

  if (instance.spec.mode === "placeholder") return report(pass, { row: "Placeholder" }, { kind: "clear" });
  if (!(await deps.fluxServed(pass.signal))) {
    const message = "Flux APIs helm.toolkit.fluxcd.io/v2 and source.toolkit.fluxcd.io/v1 are not served";
    await report(pass, { row: "Blocked", reason: "MissingDependencies", message });
    return { requeueAfterMs: deps.settings.dependencyRecheckMs };
  }
  if (deps.helmReleasesAuthoritative()) {
    // The committed HelmRelease of the instance's release name is read, never written (docs/connectivity.md#helmrelease-authoritative-gitops).
    const committed = deps.committedHelmRelease(namespace, (instance as ManagedInstance).spec.release.name);
    return report(pass, { row: "HelmRelease", helmRelease: committed });
  }
  const serviceAccountName = tenantServiceAccount(deps.gate.labels(namespace));
  return applyChildren(pass, instance as ManagedInstance, { ...deps.settings, clusterId, serviceAccountName });
}

/** docs/applications.md#reconcile-flow steps 9–10: source, stale source, HelmRelease; conditions from the applied HelmRelease. */
async function applyChildren(pass: Pass, instance: ManagedInstance, settings: ChildSettings): Promise<void> {
  const { deps, signal } = pass;
  let helmRelease: HelmRelease | undefined;
  try {
    const refreshAt = needsIndexRefresh(instance) ? deps.clock.now() : undefined;
    const source = desiredSource(instance, settings, refreshAt);
    if (!currentChild(pass, source) && !appliedNotCached(pass, source)) await applyOwned(pass, source);
    await deleteStaleSource(pass, instance);
    // The generation docs/applications.md#status-mapping compares against is the one our apply produced (docs/applications.md#adopting-existing-objects): from the response, or
    // from a cached copy that still carries exactly that apply's generation.
    const desired = desiredHelmRelease(instance, settings);
    const current = currentChild<HelmRelease>(pass, desired) ?? appliedNotCached<HelmRelease>(pass, desired);
    if (current) {
      // Just applied by an earlier pass and not cached yet, it maps as that pass saw it: present, no status.
      helmRelease = current;
    } else {
      await takeOver(pass, desired);
      helmRelease = await applyOwned<HelmRelease>(pass, desired);
    }
  } catch (err) {
    await report(pass, { row: "ApplyFailed", message: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  const { chart, release } = instance.spec;
  const previousChart = instance.status?.lastAppliedChart;
  if (previousChart && previousChart.version !== chart.version) {
    deps.events.record(pass.current, {
      type: "Normal",
      reason: "HelmReleaseUpgraded",
      action: "Apply",
      note: `chart ${chart.name} ${previousChart.version} → ${chart.version}`,
    });
  }
  const refs: AppliedRefs = {
    kind: "applied",
    helmReleaseRef: { name: release.name, namespace: release.namespace },
    lastAppliedChart: { sourceType: chart.sourceType, url: chart.url, name: chart.name, version: chart.version },
  };
  await report(pass, { row: "HelmRelease", helmRelease }, refs);
}

/** The cached child when applying `child` again would change nothing. */
function currentChild<T extends KubeObject>(pass: Pass, child: DesiredChild): T | undefined {
  const cached = pass.deps.children.get(child.type, objectKey(child.body.metadata));
  return pass.deps.applied.isCurrent(child.type, child.body, cached) ? (cached as T) : undefined;
}

/** The child as an earlier pass applied it, while the informer has not delivered that write yet. */
function appliedNotCached<T extends KubeObject>(pass: Pass, child: DesiredChild): T | undefined {
  const cached = pass.deps.children.get(child.type, objectKey(child.body.metadata));
  return pass.deps.applied.appliedNotCached(child.type, child.body, cached) as T | undefined;
}

/**
 * Applies a child unless another object controls it. A child our manager applied for another instance
 * is the case the API server does not catch: our apply would replace that instance's ownerReference.
 */
async function applyOwned<T extends KubeObject>(pass: Pass, child: DesiredChild): Promise<T> {
  refuseForeign(child.type, await existingChild(pass, child), pass.current);
  return applyRecorded<T>(pass, child);
}

/** The child as it stands: the informer's copy, or a live read while that cache has not synced yet. */
async function existingChild(pass: Pass, child: DesiredChild): Promise<KubeObject | undefined> {
  const { children } = pass.deps;
  const { name, namespace = "" } = child.body.metadata;
  const cached = children.get(child.type, objectKey({ name, namespace }));
  if (cached || children.hasSynced(child.type)) return cached;
  return getOptional(pass.deps.client, child.type, name, namespace, pass.signal);
}

async function applyRecorded<T extends KubeObject>(pass: Pass, child: DesiredChild): Promise<T> {
  const applied = await applyChild<T>(pass.deps.client, child, pass.signal);
  pass.deps.applied.record(child.type, child.body, applied);
  return applied;
}

/**
 * docs/applications.md#adopting-existing-objects takeover. The cache holds no managedFields, so only a HelmRelease missing from it or not labelled
 * as ours is read, from the API server's watch cache: a store read costs the API server three times as much,
 * and that cache is never behind the informer that found nothing. After our first apply the HelmRelease
 * carries our label and this costs nothing.
 */
async function takeOver(pass: Pass, desired: DesiredChild): Promise<void> {
  const { name, namespace = "" } = desired.body.metadata;
  const cached = pass.deps.children.get(HELM_RELEASE, objectKey({ name, namespace }));
  if (cached?.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_OPERATOR) return;
  const live = await getOptional<HelmRelease>(pass.deps.client, HELM_RELEASE, name, namespace, pass.signal, { resourceVersion: "0" });
  if (!live) return;
  // A HelmRelease another object controls (not one the Go operator left) is not stripped for our apply.
  refuseForeign(HELM_RELEASE, live, pass.current);
  const ops = takeoverPatch(live, desired.body.spec as HelmReleaseSpec);
  if (!ops) return;
  await pass.deps.client.patch(HELM_RELEASE, name, { type: "json", ops }, { namespace, signal: pass.signal, fieldManager: FIELD_MANAGER });
}

/**
 * After a `sourceType` switch, the other kind's `<release>-source` goes when this instance owns it (docs/applications.md#chart-sources).
 * Ours carry the instance label, so a synced cache without it means there is nothing to look up.
 */
async function deleteStaleSource(pass: Pass, instance: ManagedInstance): Promise<void> {
  const type = staleSourceTypeOf(instance.spec.chart);
  const name = sourceName(instance.spec.release.name);
  const { children } = pass.deps;
  if (children.hasSynced(type) && !children.get(type, objectKey({ name, namespace: pass.current.metadata.namespace }))) return;
  const stale = await ownedChildren(pass.deps.client, type, [name], pass.current, pass.signal);
  for (const source of stale) await deleteChild(pass.deps.client, type, source, pass.signal);
}

