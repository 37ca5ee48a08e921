/**
 * The Argo Workflow of a Runbook (docs/operations.md#workflow): a reference to a (Cluster)WorkflowTemplate
 * with arguments, the restricted pod profile, the Operation's timeout as the Workflow's own deadline.
 */
import type { KubeObject, OwnerReference } from "../../kube/types";
import { childLabels, type ChildOwner } from "../common/labels";
import { podSecurityContext } from "../common/security";
import { RUNNER_SERVICE_ACCOUNT } from "../../operations/parameters";

export interface WorkflowParameters {
  template?: string;
  /** Alias of `template`. */
  workflowTemplate?: string;
  clusterScope?: boolean;
  workflowTemplateParameters?: Record<string, string>;
  serviceAccountName?: string;
  ttlSecondsAfterFinished?: number;
}

export const DEFAULT_WORKFLOW_TTL_SECONDS = 86_400;

/** The WorkflowTemplate a Runbook runs; admission guarantees one of the two names is set. */
export function templateName(p: WorkflowParameters): string {
  const name = p.template ?? p.workflowTemplate;
  if (!name) throw new Error("runbook.workflow parameters name no template (template or workflowTemplate)");
  return name;
}

export interface WorkflowInput {
  name: string;
  namespace: string;
  owner: ChildOwner;
  ownerReference: OwnerReference;
  parameters: WorkflowParameters;
  timeoutSeconds: number;
}

export function buildWorkflow(input: WorkflowInput): KubeObject {
  const p = input.parameters;
  const labels = childLabels(input.owner);
  const argumentsList = Object.entries(p.workflowTemplateParameters ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: { name: input.name, namespace: input.namespace, labels, ownerReferences: [input.ownerReference] },
    spec: {
      workflowTemplateRef: { name: templateName(p), clusterScope: p.clusterScope ?? false },
      ...(argumentsList.length > 0 ? { arguments: { parameters: argumentsList } } : {}),
      serviceAccountName: p.serviceAccountName ?? RUNNER_SERVICE_ACCOUNT,
      securityContext: podSecurityContext({}),
      podMetadata: { labels },
      activeDeadlineSeconds: input.timeoutSeconds,
      ttlStrategy: { secondsAfterCompletion: p.ttlSecondsAfterFinished ?? DEFAULT_WORKFLOW_TTL_SECONDS },
    },
  };
}

/** The cancel action: Argo stops every running step; the Workflow itself is kept. */
export const TERMINATE_PATCH = { spec: { shutdown: "Terminate" } };
