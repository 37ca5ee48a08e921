/** Labels every engine child carries (docs/operations.md#engines); the UID label is what ownership checks read. */
import {
  LABEL_APPLICATION_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_OPERATION,
  LABEL_SOURCE_NAMESPACE,
  MANAGED_BY_OPERATOR,
} from "../../api/labels";

export interface ChildOwner {
  /** The Operation's UID: the ownership label's value. */
  uid: string;
  /** The Operation's namespace. */
  namespace: string;
  targetName: string;
}

/** Velero, snapshot and VolSync children also record the namespace they were taken from. */
export function childLabels(owner: ChildOwner, options: { sourceNamespace?: boolean } = {}): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGED_BY_OPERATOR,
    [LABEL_OPERATION]: owner.uid,
    [LABEL_APPLICATION_INSTANCE]: owner.targetName,
    ...(options.sourceNamespace ? { [LABEL_SOURCE_NAMESPACE]: owner.namespace } : {}),
  };
}
