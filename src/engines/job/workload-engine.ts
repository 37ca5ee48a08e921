/**
 * The engine shape shared by RunCommand (`job`) and Migration (`helmHookJob`): one Job in the child
 * namespace, its conditions decide, cancel deletes it with Background propagation, a failed Job is kept.
 */
import type { OperationEngine, OperationType } from "../../api/operation";
import type { KubeObject } from "../../kube/types";
import { childrenOfKind, deleteAction, findChild } from "../common/children";
import { childOwner, operationIdentity, operationReference } from "../common/owner";
import { workloadName } from "../common/naming";
import { missingRunnerAccount } from "../common/prerequisites";
import { JOB } from "../common/resources";
import type { Engine, EngineContext } from "../types";
import { buildJob, type JobParameters } from "./manifest";
import { jobProgress } from "./verdict";

export interface JobEngineSpec<P extends JobParameters> {
  name: OperationEngine;
  type: OperationType;
  containerName: "runner" | "hook";
  extraLabels(parameters: P): Record<string, string>;
  extraOutputs(parameters: P): Record<string, string>;
}

export function jobWorkloadEngine<P extends JobParameters>(spec: JobEngineSpec<P>): Engine<P, null> {
  const jobName = (context: EngineContext<P>) => workloadName(operationIdentity(context));
  return {
    name: spec.name,
    types: [spec.type],
    requires: [JOB],
    childTypes: [JOB],
    childNamespaceOf: (context) => context.childNamespace,

    async prepare(context, reader, signal) {
      const missing = await missingRunnerAccount(reader, context.childNamespace, signal);
      return missing ?? { ready: true, facts: null };
    },

    desiredChildren(context) {
      const object = buildJob({
        name: jobName(context),
        namespace: context.childNamespace,
        owner: childOwner(context),
        ownerReference: operationReference(context),
        containerName: spec.containerName,
        parameters: context.parameters,
        timeoutSeconds: context.timeoutSeconds,
        extraLabels: spec.extraLabels(context.parameters),
      });
      return [{ type: JOB, object, mode: "create" }];
    },

    started(context, written) {
      const job = written.find((object: KubeObject) => object.kind === JOB.kind);
      const name = job?.metadata.name ?? jobName(context);
      const ref = { kind: JOB.kind, name, namespace: context.childNamespace };
      return { engineRef: ref, logsRef: { ...ref, url: "" }, outputs: { jobName: name, ...spec.extraOutputs(context.parameters) } };
    },

    observe(context, children) {
      const job = findChild(children, JOB, jobName(context));
      if (!job) return { state: "missing", message: `Job ${jobName(context)} not found in namespace ${context.childNamespace}` };
      return jobProgress(job, context.template.reasons);
    },

    cancel: (_context, children) => childrenOfKind(children, JOB).map((job) => deleteAction(JOB, job, "Background")),
    afterFailure: () => [],
  };
}
