/**
 * The namespace gate (docs/concepts.md#namespace-gate): the one predicate every webhook, reconciler and the pull-mode
 * applier uses. A namespace is gated when either key carries exactly `vworkspace`.
 */
import type { ResourceType } from "../kube/types";
import { GATE_VALUE, LABEL_GATE, LABEL_MANAGED_BY } from "./labels";

/** The kind the gate label sits on. */
export const NAMESPACE_TYPE: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };

export function isGatedNamespace(labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.[LABEL_GATE] === GATE_VALUE || labels?.[LABEL_MANAGED_BY] === GATE_VALUE;
}
