/** The `workflow` engine: a Runbook as one Argo Workflow from a WorkflowTemplate (docs/operations.md#workflow). */
import type { KubeObject } from "../../kube/types";
import type { RunbookWorkflowParameters } from "../../operations/parameters";
import { childrenOfKind, findChild, patchAction } from "../common/children";
import { workloadName } from "../common/naming";
import { childOwner, operationIdentity, operationReference } from "../common/owner";
import { missingRunnerAccount } from "../common/prerequisites";
import { WORKFLOW } from "../common/resources";
import type { Engine, EngineContext } from "../types";
import { buildWorkflow, TERMINATE_PATCH } from "./manifest";
import { workflowProgress } from "./verdict";

const workflowName = (context: EngineContext) => workloadName(operationIdentity(context));

export const workflowEngine: Engine<RunbookWorkflowParameters, null> = {
  name: "workflow",
  types: ["Runbook"],
  requires: [WORKFLOW],
  childTypes: [WORKFLOW],
  childNamespaceOf: (context) => context.childNamespace,

  async prepare(context, reader, signal) {
    const missing = await missingRunnerAccount(reader, context.childNamespace, signal);
    return missing ?? { ready: true, facts: null };
  },

  desiredChildren(context) {
    const object = buildWorkflow({
      name: workflowName(context),
      namespace: context.childNamespace,
      owner: childOwner(context),
      ownerReference: operationReference(context),
      parameters: context.parameters,
      timeoutSeconds: context.timeoutSeconds,
    });
    return [{ type: WORKFLOW, object, mode: "create" }];
  },

  started(context, written) {
    const name = written.find((object: KubeObject) => object.kind === WORKFLOW.kind)?.metadata.name ?? workflowName(context);
    const ref = { kind: WORKFLOW.kind, name, namespace: context.childNamespace };
    return { engineRef: ref, logsRef: { ...ref, url: "" }, outputs: { workflowName: name } };
  },

  observe(context, children) {
    const workflow = findChild(children, WORKFLOW, workflowName(context));
    if (!workflow) return { state: "missing", message: `Workflow ${workflowName(context)} not found in namespace ${context.childNamespace}` };
    return workflowProgress(workflow, context.template.reasons);
  },

  // Argo stops the steps; the Workflow stays for inspection and follows the Operation on deletion.
  cancel: (_context, children) => childrenOfKind(children, WORKFLOW).map((workflow) => patchAction(WORKFLOW, workflow, TERMINATE_PATCH)),
  afterFailure: () => [],
};
