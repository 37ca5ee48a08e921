/** Secrets the Cluster controller reads and writes in the operator namespace. */
import type { KubeClient } from "../../kube/client";
import { classifyError } from "../../kube/errors";
import type { ResourceType } from "../../kube/types";
import type { Secret } from "../../agent/credentials/credentials";

export const SECRET: ResourceType = { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true };

export async function readSecret(client: Pick<KubeClient, "get">, namespace: string, name: string): Promise<Secret | undefined> {
  try {
    return await client.get<Secret>(SECRET, name, { namespace });
  } catch (err) {
    if (classifyError(err) === "notFound") return undefined;
    throw err;
  }
}

/** Creates the Secret, or replaces it at the resourceVersion it was read at (409 when it moved). */
export async function writeSecret(client: Pick<KubeClient, "create" | "replace">, secret: Secret, existing: Secret | undefined): Promise<Secret> {
  if (!existing) return client.create<Secret>(SECRET, secret);
  return client.replace<Secret>(SECRET, { ...secret, metadata: { ...secret.metadata, resourceVersion: existing.metadata.resourceVersion } });
}
