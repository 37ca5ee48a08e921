/**
 * The certificate Secret of docs/operations.md#serving-certificate: codec (pure) and the leader's create-or-renew step.
 * Races between replicas resolve through the API server: a create conflict or a stale update re-reads.
 */
import type { KubeClient } from "../kube/client";
import { classifyError } from "../kube/errors";
import type { KubeObject, ResourceType } from "../kube/types";
import {
  createCertificates,
  renewalPlan,
  renewCertificates,
  type CertificatePolicy,
  type SubjectNames,
  type WebhookCertificates,
} from "./certificates";

export const SECRET_TYPE: ResourceType = { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true };

const KEYS = { caPem: "ca.crt", caKeyPem: "ca.key", certPem: "tls.crt", keyPem: "tls.key" } as const;

/** The certificates in a Secret, or undefined when a key is missing (e.g. cert-manager still issuing). */
export function certificatesFromSecret(secret: KubeObject): WebhookCertificates | undefined {
  const data = (secret.data ?? {}) as Record<string, string | undefined>;
  const read = (key: string) => (data[key] ? Buffer.from(data[key], "base64").toString("utf8") : undefined);
  const caPem = read(KEYS.caPem);
  const certPem = read(KEYS.certPem);
  const keyPem = read(KEYS.keyPem);
  if (!caPem || !certPem || !keyPem) return undefined;
  return { caPem, caKeyPem: read(KEYS.caKeyPem) ?? "", certPem, keyPem };
}

export function secretFromCertificates(name: string, namespace: string, certs: WebhookCertificates, resourceVersion?: string): KubeObject {
  const data = Object.fromEntries(Object.entries(KEYS).map(([field, key]) => [key, Buffer.from(certs[field as keyof WebhookCertificates]).toString("base64")]));
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/tls",
    metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "vworkspace-operator" }, ...(resourceVersion ? { resourceVersion } : {}) },
    data,
  };
}

export interface EnsureOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  names: SubjectNames;
  policy: CertificatePolicy;
  now: Date;
  signal?: AbortSignal;
}

export type EnsureOutcome = "created" | "renewed-serving" | "renewed-ca" | "unchanged" | "lost-race";

/** Leader only (self-signed mode): creates the Secret if absent, renews what the policy says is due. */
export async function ensureCertificateSecret(options: EnsureOptions): Promise<EnsureOutcome> {
  const { client, namespace, name, names, policy, now, signal } = options;
  const existing = await readSecret(client, namespace, name, signal);
  const current = existing && certificatesFromSecret(existing);
  if (!existing || !current || !current.caKeyPem) {
    const certs = await createCertificates(names, now, policy);
    try {
      if (existing) await client.replace(SECRET_TYPE, secretFromCertificates(name, namespace, certs, existing.metadata.resourceVersion), { signal });
      else await client.create(SECRET_TYPE, secretFromCertificates(name, namespace, certs), { signal });
      return "created";
    } catch (err) {
      if (isLostRace(err)) return "lost-race";
      throw new Error(`write webhook certificate Secret ${namespace}/${name}: ${(err as Error).message}`, { cause: err });
    }
  }
  const plan = renewalPlan(current, names, now, policy);
  if (plan === "keep") return "unchanged";
  const renewed = await renewCertificates(current, plan, names, now, policy);
  try {
    await client.replace(SECRET_TYPE, secretFromCertificates(name, namespace, renewed, existing.metadata.resourceVersion), { signal });
    return plan === "ca" ? "renewed-ca" : "renewed-serving";
  } catch (err) {
    if (isLostRace(err)) return "lost-race";
    throw new Error(`renew webhook certificate Secret ${namespace}/${name}: ${(err as Error).message}`, { cause: err });
  }
}

async function readSecret(client: KubeClient, namespace: string, name: string, signal?: AbortSignal): Promise<KubeObject | undefined> {
  try {
    return await client.get(SECRET_TYPE, name, { namespace, signal });
  } catch (err) {
    if (classifyError(err) === "notFound") return undefined;
    throw new Error(`read webhook certificate Secret ${namespace}/${name}: ${(err as Error).message}`, { cause: err });
  }
}

function isLostRace(err: unknown): boolean {
  const kind = classifyError(err);
  return kind === "conflict" || kind === "alreadyExists";
}
