/**
 * Acting as an engine that does not run here (docs/development.md#engines-that-cannot-run-here): writing the child's status the way its
 * controller would. Velero and Argo CRDs have no status subresource (status goes through the main
 * resource); snapshot and VolSync CRDs have one, and writes to the main resource would drop it.
 */
import { LABEL_OPERATION } from "../../../../src/api/labels";
import type { KubeClient } from "../../../../src/kube/client";
import type { KubeObject, ResourceType } from "../../../../src/kube/types";

const STATUS_ON_MAIN_RESOURCE = new Set(["velero.io", "argoproj.io"]);

export function actAsEngine(client: KubeClient, type: ResourceType, namespace: string, name: string, status: Record<string, unknown>): Promise<KubeObject> {
  const patch = { type: "merge" as const, body: { status } };
  return STATUS_ON_MAIN_RESOURCE.has(type.group)
    ? client.patch(type, name, patch, { namespace })
    : client.patchStatus(type, name, patch, { namespace });
}

/** Every object of `type` in `namespace` created for the Operation with this UID. */
export async function childrenOf(client: KubeClient, type: ResourceType, namespace: string, uid: string): Promise<KubeObject[]> {
  return (await client.list(type, { namespace, labelSelector: `${LABEL_OPERATION}=${uid}` })).items;
}
