/**
 * The Operation webhook (docs/operations.md#operation-rules): OP-1 and OP-2 (gate and cluster identity), OP-3 … OP-5 on
 * UPDATE, the shared rules OP-6 … OP-15 (operations/rules.ts, also run by the reconciler) and OP-16 (claim
 * verification on CREATE and on UPDATEs that change the claim). Never a concurrency rule (docs/operations.md#concurrency).
 */
import { OPERATION } from "../api/groups";
import { clusterMismatchMessage, mismatchedClusterIdLabel, namespaceNotGatedMessage } from "../api/validation/identity";
import type { ObjectMeta } from "../kube/types";
import { verifyClaim } from "../operations/approval-claim";
import { evaluateOperationRules, operationWarnings, type LooseSpec } from "../operations/rules";
import { updateViolation } from "./operation-update";
import { asRecord } from "../policy/shape";
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

    const spec = specOf(request.object);
    const oldSpec = request.operation === "UPDATE" ? specOf(request.oldObject) : undefined;
    if (oldSpec) {
      const violation = updateViolation(oldSpec, spec, phaseOf(request.oldObject));
      if (violation) return { denial: denial(violation.reason, violation.message) };
    }

    const operations = facts.operations;
    if (!operations) return { denial: denial("InternalError", "the Operation rules have no cluster facts configured") };
    const outcome = await evaluateOperationRules(namespace, spec, operations, "admission", signal);
    if (!outcome.ok) return { denial: denial(outcome.violation.reason, outcome.violation.message) };

    const claim = claimOf(spec);
    const claimChanged = oldSpec === undefined || claimOf(oldSpec) !== claim;
    if (claim !== "" && claimChanged) {
      const verified = verifyClaim(claim, operations.approvalClaimSecret, metadata.name ?? "", operations.now());
      if (!verified.ok) return { denial: denial("ApprovalClaimInvalid", `spec.approvals.claim: ${verified.error}`) };
    }
    const warnings = operationWarnings(outcome.value.template, spec);
    return warnings.length > 0 ? { warnings } : {};
  },
};

function specOf(object: unknown): LooseSpec {
  return (asRecord(asRecord(object)?.spec) ?? {}) as LooseSpec;
}

function phaseOf(object: unknown): string {
  const phase = asRecord(asRecord(object)?.status)?.phase;
  return typeof phase === "string" ? phase : "";
}

function claimOf(spec: LooseSpec): string {
  const claim = asRecord(spec.approvals)?.claim;
  return typeof claim === "string" ? claim : "";
}

function metadataOf(object: unknown): Pick<ObjectMeta, "namespace" | "labels"> & { name?: string } | undefined {
  const metadata = asRecord(asRecord(object)?.metadata);
  if (!metadata) return undefined;
  const { namespace, labels, name } = metadata;
  return {
    ...(typeof namespace === "string" ? { namespace } : {}),
    ...(typeof name === "string" ? { name } : {}),
    ...(isStringRecord(labels) ? { labels } : {}),
  };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string");
}
