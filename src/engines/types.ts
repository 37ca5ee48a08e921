/**
 * The contract between the Operation controller and its engines (docs/operations.md#how-an-operation-runs, docs/operations.md#timeouts, docs/operations.md#cancellation-and-deletion, docs/operations.md#retention-of-children, docs/operations.md#watches-and-writes, docs/operations.md#engines).
 *
 * An engine is data in, data out: the controller gathers observed state (the Operation, its target, the
 * children found by the `ops.vworkspace.io/operation=<uid>` label, engine-specific facts read through a
 * `ChildReader`) and performs every write the engine asks for. Engines never hold a client.
 */
import type { ApplicationInstance } from "../api/applicationinstance";
import type { Operation, OperationEngine, OperationType } from "../api/operation";
import type { KubeObject, ResourceType } from "../kube/types";
import type { OperationTemplate } from "../operations/templates";

/** Operator settings the engines need (flags of docs/operations.md#engines). */
export interface EngineSettings {
  /** `--velero-namespace` (default `velero`). */
  veleroNamespace: string;
  /** `--child-ttl` in seconds (default 86400): expiry of kept failed snapshots, sweep of VolSync objects. */
  childTtlSeconds: number;
  /** `--upgrade-stuck-after` in ms (default 5 min): how long a non-release `Ready=False` may last (docs/operations.md#helm). */
  upgradeStuckAfterMs: number;
}

/** Everything an engine may know about the Operation it works for; built by the controller per pass. */
export interface EngineContext<P = unknown> {
  /** The Operation as read from the cache (status included: `outputs`, `startedAt`, …). */
  operation: Operation;
  /** The Operation's UID: the ownership label value every child carries. */
  uid: string;
  /** The target ApplicationInstance; undefined when it is gone (only possible while monitoring). */
  target: ApplicationInstance | undefined;
  /** The target's `spec.release.namespace` when set, else its namespace (docs/operations.md#engines). */
  childNamespace: string;
  /** The matched template (ref, reasons, default timeout). */
  template: OperationTemplate;
  /** `spec.parameters` decoded with the template's parameter schema (defaults applied). */
  parameters: P;
  /** The effective timeout (docs/operations.md#timeouts) in seconds; Job and Workflow children use it as activeDeadlineSeconds. */
  timeoutSeconds: number;
  /** The controller's clock reading for this pass. */
  now: Date;
  settings: EngineSettings;
}

/**
 * Read-only access to live objects; a missing object is `undefined` (or an empty list), never an error.
 * Listed items carry `apiVersion` and `kind` like cached ones.
 */
export interface ChildReader {
  get(type: ResourceType, namespace: string | undefined, name: string, signal: AbortSignal): Promise<KubeObject | undefined>;
  list(type: ResourceType, namespace: string, labelSelector: string | undefined, signal: AbortSignal): Promise<KubeObject[]>;
}

/** The outcome of `prepare`: the facts `desiredChildren` needs, or why the Operation cannot start yet. */
export type Preparation<F> =
  | { ready: true; facts: F }
  /** Precondition 6 (`DependencyMissing`) or another Blocked reason; re-evaluated on later passes. */
  | { ready: false; reason: string; message: string }
  /** A permanent start failure (e.g. no PVC matches the selector): the Operation fails with `reason`. */
  | { ready: false; permanent: true; reason: string; message: string };

/** One object the controller writes to start the engine. */
export interface DesiredChild {
  type: ResourceType;
  object: KubeObject;
  /**
   * `create`: POST; "already exists" adopts the object when its UID label matches, else the Operation
   * fails with `WorkloadOwnershipConflict`. `apply`: server-side apply with `fieldManager` and force
   * (the helm engine's version bump of the target). `merge`: JSON merge patch (RFC 7386) of `object`
   * under `fieldManager`, the helm engine's write of the target: `null` must delete a values key that
   * another manager owns, which server-side apply cannot express.
   */
  mode: "create" | "apply" | "merge";
  fieldManager?: string;
}

/** Reference to a child, as written into `status.engineRef` / `status.logsRef`. */
export interface ChildRef {
  kind: string;
  name: string;
  namespace?: string;
}

/** What the start status write records besides the "child created" condition row. */
export interface StartRecord {
  engineRef: ChildRef;
  /** Written for Job and Workflow children (`url` empty). */
  logsRef?: ChildRef & { url: string };
  /** Outputs known at start; string values only. */
  outputs: Record<string, string>;
}

/** The engine's verdict on the observed children. */
export type Progress =
  | {
      state: "running";
      /** The `Running` condition message (only the message changes while running). */
      message: string;
      outputs?: Record<string, string>;
      /** Re-evaluate after this delay even without a watch event (time-based verdicts, e.g. upgrade stuck). */
      recheckAfterMs?: number;
    }
  | {
      state: "succeeded";
      message: string;
      outputs?: Record<string, string>;
      /** Set for a partial success (Velero `PartiallyFailed`): `Degraded=True/<reason>`. */
      degraded?: { reason: string; message: string };
    }
  | { state: "failed"; reason: string; message: string; outputs?: Record<string, string> }
  /** The expected child is absent: the controller waits `--missing-workload-grace`, then `WorkloadMissing`. */
  | { state: "missing"; message: string };

/** A write the controller performs on an owned child (cancel, timeout, after failure). */
export type ChildAction =
  | { action: "delete"; type: ResourceType; namespace: string; name: string; propagationPolicy?: "Background" | "Foreground" | "Orphan" }
  /** JSON merge patch (e.g. `{spec: {shutdown: "Terminate"}}`, `{spec: {paused: true}}`). */
  | { action: "patch"; type: ResourceType; namespace: string; name: string; patch: Record<string, unknown> };

/** The observed children of one Operation, grouped as the engine needs them. */
export interface ObservedChildren {
  /** Objects of `childTypes` carrying this Operation's UID label (ownership already verified). */
  owned: KubeObject[];
}

/**
 * One engine. Every function is pure except `prepare`, which only reads. `F` is the facts type that
 * `prepare` hands to `desiredChildren`; `P` is the decoded parameters type of its templates.
 */
export interface Engine<P = unknown, F = unknown> {
  /** The `spec.engine` value this engine serves. */
  readonly name: OperationEngine;
  /** The Operation types it starts (the templates of docs/operations.md#templates pairing them with `name`). */
  readonly types: readonly OperationType[];
  /** APIs that must be served before it can start (precondition 6 → `DependencyMissing`). */
  readonly requires: readonly ResourceType[];
  /**
   * Child kinds the controller watches, selected by the `ops.vworkspace.io/operation` label, so that
   * progress arrives by watch events (no polling). The helm engine lists none: the target AI is watched.
   */
  readonly childTypes: readonly ResourceType[];
  /** Namespace its children live in (`childNamespace`, or the Velero namespace). */
  childNamespaceOf(context: EngineContext<P>): string;
  /**
   * Precondition 6 and engine-specific reads before start (runner ServiceAccount, Velero namespace,
   * VolumeSnapshotClass driver, matching PVCs, …). Called on every start attempt.
   */
  prepare(context: EngineContext<P>, reader: ChildReader, signal: AbortSignal): Promise<Preparation<F>>;
  /** The objects that start the engine; deterministic names, labels per docs/operations.md#engines. Pure. */
  desiredChildren(context: EngineContext<P>, facts: F): DesiredChild[];
  /** engineRef, logsRef and start outputs, from the objects as the API server returned them. Pure. */
  started(context: EngineContext<P>, written: readonly KubeObject[]): StartRecord;
  /** Map the observed children (and target) to a verdict through the engine's table (docs/operations.md#engines). Pure. */
  observe(context: EngineContext<P>, children: ObservedChildren): Progress;
  /** What cancellation and timeout do to the owned children (docs/operations.md#cancellation-and-deletion); empty when nothing is to be done. Pure. */
  cancel(context: EngineContext<P>, children: ObservedChildren): ChildAction[];
  /** What happens to the owned children after a `failed` verdict (VolSync pause, snapshot expiry). Pure. */
  afterFailure(context: EngineContext<P>, children: ObservedChildren): ChildAction[];
}

/** Any engine, as stored in the registry. */
export type AnyEngine = Engine<any, any>;
