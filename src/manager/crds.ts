/** Installs the operator's own CRDs (binary mode, `npm start`) and tells whether they are served. */
import { customResourceDefinitions } from "../api/crd/generate";
import { APPLICATION_INSTANCE, CLUSTER, OPERATION } from "../api/groups";
import { applyObject } from "../kube/apply";
import type { KubeClient } from "../kube/client";
import type { Discovery } from "../kube/discovery";
import type { KubeObject, ResourceType } from "../kube/types";
import type { CheckResult } from "../observability/health";

export const CRD_TYPE: ResourceType = {
  group: "apiextensions.k8s.io",
  version: "v1",
  kind: "CustomResourceDefinition",
  plural: "customresourcedefinitions",
  namespaced: false,
};

const OWN_KINDS = [APPLICATION_INSTANCE, OPERATION, CLUSTER] as const;

const ESTABLISH_TIMEOUT_MS = 30_000;

export function crdEstablished(crd: KubeObject): boolean {
  const conditions = (crd.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conditions.some((condition) => condition.type === "Established" && condition.status === "True");
}

export async function installCrds(client: KubeClient, signal?: AbortSignal): Promise<void> {
  const crds = customResourceDefinitions() as unknown as KubeObject[];
  for (const crd of crds) {
    await applyObject(client, CRD_TYPE, crd, { fieldManager: "vworkspace-operator", force: true, signal });
  }
  const deadline = Date.now() + ESTABLISH_TIMEOUT_MS;
  for (const crd of crds) {
    while (!crdEstablished(await client.get(CRD_TYPE, crd.metadata.name, { signal }))) {
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not Established after ${ESTABLISH_TIMEOUT_MS / 1000}s`);
      await Bun.sleep(100);
    }
  }
}

export async function ownCrdsServed(discovery: Discovery, signal?: AbortSignal): Promise<CheckResult> {
  const served = await Promise.all(OWN_KINDS.map((kind) => discovery.isServed(kind, signal)));
  const missing = OWN_KINDS.filter((_, i) => !served[i]).map((kind) => `${kind.plural}.${kind.group}`);
  return missing.length === 0 ? { ok: true, message: "served" } : { ok: false, message: `not served: ${missing.join(", ")}` };
}
