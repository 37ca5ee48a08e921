/** The objects the demo creates: the registration Secret, the Cluster and the ApplicationInstance it deploys. */
import { APPS_API_VERSION, OPS_API_VERSION } from "../../api/groups";
import { GATE_VALUE, LABEL_GATE } from "../../api/labels";
import type { KubeObject } from "../../kube/types";

export const DEMO_CLUSTER_NAME = "vworkspace-demo";
export const DEMO_TOKEN_SECRET = "vworkspace-demo-registration";

export function namespaceObject(name: string, gated: boolean): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, ...(gated ? { labels: { [LABEL_GATE]: GATE_VALUE } } : {}) } };
}

export function registrationSecret(namespace: string, token: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: { name: DEMO_TOKEN_SECRET, namespace },
    data: { registrationToken: Buffer.from(token).toString("base64") },
  };
}

export function clusterObject(endpoint: string): KubeObject {
  return {
    apiVersion: OPS_API_VERSION,
    kind: "Cluster",
    metadata: { name: DEMO_CLUSTER_NAME },
    spec: {
      controlPlaneEndpoint: endpoint,
      registrationTokenSecretRef: { name: DEMO_TOKEN_SECRET },
      connectivityMode: "pull",
      heartbeatIntervalSeconds: 10,
      security: { payloadSigning: { mode: "enforce" }, payloadEncryption: { mode: "warn" } },
    },
  };
}

/** A small instance: a public Helm chart by URL with inline values (Flux fetches it if its controllers run). */
export function demoInstance(namespace: string, name: string): Record<string, unknown> {
  return {
    apiVersion: APPS_API_VERSION,
    kind: "ApplicationInstance",
    metadata: { name, namespace },
    spec: {
      appRef: { catalogId: "demo" },
      chart: { sourceType: "helm", url: "https://stefanprodan.github.io/podinfo", name: "podinfo", version: "6.7.0" },
      release: { name, namespace },
      values: { source: "inline", inline: { replicaCount: 1 } },
    },
  };
}
