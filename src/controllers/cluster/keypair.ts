/**
 * The cluster's X25519 keypair Secret (docs/connectivity.md#encrypted-payloads): generated when absent, never regenerated while it
 * exists, owned by the Cluster. The public half is recomputed from the private JWK so a stored `kid` cannot lie.
 */
import type { KubeClient } from "../../kube/client";
import { controllerReference } from "../../kube/owners";
import type { KubeObject } from "../../kube/types";
import { clusterPublicKeyOf, generateClusterKeypair, type ClusterKeypair } from "../../security";
import { encodeSecretData, secretValue, type Secret } from "../../agent/credentials/credentials";
import { writeSecret } from "./secrets";

export async function keypairFromSecret(secret: Secret | undefined): Promise<ClusterKeypair | undefined> {
  const text = secretValue(secret, "private.jwk");
  if (!text) return undefined;
  try {
    const stored = JSON.parse(text) as { d?: unknown; x?: unknown; crv?: unknown; kty?: unknown };
    if (typeof stored.d !== "string") return undefined;
    const publicJwk = await clusterPublicKeyOf(stored);
    return { publicJwk, privateJwk: { ...publicJwk, d: stored.d } };
  } catch {
    return undefined;
  }
}

/**
 * The stored keypair, or a new one written to the Secret (also when the stored one is not `usable`, e.g. it
 * belongs to a deleted Cluster); `generated` tells the caller to announce it.
 */
export async function ensureKeypair(
  client: Pick<KubeClient, "create" | "replace">,
  namespace: string,
  name: string,
  owner: KubeObject,
  existing: Secret | undefined,
  usable: boolean,
): Promise<{ keypair: ClusterKeypair; generated: boolean }> {
  const stored = usable ? await keypairFromSecret(existing) : undefined;
  if (stored) return { keypair: stored, generated: false };
  const keypair = await generateClusterKeypair();
  const secret: Secret = {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: { name, namespace, ownerReferences: [controllerReference(owner)] },
    data: encodeSecretData({ "private.jwk": JSON.stringify(keypair.privateJwk), "public.jwk": JSON.stringify(keypair.publicJwk) }),
  };
  await writeSecret(client, secret, existing);
  return { keypair, generated: true };
}
