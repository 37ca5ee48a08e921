/** The HelmRelease runs as the namespace's Flux tenant; a cluster admin's Namespace label names another ServiceAccount. */
import { describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import { LABEL_TENANT_SERVICE_ACCOUNT } from "../../../src/api/tenant";
import { HELM_RELEASE, type HelmRelease } from "../../../src/flux/types";
import type { ResourceType } from "../../../src/kube/types";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { getIfPresent } from "../../support/objects";
import { instance, useHarness } from "./harness";

const ns = useNamespace({ slug: "ai-tenant" });
const ai = useHarness(ns);
const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };

function labelNamespace(value: string | null) {
  return ai.client.patch(NAMESPACES, ns.name, { type: "merge", body: { metadata: { labels: { [LABEL_TENANT_SERVICE_ACCOUNT]: value } } } });
}

function releaseRunningAs(serviceAccount: string): Promise<HelmRelease> {
  return eventually(
    async () => {
      const release = await getIfPresent<HelmRelease>(ai.client, HELM_RELEASE, "shop", ns.name);
      return release?.spec?.serviceAccountName === serviceAccount ? release : undefined;
    },
    { what: `HelmRelease shop with serviceAccountName ${serviceAccount}` },
  );
}

describe("the HelmRelease's ServiceAccount", () => {
  test("vworkspace-tenant by default; the namespace label switches it both ways without touching the instance", async () => {
    await ai.start();
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "shop"));
    const first = await releaseRunningAs("vworkspace-tenant");

    await labelNamespace("team-deployer");
    const relabelled = await releaseRunningAs("team-deployer");
    expect(relabelled.metadata.generation).toBeGreaterThan(first.metadata.generation ?? 0);
    const stored = await ai.client.get(APPLICATION_INSTANCE, "shop", { namespace: ns.name });
    expect(stored.metadata.generation).toBe(1);

    await labelNamespace(null);
    await releaseRunningAs("vworkspace-tenant");
  });

  test("an override set before the instance is used from its first apply", async () => {
    await labelNamespace("team-deployer");
    await ai.start();
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "shop"));
    const release = await releaseRunningAs("team-deployer");
    expect(release.metadata.generation).toBe(1);
  });
});
