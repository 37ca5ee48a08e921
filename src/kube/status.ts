/**
 * Status writes with write discipline (docs/concepts.md#conditions): compute, compare with what is stored, write only
 * on a difference. Every write that goes out is reported through `onWrite` so metrics and tests
 * can count them ("zero status writes on an unchanged pass").
 */
import { applyStatus, type ApplyApi } from "./apply";
import type { KubeClient } from "./client";
import { deepEqual } from "./equality";
import type { KubeObject, ResourceType } from "./types";

export type StatusApi = ApplyApi & Pick<KubeClient, "patchStatus">;

export interface StatusWriterOptions {
  client: StatusApi;
  fieldManager?: string;
  force?: boolean;
  /** Top-level status fields that never justify a write on their own. */
  ignoreFields?: readonly string[];
  onWrite?(type: ResourceType): void;
}

export interface StatusWriteResult<T extends KubeObject> {
  written: boolean;
  /** The server's answer after a write, else `current`. */
  object: T;
}

type Status = Record<string, unknown>;

/** Enough for every object a busy controller writes between two of its cache updates. */
const REMEMBERED_WRITES = 1_024;

export class StatusWriter {
  readonly #client: StatusApi;
  readonly #fieldManager: string;
  readonly #force: boolean;
  readonly #ignore: readonly string[];
  readonly #onWrite: ((type: ResourceType) => void) | undefined;
  /**
   * The last status applied per object and the resourceVersion it was applied over. A pass that still
   * reads that version from its cache (the watch event of our own write has not arrived) and wants the
   * same status would repeat a write the server already holds.
   */
  readonly #lastApplied = new Map<string, { over: string | undefined; status: Status }>();

  constructor(options: StatusWriterOptions) {
    this.#client = options.client;
    this.#fieldManager = options.fieldManager ?? "vworkspace-operator";
    this.#force = options.force ?? true;
    this.#ignore = options.ignoreFields ?? ["lastReconcileTime"];
    this.#onWrite = options.onWrite;
  }

  /** Server-side apply of `desired` as this manager's whole status, unless it equals the stored one. */
  async apply<T extends KubeObject>(
    type: ResourceType,
    current: T,
    desired: Status,
    options: { signal?: AbortSignal } = {},
  ): Promise<StatusWriteResult<T>> {
    const key = writeKey(type, current);
    const last = this.#lastApplied.get(key);
    this.#lastApplied.delete(key);
    if (last && last.over === current.metadata.resourceVersion && statusEqual(withoutTransitionTimes(last.status), withoutTransitionTimes(desired), this.#ignore)) {
      this.#lastApplied.set(key, last);
      return { written: false, object: current };
    }
    if (statusEqual(current.status, desired, this.#ignore)) return { written: false, object: current };
    this.#onWrite?.(type);
    const object = await applyStatus<T>(this.#client, type, current, desired, {
      fieldManager: this.#fieldManager,
      force: this.#force,
      signal: options.signal,
    });
    this.#remember(key, current.metadata.resourceVersion, desired);
    return { written: true, object };
  }

  /**
   * JSON merge patch of the status subresource, guarded by the resourceVersion of `current`
   * (409 when stale). Fields present in the stored status but absent from `desired` are removed.
   */
  async mergePatch<T extends KubeObject>(
    type: ResourceType,
    current: T,
    desired: Status,
    options: { signal?: AbortSignal } = {},
  ): Promise<StatusWriteResult<T>> {
    this.#lastApplied.delete(writeKey(type, current));
    if (statusEqual(current.status, desired, this.#ignore)) return { written: false, object: current };
    this.#onWrite?.(type);
    const body = {
      metadata: { resourceVersion: current.metadata.resourceVersion },
      status: withRemovals(asStatus(current.status), desired),
    };
    const object = await this.#client.patchStatus<T>(type, current.metadata.name, { type: "merge", body }, {
      namespace: current.metadata.namespace,
      signal: options.signal,
    });
    return { written: true, object };
  }

  #remember(key: string, over: string | undefined, status: Status): void {
    this.#lastApplied.set(key, { over, status });
    if (this.#lastApplied.size > REMEMBERED_WRITES) this.#lastApplied.delete(this.#lastApplied.keys().next().value as string);
  }
}

/**
 * A pass reading the version our write went over sees none of the conditions we wrote, so each looks like
 * a transition and gets a new lastTransitionTime: that alone is no reason to write again.
 */
function withoutTransitionTimes(status: Status): Status {
  const conditions = status.conditions;
  if (!Array.isArray(conditions)) return status;
  return { ...status, conditions: conditions.map((condition) => (typeof condition === "object" && condition !== null ? { ...condition, lastTransitionTime: undefined } : condition)) };
}

function writeKey(type: ResourceType, object: KubeObject): string {
  return `${type.group}/${type.plural}/${object.metadata.namespace ?? ""}/${object.metadata.name}/${object.metadata.uid ?? ""}`;
}

export function statusEqual(stored: unknown, desired: Status, ignoreFields: readonly string[] = []): boolean {
  return deepEqual(without(asStatus(stored), ignoreFields), without(desired, ignoreFields));
}

function withRemovals(stored: Status, desired: Status): Status {
  const patch: Status = { ...desired };
  for (const key of Object.keys(stored)) if (!(key in desired)) patch[key] = null;
  return patch;
}

function without(status: Status, fields: readonly string[]): Status {
  if (fields.length === 0) return status;
  return Object.fromEntries(Object.entries(status).filter(([key]) => !fields.includes(key)));
}

function asStatus(value: unknown): Status {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Status) : {};
}
