/** Valid objects as the API server would return them; tests break one field at a time. */

export function applicationInstanceObject(spec: Record<string, unknown> = {}, status?: Record<string, unknown>) {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name: "shop", namespace: "team-a", generation: 3, labels: { "app.vworkspace.io/cluster-id": "c1" } },
    spec: {
      appRef: { catalogId: "odoo" },
      mode: "managed",
      suspend: false,
      chart: { sourceType: "helm", url: "https://charts.example.com", name: "odoo", version: "1.2.3" },
      release: { name: "shop", namespace: "team-a" },
      values: { source: "inline", inline: { replicas: 2, nested: { list: [1, "a"] } } },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

export function operationObject(spec: Record<string, unknown> = {}, status?: Record<string, unknown>) {
  return {
    apiVersion: "ops.vworkspace.io/v1alpha1",
    kind: "Operation",
    metadata: { name: "backup-1", namespace: "team-a", uid: "u-1" },
    spec: {
      targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "shop" },
      type: "Backup",
      engine: "velero",
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

export function clusterObject(spec?: Record<string, unknown>, status?: Record<string, unknown>) {
  return {
    apiVersion: "ops.vworkspace.io/v1alpha1",
    kind: "Cluster",
    metadata: { name: "self" },
    ...(spec ? { spec } : {}),
    ...(status ? { status } : {}),
  };
}

export const readyCondition = {
  type: "Ready",
  status: "True",
  reason: "HelmReleaseReady",
  message: "Helm install succeeded",
  lastTransitionTime: "2026-01-02T03:04:05Z",
  observedGeneration: 3,
};
