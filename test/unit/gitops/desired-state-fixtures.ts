/** Valid desired-state objects for the render tests. */
export function instance(namespace: string, name: string) {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name, namespace },
    spec: {
      appRef: { catalogId: "nextcloud" },
      chart: { sourceType: "helm", url: "http://127.0.0.1:1/charts", name: "vws-test", version: "0.1.0" },
      release: { name, namespace },
      values: { source: "inline", inline: { replicas: 1, greeting: "yes" } },
    },
  };
}

export function operation(namespace: string, name: string) {
  return {
    apiVersion: "ops.vworkspace.io/v1alpha1",
    kind: "Operation",
    metadata: { name, namespace },
    spec: { type: "Backup", engine: "velero", targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app1" } },
  };
}
