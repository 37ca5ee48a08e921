/**
 * The kind-specific field policies of a job-written object, in one place for every transport (pull jobs
 * today, push and GitOps later): Flux objects and Velero objects. Other kinds pass unchanged.
 */
import { checkFluxObject, isFluxPolicyKind } from "./flux";
import type { PolicyOutcome } from "./refusal";
import { checkVeleroObject, VELERO_GROUP } from "./velero";

type Manifest = Record<string, unknown> & { kind: string; metadata: Record<string, unknown> & { name: string } };

export interface ObjectFacts {
  group: string;
  /** The object's namespace after the namespace gate ("" when cluster-scoped). */
  namespace: string;
  namespaceLabels(name: string): Readonly<Record<string, string>> | undefined | null;
  allowBackupStorageLocations: boolean;
}

export function checkJobObject<T extends Manifest>(object: T, facts: ObjectFacts): PolicyOutcome<T> {
  if (isFluxPolicyKind(facts.group, object.kind)) {
    return checkFluxObject(facts.group, object, { namespace: facts.namespace, namespaceLabels: facts.namespaceLabels(facts.namespace) ?? undefined });
  }
  if (facts.group === VELERO_GROUP) {
    const refusal = checkVeleroObject(object, facts);
    return refusal ? { refusal } : { object };
  }
  return { object };
}
