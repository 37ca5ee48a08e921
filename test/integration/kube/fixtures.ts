/** Resource types and object builders shared by the kube integration tests. */
import type { KubeObject, ResourceType } from "../../../src/kube/types";

export const CONFIG_MAPS: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
export const SECRETS: ResourceType = { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true };

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** Marks objects the tests made, so watches skip what the cluster adds (kube-root-ca.crt). */
export const FIXTURE_LABEL = "vworkspace.io/fixture";

export function configMap(namespace: string, name: string, data: Record<string, string> = {}, labels: Record<string, string> = {}): ConfigMap {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, labels: { [FIXTURE_LABEL]: "true", ...labels } }, data };
}
