/**
 * The Operation webhook's hook point (operations.md §8.6). OP-1 and OP-2 (gate and cluster identity) run
 * here; OP-3 … OP-16 arrive with the Operations issue as further steps of `validate`.
 */
import { OPERATION } from "../api/groups";
import { clusterMismatchMessage, mismatchedClusterIdLabel, namespaceNotGatedMessage } from "../api/validation/identity";
import type { ObjectMeta } from "../kube/types";
import { denial, type AdmissionRequest, type Verdict } from "./review";
import { webhookPath, type AdmissionFacts, type KindWebhook } from "./rules";

export const operationWebhook: KindWebhook = {
  name: "voperation.kb.io",
  path: webhookPath(OPERATION),
  type: OPERATION,

  async validate(request: AdmissionRequest, facts: AdmissionFacts, signal: AbortSignal): Promise<Verdict> {
    const metadata = metadataOf(request.object);
    if (!metadata) return { denial: denial("ValidationFailed", "request.object is not a valid Operation: metadata is required") };
    const namespace = metadata.namespace ?? request.namespace ?? "";
    if (!(await facts.namespaceGated(namespace, signal))) {
      return { denial: denial("NamespaceNotGated", namespaceNotGatedMessage(namespace)) };
    }
    const clusterId = facts.clusterId();
    const label = mismatchedClusterIdLabel(metadata.labels, clusterId);
    if (label !== undefined) return { denial: denial("ClusterMismatch", clusterMismatchMessage(label, clusterId)) };
    return {};
  },
};

function metadataOf(object: unknown): Pick<ObjectMeta, "namespace" | "labels"> | undefined {
  if (typeof object !== "object" || object === null) return undefined;
  const metadata = (object as { metadata?: unknown }).metadata;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) return undefined;
  const { namespace, labels } = metadata as { namespace?: unknown; labels?: unknown };
  return {
    ...(typeof namespace === "string" ? { namespace } : {}),
    ...(isStringRecord(labels) ? { labels } : {}),
  };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string");
}
