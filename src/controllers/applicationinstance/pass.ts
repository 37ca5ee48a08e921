/** The deps and state of one reconcile pass, and the status report every step ends with. */
import type { ApplicationInstance } from "../../api/applicationinstance";
import type { HelmRelease } from "../../flux/types";
import { APPLICATION_INSTANCE } from "../../api/groups";
import type { Clock } from "../../kube/clock";
import type { EventRecorder } from "../../kube/events";
import type { FinalizerApi } from "../../kube/owners";
import type { StatusWriter } from "../../kube/status";
import type { AppliedObjects } from "../../kube/applied";
import type { ReleasedFinalizers } from "../../kube/released-finalizers";
import type { KubeObject, ResourceType } from "../../kube/types";
import type { ChildApi } from "./children";
import { mapConditions, type Situation } from "./conditions";
import type { ChildSettings } from "./desired";
import { desiredStatus, transitionEvents, type AppliedRefs } from "./status";

export interface ReconcilerSettings extends Omit<ChildSettings, "clusterId" | "serviceAccountName"> {
  uninstallTimeoutMs: number;
  /**
   * Nothing announces that Flux's CRDs were installed (a CRD watch would cache megabytes of schemas), so an
   * instance blocked on them looks again after this long; discovery answers from a shared cache.
   */
  dependencyRecheckMs: number;
}

export interface ReconcilerDeps {
  client: ChildApi & FinalizerApi;
  instances: { get(key: string): KubeObject | undefined };
  /** Informer copies of the Flux children: they let a pass skip applies and lookups that would change nothing. */
  children: ChildCache;
  applied: AppliedObjects;
  /** Instances whose finalizer was removed and whose deletion the informer has not delivered yet. */
  released: ReleasedFinalizers;
  /** Gate state and labels of the instance's namespace (the labels name its Flux tenant). */
  gate: { isGated(namespace: string): boolean; labels(namespace: string): Readonly<Record<string, string>> | undefined };
  /** The honoured Cluster's id, read at every pass: it can change while the operator runs. */
  clusterId(): string;
  /** Whether helm.toolkit.fluxcd.io/v2 and source.toolkit.fluxcd.io/v1 are served (docs/applications.md#reconcile-flow step 8). */
  fluxServed(signal: AbortSignal): Promise<boolean>;
  /** docs/connectivity.md#helmrelease-authoritative-gitops: HelmReleases come from Git; nothing is materialised. */
  helmReleasesAuthoritative(): boolean;
  /** The control-plane-managed (committed) HelmRelease of that name, from its informer cache. */
  committedHelmRelease(namespace: string, name: string): HelmRelease | undefined;
  status: Pick<StatusWriter, "apply" | "mergePatch">;
  events: Pick<EventRecorder, "record">;
  clock: Clock;
  settings: ReconcilerSettings;
}

/** The informer caches of the instances' Flux children, by type. */
export interface ChildCache {
  get(type: ResourceType, key: string): KubeObject | undefined;
  hasSynced(type: ResourceType): boolean;
}

/** The state of one pass: the latest stored object, replaced after every write that returns it. */
export interface Pass {
  readonly deps: ReconcilerDeps;
  readonly signal: AbortSignal;
  current: ApplicationInstance;
}

/**
 * Maps the situation to conditions and writes the status when it changed (docs/concepts.md#conditions), with one Event
 * per condition transition. Keeps `pass.current` up to date for later guarded writes.
 */
export async function report(pass: Pass, situation: Situation, refs: AppliedRefs = { kind: "keep" }): Promise<void> {
  const { deps, current } = pass;
  const now = deps.clock.now();
  const previous = current.status?.conditions;
  const conditions = mapConditions({
    situation,
    previous,
    generation: current.metadata.generation,
    suspend: current.spec?.suspend === true,
    now,
  });
  const status = desiredStatus(current, conditions, refs, now);
  // Apply removes only fields this manager owned; refs another writer left (the Go operator) need a merge patch.
  const options = { signal: pass.signal };
  const result =
    refs.kind === "clear" && hasStaleRefs(current)
      ? await deps.status.mergePatch(APPLICATION_INSTANCE, current, status, options)
      : await deps.status.apply(APPLICATION_INSTANCE, current, status, options);
  if (!result.written) return;
  pass.current = result.object;
  for (const event of transitionEvents(previous, conditions)) deps.events.record(result.object, event);
}

function hasStaleRefs({ status }: ApplicationInstance): boolean {
  return status?.helmReleaseRef !== undefined || status?.lastAppliedChart !== undefined || status?.endpoints !== undefined;
}
