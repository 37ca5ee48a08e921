/**
 * The operator's cluster id comes from the honoured Cluster object (docs/concepts.md#cluster-identity, docs/connectivity.md#identity-and-selection) and
 * is followed live: a changed id re-checks every instance without any edit to the instances themselves.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE, CLUSTER } from "../../../src/api/groups";
import { HELM_RELEASE } from "../../../src/flux/types";
import type { KubeObject } from "../../../src/kube/types";
import { useNamespace } from "../../support/namespace";
import { getIfPresent } from "../../support/objects";
import { instance, waitForCondition, useHarness } from "./harness";

const ns = useNamespace({ slug: "ai-identity" });
const ai = useHarness(ns);
let clusterName = "";

function clusterObject(clusterId: string): KubeObject {
  return { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: clusterName }, spec: { clusterId } };
}

afterAll(async () => {
  if (clusterName) await ai.client.delete(CLUSTER, clusterName).catch(() => undefined);
});

describe("cluster identity from the Cluster object", () => {
  test("a mismatch blocks; changing spec.clusterId releases the instance without touching it", async () => {
    // Only the oldest Cluster is honoured: a Cluster left behind by another suite would be a leak.
    const others = (await ai.client.list(CLUSTER)).items.map((item) => item.metadata.name);
    expect(others).toEqual([]);
    clusterName = `identity-${ns.name}`;
    await ai.client.create(CLUSTER, clusterObject("alpha"));
    await ai.start();
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "tenant", {}, { "app.vworkspace.io/cluster-id": "beta" }));
    const blocked = await waitForCondition(ai.client, ns.name, "tenant", "Blocked", "True/ClusterMismatch");
    expect(blocked.status?.conditions?.find((c) => c.type === "Blocked")?.message).toContain("alpha");
    expect(await getIfPresent(ai.client, HELM_RELEASE, "tenant", ns.name)).toBeUndefined();

    await ai.client.patch(CLUSTER, clusterName, { type: "merge", body: { spec: { clusterId: "beta" } } });
    const released = await waitForCondition(ai.client, ns.name, "tenant", "Ready", "Unknown/Reconciling");
    expect(released.metadata.generation).toBe(blocked.metadata.generation);
    expect((await getIfPresent(ai.client, HELM_RELEASE, "tenant", ns.name))?.metadata.labels?.["app.vworkspace.io/cluster-id"]).toBe("beta");
  });
});
