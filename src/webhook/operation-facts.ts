/**
 * What the Operation rules read at admission (docs/operations.md#admission-webhooks): Namespaces from the server's cache,
 * the target instance and Velero Backups with one bounded GET each, the approval secret and the clock.
 */
import type { ApplicationInstance } from "../api/applicationinstance";
import { APPLICATION_INSTANCE } from "../api/groups";
import { VELERO_BACKUP } from "../engines/common/resources";
import type { KubeClient } from "../kube/client";
import { classifyError } from "../kube/errors";
import type { KubeObject, ResourceType } from "../kube/types";
import type { OperationsConfig } from "../operations/config";
import type { RuleFacts } from "../operations/rules";

export interface OperationAdmissionFacts extends RuleFacts {
  approvalClaimSecret: string;
  now(): Date;
}

export function operationAdmissionFacts(options: {
  client: KubeClient;
  namespace: (name: string, signal: AbortSignal) => Promise<KubeObject | undefined>;
  config: OperationsConfig;
  now: () => number;
}): OperationAdmissionFacts {
  const { client, config } = options;
  const getOptional = async <T extends KubeObject>(type: ResourceType, namespace: string, name: string, signal: AbortSignal): Promise<T | undefined> => {
    try {
      return await client.get<T>(type, name, { namespace, signal });
    } catch (err) {
      if (classifyError(err) === "notFound") return undefined;
      throw new Error(`read ${type.kind} ${namespace}/${name}: ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    namespace: options.namespace,
    target: (namespace, name, signal) => getOptional<ApplicationInstance>(APPLICATION_INSTANCE, namespace, name, signal),
    veleroBackup: (name, signal) => getOptional(VELERO_BACKUP, config.veleroNamespace, name, signal),
    veleroNamespace: config.veleroNamespace,
    approvalClaimSecret: config.approvalClaimSecret,
    now: () => new Date(options.now()),
  };
}
