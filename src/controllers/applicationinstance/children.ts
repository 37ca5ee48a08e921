/** I/O on an instance's Flux children: apply, find, delete. Every write is scoped to objects the instance owns. */
import type { ApplicationInstance } from "../../api/applicationinstance";
import { isControlPlaneManaged } from "../../api/helmrelease-authority";
import { LABEL_APPLICATION_INSTANCE } from "../../api/labels";
import { HELM_RELEASE, type HelmRelease } from "../../flux/types";
import { applyObject } from "../../kube/apply";
import type { GetOptions, KubeClient } from "../../kube/client";
import { classifyError } from "../../kube/errors";
import { controllerOf, isControlledBy } from "../../kube/owners";
import type { KubeObject, OwnerReference, ResourceType } from "../../kube/types";
import type { DesiredChild } from "./desired";

export const FIELD_MANAGER = "vworkspace-operator";

export type ChildApi = Pick<KubeClient, "get" | "patch" | "delete">;

export async function applyChild<T extends KubeObject>(client: ChildApi, child: DesiredChild, signal: AbortSignal): Promise<T> {
  try {
    return await applyObject<T>(client, child.type, child.body, { fieldManager: FIELD_MANAGER, force: true, signal });
  } catch (err) {
    throw new Error(`applying ${child.type.kind} ${child.body.metadata.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * docs/applications.md#chart-sources, docs/applications.md#deletion: controlled by the instance, or labelled with its name. An object
 * the control plane wrote (committed to Git) is its own whatever references it still carries, so an instance never deletes it
 * (docs/connectivity.md#helmrelease-authoritative-gitops).
 */
export function ownedBy(child: KubeObject, instance: Pick<ApplicationInstance, "metadata">): boolean {
  if (isControlPlaneManaged(child)) return false;
  return isControlledBy(child, instance) || child.metadata.labels?.[LABEL_APPLICATION_INSTANCE] === instance.metadata.name;
}

/** The child's controller when that is not this instance: such a child is neither written nor deleted. */
export function foreignController(child: KubeObject | undefined, instance: Pick<ApplicationInstance, "metadata">): OwnerReference | undefined {
  const owner = child && controllerOf(child);
  return owner && owner.uid !== instance.metadata.uid ? owner : undefined;
}

/** Throws (the pass then reports ApplyFailed) when another object controls the existing child. */
export function refuseForeign(type: ResourceType, existing: KubeObject | undefined, instance: Pick<ApplicationInstance, "metadata">): void {
  const owner = foreignController(existing, instance);
  if (!owner) return;
  // The uid tells a leftover of an earlier instance of the same name apart (its garbage collection frees the name).
  throw new Error(`${type.kind} ${existing?.metadata.name} is controlled by ${owner.kind} ${owner.name} (uid ${owner.uid}), not by this instance; it is left untouched`);
}

/** The named object, or undefined when it does not exist. */
export async function getOptional<T extends KubeObject>(
  client: Pick<KubeClient, "get">,
  type: ResourceType,
  name: string,
  namespace: string,
  signal: AbortSignal,
  options: Pick<GetOptions, "resourceVersion"> = {},
): Promise<T | undefined> {
  try {
    return await client.get<T>(type, name, { namespace, signal, ...options });
  } catch (err) {
    if (classifyError(err) === "notFound") return undefined;
    throw err;
  }
}

/** The objects among `names` of `type` that exist and that the instance owns. */
export async function ownedChildren<T extends KubeObject>(
  client: ChildApi,
  type: ResourceType,
  names: readonly string[],
  instance: Pick<ApplicationInstance, "metadata">,
  signal: AbortSignal,
): Promise<T[]> {
  const namespace = instance.metadata.namespace ?? "";
  const found: Array<T | undefined> = await Promise.all(names.map((name) => getOptional<T>(client, type, name, namespace, signal)));
  return found.filter((child): child is T => child !== undefined && ownedBy(child, instance));
}

/** Deletes an owned child unless its deletion already started; a child gone meanwhile is fine. */
export async function deleteChild(client: ChildApi, type: ResourceType, child: KubeObject, signal: AbortSignal): Promise<void> {
  if (child.metadata.deletionTimestamp) return;
  const { name, namespace, uid } = child.metadata;
  try {
    await client.delete(type, name, { namespace, signal, ...(uid ? { preconditions: { uid } } : {}) });
  } catch (err) {
    if (classifyError(err) !== "notFound") throw err;
  }
}

/** helm-controller skips the Helm uninstall of a suspended release, so a deleted one is resumed (docs/applications.md#deletion). */
export async function resumeForUninstall(client: ChildApi, helmRelease: HelmRelease, signal: AbortSignal): Promise<void> {
  if (helmRelease.spec?.suspend !== true) return;
  const { name, namespace } = helmRelease.metadata;
  try {
    await client.patch(HELM_RELEASE, name, { type: "merge", body: { spec: { suspend: false } } }, { namespace, signal, fieldManager: FIELD_MANAGER });
  } catch (err) {
    if (classifyError(err) !== "notFound") throw err;
  }
}
