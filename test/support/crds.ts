/**
 * docs/development.md#preload-and-the-shared-cluster step 3: our CRDs and every third-party CRD the engines need, applied once per bundle.
 * The bundle hash is recorded on the local-cluster marker so later runs skip the work.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { customResourceDefinitions } from "../../src/api/crd/generate";
import { applyObject } from "../../src/kube/apply";
import type { KubeClient } from "../../src/kube/client";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { CRD_TYPE, crdEstablished } from "../../src/manager/crds";
import { readEnvFile } from "../../scripts/local-cluster";
import { eventually } from "./eventually";

const MARKER = { namespace: "kube-system", name: "vworkspace-local-cluster" };
const CONFIG_MAPS: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };

/** The engines' and Flux's CRDs that scripts/k8s-bins.sh collected. */
export function thirdPartyCrds(repoRoot: string): KubeObject[] {
  const crdDir = process.env.VWS_CRD_DIR || readEnvFile(join(repoRoot, ".local/k8s-bins.env")).VWS_CRD_DIR;
  if (!crdDir) throw new Error("VWS_CRD_DIR unknown: run `bash scripts/k8s-bins.sh` first");
  return readdirSync(crdDir)
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .flatMap((file) => YAML.parseAllDocuments(readFileSync(join(crdDir, file), "utf8")).map((doc) => doc.toJS() as KubeObject))
    .filter((doc) => doc?.kind === "CustomResourceDefinition");
}

export async function installTestCrds(client: KubeClient, repoRoot: string): Promise<void> {
  const crds = [...(customResourceDefinitions() as unknown as KubeObject[]), ...thirdPartyCrds(repoRoot)];
  const hash = new Bun.CryptoHasher("sha256").update(JSON.stringify(crds)).digest("hex").slice(0, 16);
  const marker = await client.get(CONFIG_MAPS, MARKER.name, { namespace: MARKER.namespace });
  if ((marker.data as Record<string, string> | undefined)?.crdBundleHash === hash) return;
  for (const crd of crds) await applyObject(client, CRD_TYPE, crd, { fieldManager: "vws-tests", force: true });
  for (const crd of crds) {
    await eventually(async () => crdEstablished(await client.get(CRD_TYPE, crd.metadata.name)), { what: `CRD ${crd.metadata.name} Established` });
  }
  await client.patch(CONFIG_MAPS, MARKER.name, { type: "merge", body: { data: { crdBundleHash: hash } } }, { namespace: MARKER.namespace });
}
