/**
 * Deployments standing in for the controllers ControllersHealthy looks at (Flux's, Velero's): the shared
 * cluster runs no deployment controller and Flux runs out of cluster, so `Available` is what the test writes.
 */
import type { KubeClient } from "../../src/kube/client";
import type { ResourceType } from "../../src/kube/types";

export const DEPLOYMENT: ResourceType = { group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true };

/** Creates Deployment `name` with no replicas and marks it Available. */
export async function controllerDeployment(client: KubeClient, namespace: string, name: string): Promise<void> {
  const labels = { app: name };
  await client.create(DEPLOYMENT, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: { replicas: 0, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: "registry.invalid/controller:1" }] } } },
  });
  await setDeploymentAvailable(client, namespace, name, true);
}

export async function setDeploymentAvailable(client: KubeClient, namespace: string, name: string, available: boolean): Promise<void> {
  const reason = available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable";
  const status = { conditions: [{ type: "Available", status: available ? "True" : "False", reason, message: reason }] };
  await client.patchStatus(DEPLOYMENT, name, { type: "merge", body: { status } }, { namespace });
}
