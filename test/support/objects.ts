/** Reading objects that may legitimately be absent (deleted, not created yet) in tests. */
import type { KubeClient } from "../../src/kube/client";
import { classifyError } from "../../src/kube/errors";
import type { KubeObject, ResourceType } from "../../src/kube/types";

/** The object, or undefined on 404; any other error is thrown. `namespace` is undefined for a cluster-scoped type. */
export async function getIfPresent<T extends KubeObject>(client: KubeClient, type: ResourceType, name: string, namespace: string | undefined): Promise<T | undefined> {
  try {
    return await client.get<T>(type, name, { namespace });
  } catch (err) {
    if (classifyError(err) === "notFound") return undefined;
    throw err;
  }
}
