/**
 * The field-ownership hand-over of a switch between pull and push (docs/connectivity.md#field-ownership-hand-over),
 * pure: which writer hands over to which, and the JSON patch that renames one object's `managedFields`
 * entries of the previous writer to the new one. The I/O is in ./handover.ts.
 */
import type { ConnectivityMode } from "../../api/cluster";
import { PUSH_FIELD_MANAGER } from "../../api/push-access";
import { AGENT_FIELD_MANAGER } from "../../agent/jobs/authorise";
import type { JsonPatchOp } from "../../kube/client";
import type { KubeObject } from "../../kube/types";

/** The field manager that writes the control plane's intent in a mode; GitOps has none of ours (Flux owns its fields). */
export function writerOf(mode: ConnectivityMode | undefined): string | undefined {
  if (mode === "pull") return AGENT_FIELD_MANAGER;
  if (mode === "push") return PUSH_FIELD_MANAGER;
  return undefined;
}

export interface HandOver {
  from: string;
  to: string;
}

/** The last hand-over this process started, and whether it finished. */
export interface HandOverRecord {
  to: ConnectivityMode;
  done: boolean;
}

/**
 * The hand-over a pass must run before the wanted mode takes effect: from the writer of the mode in effect
 * to the writer of the wanted one, unless it finished already. A hand-over interrupted and then switched
 * back is reversed, although the mode in effect never changed.
 */
export function handOverDue(inEffect: ConnectivityMode | undefined, wanted: ConnectivityMode, last: HandOverRecord | undefined): HandOver | undefined {
  const to = writerOf(wanted);
  if (!to) return undefined;
  const interrupted = last && !last.done ? writerOf(last.to) : undefined;
  if (interrupted && interrupted !== to) return { from: interrupted, to };
  if (last?.done && last.to === wanted) return undefined;
  const from = writerOf(inEffect);
  return from && from !== to ? { from, to } : undefined;
}

/** One `metadata.managedFields` entry as the API server serves it. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/**
 * The JSON patch that renames `from`'s entries of an object to `to`; undefined when `from` owns nothing
 * there. Every entry touched is guarded by a `test` op, so a concurrent change of it (or of the list's
 * order) fails the patch instead of being overwritten. When `to` already has an entry the API server would
 * treat as the same (manager, operation, subresource; for updates also apiVersion), the two field sets are
 * merged into it and the renamed one removed: two entries with one identity would lose one set.
 */
export function handOverPatch(object: Pick<KubeObject, "metadata">, handOver: HandOver): JsonPatchOp[] | undefined {
  const entries = (object.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  const tests: JsonPatchOp[] = [];
  const replaces: JsonPatchOp[] = [];
  const removes: number[] = [];
  entries.forEach((entry, index) => {
    if (entry.manager !== handOver.from) return;
    const path = `/metadata/managedFields/${index}`;
    tests.push({ op: "test", path, value: entry });
    const twin = entries.findIndex((other) => other.manager === handOver.to && sameIdentity(other, entry));
    if (twin < 0) {
      replaces.push({ op: "replace", path: `${path}/manager`, value: handOver.to });
      return;
    }
    tests.push({ op: "test", path: `/metadata/managedFields/${twin}`, value: entries[twin] });
    replaces.push({ op: "replace", path: `/metadata/managedFields/${twin}`, value: mergedEntry(entries[twin]!, entry) });
    removes.push(index);
  });
  if (tests.length === 0) return undefined;
  // Removing from the end first keeps the indexes of the ops that follow valid.
  const removals = removes.sort((a, b) => b - a).map((index): JsonPatchOp => ({ op: "remove", path: `/metadata/managedFields/${index}` }));
  return [...tests, ...replaces, ...removals];
}

/** The managedFields identity the API server keys ownership by. */
function sameIdentity(a: ManagedFieldsEntry, b: ManagedFieldsEntry): boolean {
  if (a.operation !== b.operation || (a.subresource ?? "") !== (b.subresource ?? "")) return false;
  return a.operation === "Apply" || a.apiVersion === b.apiVersion;
}

function mergedEntry(kept: ManagedFieldsEntry, renamed: ManagedFieldsEntry): ManagedFieldsEntry {
  const time = [kept.time, renamed.time].filter((value): value is string => value !== undefined).sort().at(-1);
  return { ...kept, ...(time ? { time } : {}), fieldsV1: unionOfFields(kept.fieldsV1 ?? {}, renamed.fieldsV1 ?? {}) };
}

/** Union of two FieldsV1 tries (`{"f:spec": {"f:x": {}}, ".": {}}`): a field owned by either is owned by the result. */
export function unionOfFields(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const union: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const mine = union[key];
    union[key] = isTrie(mine) && isTrie(value) ? unionOfFields(mine, value) : (mine ?? value);
  }
  return union;
}

function isTrie(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
