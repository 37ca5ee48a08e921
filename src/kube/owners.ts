/**
 * Ownership and finalizers. Finalizer edits are JSON patches that carry the resourceVersion the
 * decision was based on, so a concurrent change makes the API server answer 409 instead of the
 * patch silently applying to a newer object.
 */
import type { JsonPatchOp, KubeClient } from "./client";
import { isNotFound } from "./errors";
import type { KubeObject, OwnerReference, ResourceType } from "./types";

/** The ownerReference a controller puts on its children: garbage collection follows the owner. */
export function controllerReference(owner: KubeObject, options: { blockOwnerDeletion?: boolean } = {}): OwnerReference {
  const { name, uid } = owner.metadata;
  if (!uid) throw new Error(`${owner.kind} ${name} has no uid: only stored objects can own others`);
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name,
    uid,
    controller: true,
    blockOwnerDeletion: options.blockOwnerDeletion ?? true,
  };
}

export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((owner) => owner.controller === true);
}

export function isControlledBy(object: KubeObject, owner: Pick<KubeObject, "metadata">): boolean {
  const uid = owner.metadata.uid;
  return uid !== undefined && controllerOf(object)?.uid === uid;
}

export function hasFinalizer(object: KubeObject, finalizer: string): boolean {
  return object.metadata.finalizers?.includes(finalizer) ?? false;
}

export function isDeleting(object: KubeObject): boolean {
  return object.metadata.deletionTimestamp !== undefined;
}

/** Patch operations adding `finalizer`, or undefined when present already. */
export function addFinalizerOps(object: KubeObject, finalizer: string): JsonPatchOp[] | undefined {
  if (hasFinalizer(object, finalizer)) return undefined;
  const finalizers = object.metadata.finalizers;
  return [
    guard(object),
    finalizers && finalizers.length > 0
      ? { op: "add", path: "/metadata/finalizers/-", value: finalizer }
      : { op: "add", path: "/metadata/finalizers", value: [finalizer] },
  ];
}

/** Patch operations removing `finalizer` (checked in place first), or undefined when absent. */
export function removeFinalizerOps(object: KubeObject, finalizer: string): JsonPatchOp[] | undefined {
  const index = object.metadata.finalizers?.indexOf(finalizer) ?? -1;
  if (index < 0) return undefined;
  const path = `/metadata/finalizers/${index}`;
  return [guard(object), { op: "test", path, value: finalizer }, { op: "remove", path }];
}

export type FinalizerApi = Pick<KubeClient, "patch">;

/** Adds the finalizer; returns the updated object (or `object` when nothing had to change). */
export async function addFinalizer<T extends KubeObject>(
  client: FinalizerApi,
  type: ResourceType,
  object: T,
  finalizer: string,
): Promise<T> {
  return patchFinalizers(client, type, object, addFinalizerOps(object, finalizer));
}

/**
 * Removes the finalizer; returns the updated object. An object already gone (404) is what the removal was
 * for: a pass working from a cached copy that still shows the finalizer after an earlier pass removed it
 * gets that answer, and it is not an error.
 */
export async function removeFinalizer<T extends KubeObject>(
  client: FinalizerApi,
  type: ResourceType,
  object: T,
  finalizer: string,
): Promise<T> {
  try {
    return await patchFinalizers(client, type, object, removeFinalizerOps(object, finalizer));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return { ...object, metadata: { ...object.metadata, finalizers: object.metadata.finalizers?.filter((name) => name !== finalizer) } };
  }
}

async function patchFinalizers<T extends KubeObject>(
  client: FinalizerApi,
  type: ResourceType,
  object: T,
  ops: JsonPatchOp[] | undefined,
): Promise<T> {
  if (!ops) return object;
  return client.patch<T>(type, object.metadata.name, { type: "json", ops }, { namespace: object.metadata.namespace });
}

/** Setting resourceVersion in a patch makes the write conditional on it (409 Conflict when stale). */
function guard(object: KubeObject): JsonPatchOp {
  const resourceVersion = object.metadata.resourceVersion;
  if (!resourceVersion) throw new Error(`${object.kind} ${object.metadata.name} has no resourceVersion to guard on`);
  return { op: "replace", path: "/metadata/resourceVersion", value: resourceVersion };
}
