/** Engine prerequisites of precondition 6 (docs/operations.md#preconditions): absent ones block with `DependencyMissing`. */
import { OperationReason } from "../../api/condition-vocabulary";
import type { ChildReader, Preparation } from "../types";
import { NAMESPACE, SERVICE_ACCOUNT } from "./resources";
import { RUNNER_SERVICE_ACCOUNT } from "../../operations/parameters";

export type Missing = Extract<Preparation<never>, { ready: false }>;

export function dependencyMissing(message: string): Missing {
  return { ready: false, reason: OperationReason.DependencyMissing, message };
}

/** Job, Migration and Workflow pods run as the runner ServiceAccount, which the installer creates per namespace. */
export async function missingRunnerAccount(reader: ChildReader, namespace: string, signal: AbortSignal): Promise<Missing | undefined> {
  const account = await reader.get(SERVICE_ACCOUNT, namespace, RUNNER_SERVICE_ACCOUNT, signal);
  return account ? undefined : dependencyMissing(`ServiceAccount "${RUNNER_SERVICE_ACCOUNT}" not found in namespace "${namespace}"`);
}

export async function missingNamespace(reader: ChildReader, namespace: string, what: string, signal: AbortSignal): Promise<Missing | undefined> {
  const found = await reader.get(NAMESPACE, undefined, namespace, signal);
  return found ? undefined : dependencyMissing(`${what} namespace "${namespace}" not found`);
}
