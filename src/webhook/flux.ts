/**
 * The Flux webhooks (docs/operations.md#flux-object-rules): a HelmRelease, HelmRepository or OCIRepository the
 * control plane writes (labelled `app.vworkspace.io/managed-by=control-plane`, or written as its
 * ServiceAccount, which is what kustomize-controller impersonates in GitOps mode) must be in a gated namespace
 * and pass the tenant lockdown of src/policy/flux.ts. Jobs get that lockdown by rewriting; admission never
 * mutates, so here a HelmRelease must name the tenant ServiceAccount itself. Every other Flux write is
 * not the control plane's and passes untouched; `matchConditions` keep it from reaching the webhook at all,
 * so a stopped operator cannot block Flux outside what the control plane writes.
 */
import { LABEL_MANAGED_BY, MANAGED_BY_CONTROL_PLANE } from "../api/labels";
import { CONTROL_PLANE_SERVICE_ACCOUNT } from "../api/push-access";
import { tenantServiceAccount } from "../api/tenant";
import { namespaceNotGatedMessage } from "../api/validation/identity";
import { HELM_RELEASE, HELM_REPOSITORY, OCI_REPOSITORY } from "../flux/types";
import type { ResourceType } from "../kube/types";
import { checkFluxObject } from "../policy/flux";
import { isRecord } from "../policy/shape";
import { denial, type AdmissionRequest, type Verdict } from "./review";
import { webhookPath, type AdmissionFacts, type KindWebhook, type MatchCondition } from "./rules";

const FLUX_KINDS: ReadonlyArray<ResourceType & { singular: string }> = [
  { ...HELM_RELEASE, singular: "helmrelease" },
  { ...HELM_REPOSITORY, singular: "helmrepository" },
  { ...OCI_REPOSITORY, singular: "ocirepository" },
];

/** The username the API server gives the control plane's ServiceAccount (and whoever impersonates it). */
export function controlPlaneUsername(operatorNamespace: string): string {
  return `system:serviceaccount:${operatorNamespace}:${CONTROL_PLANE_SERVICE_ACCOUNT}`;
}

/** One webhook per Flux kind the control plane may write, for the control plane of `operatorNamespace`. */
export function fluxWebhooks(operatorNamespace: string): KindWebhook[] {
  const username = controlPlaneUsername(operatorNamespace);
  const matchConditions: MatchCondition[] = [
    {
      name: "control-plane-writes",
      expression:
        `(has(object.metadata.labels) && '${LABEL_MANAGED_BY}' in object.metadata.labels && ` +
        `object.metadata.labels['${LABEL_MANAGED_BY}'] == '${MANAGED_BY_CONTROL_PLANE}') || request.userInfo.username == '${username}'`,
    },
  ];
  return FLUX_KINDS.map((type) => ({
    name: `v${type.singular}.kb.io`,
    path: webhookPath(type),
    type,
    matchConditions,
    validate: (request, facts, signal) => validateFluxWrite(type, username, request, facts, signal),
  }));
}

async function validateFluxWrite(type: ResourceType, username: string, request: AdmissionRequest, facts: AdmissionFacts, signal: AbortSignal): Promise<Verdict> {
  const object = request.object;
  if (!isRecord(object) || !isRecord(object.metadata)) return { denial: denial("ValidationFailed", `request.object is not a ${type.kind}`) };
  const metadata = object.metadata;
  const labels = isRecord(metadata.labels) ? metadata.labels : {};
  // The same scope as matchConditions, for API servers or configurations that do not filter.
  if (labels[LABEL_MANAGED_BY] !== MANAGED_BY_CONTROL_PLANE && request.userInfo?.username !== username) return {};
  const namespace = typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : (request.namespace ?? "");
  // RBAC keeps the control plane out of ungated namespaces too, but a binding outlives an ungating for a moment.
  if (!(await facts.namespaceGated(namespace, signal))) return { denial: denial("NamespaceNotGated", namespaceNotGatedMessage(namespace)) };
  const name = typeof metadata.name === "string" ? metadata.name : (request.name ?? "");
  const namespaceLabels = await facts.namespaceLabels(namespace, signal);
  const manifest = { ...object, kind: type.kind, metadata: { ...metadata, name } };
  const spec = isRecord(object.spec) ? object.spec : {};
  if (type.kind === HELM_RELEASE.kind) {
    const tenant = tenantServiceAccount(namespaceLabels);
    if (spec.serviceAccountName !== tenant) {
      return { denial: denial("ProtectedField", `${type.kind} ${name}: spec.serviceAccountName must be the namespace's tenant ServiceAccount ${tenant}`) };
    }
  }
  const outcome = checkFluxObject(type.group, manifest, { namespace, namespaceLabels });
  if (!("refusal" in outcome)) return {};
  const reason = outcome.refusal.code === "ProtectedField" ? "ProtectedField" : "ValidationFailed";
  return { denial: denial(reason, outcome.refusal.detail) };
}
