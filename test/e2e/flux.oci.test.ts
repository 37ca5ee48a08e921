/**
 * Real Flux end to end with an `oci` chart source (issue 3, docs/development.md#real-flux-end-to-end): the compiled operator,
 * source-controller and helm-controller against the local cluster, and a loopback OCI registry (TLS,
 * test CA trusted by source-controller through SSL_CERT_FILE) holding the `vws-test` chart pushed
 * with `helm push`. Skips when k8s-bins could not build Flux or the registry.
 */
import { describe, expect, test } from "bun:test";
import type { ApplicationInstance } from "../../src/api/applicationinstance";
import { APPLICATION_INSTANCE } from "../../src/api/groups";
import { HELM_RELEASE, HELM_REPOSITORY, OCI_REPOSITORY, type HelmRelease } from "../../src/flux/types";
import { eventually } from "../support/eventually";
import { fluxBinaries } from "../support/flux";
import { CONFIG_MAPS, FLUX_STEP_MS, SECRETS, useFluxE2e } from "../support/flux-e2e";
import { ociRegistryBinary, serveOciChartRegistry, type OciChartRegistry } from "../support/registry";

const binaries = fluxBinaries();
const registryBinary = ociRegistryBinary();
if (!binaries || !registryBinary) {
  console.warn(`SKIPPING test/e2e/flux.oci.test.ts: ${binaries ? "VWS_BIN_OCI_REGISTRY" : "Flux binaries"} not built (see scripts/k8s-bins.sh)`);
}

const RELEASE = "oci-web";
/** helm-controller appends the artifact digest's first 12 hex digits to a chartRef'd OCI chart's version. */
const withDigest = (version: string) => new RegExp(`^${version.replaceAll(".", "\\.")}\\+[0-9a-f]{12}$`);

describe.skipIf(!binaries || !registryBinary)("real Flux: ApplicationInstance with an oci source", () => {
  let registry: OciChartRegistry;
  const e2e = useFluxE2e({
    slug: "flux-oci",
    binaries,
    instances: [RELEASE],
    source: async (namespace) => {
      registry = await serveOciChartRegistry({ binary: registryBinary!, helm: binaries!.helm, name: namespace, versions: ["0.1.0", "0.2.0"] });
      return { sourceEnv: { SSL_CERT_FILE: registry.caFile }, stop: registry.stop };
    },
  });
  const configMapData = async () => (await e2e.get(CONFIG_MAPS, `${RELEASE}-config`))?.data as Record<string, string> | undefined;

  test("install: OCIRepository pulled over TLS, HelmRelease by chartRef, the chart's ConfigMap, instance Ready", async () => {
    await e2e.cluster.client.create(APPLICATION_INSTANCE, {
      apiVersion: "apps.vworkspace.io/v1alpha1",
      kind: "ApplicationInstance",
      metadata: { name: RELEASE, namespace: e2e.namespace },
      spec: {
        appRef: { catalogId: "vws-test" },
        chart: { sourceType: "oci", url: registry.url, name: "vws-test", version: "0.1.0" },
        release: { name: RELEASE, namespace: e2e.namespace },
        values: { source: "inline", inline: { value: "oci" } },
      },
    });
    const ready = await e2e.readyAtGeneration(RELEASE);
    expect(ready.status?.conditions?.find((found) => found.type === "Ready")?.reason).toBe("HelmReleaseReady");
    expect(ready.status?.lastAppliedChart).toEqual({ sourceType: "oci", url: registry.url, name: "vws-test", version: "0.1.0" });

    const source = await e2e.get(OCI_REPOSITORY, `${RELEASE}-source`);
    expect(source?.spec).toMatchObject({ url: `${registry.url}/vws-test`, ref: { tag: "0.1.0" } });
    expect((source?.spec as Record<string, unknown>).insecure).toBeUndefined();
    expect((source?.status as { conditions?: Array<{ type: string; status: string }> }).conditions).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
    expect(await e2e.get(HELM_REPOSITORY, `${RELEASE}-source`)).toBeUndefined();
    const release = await e2e.cluster.client.get<HelmRelease>(HELM_RELEASE, RELEASE, { namespace: e2e.namespace });
    expect(release.spec?.chartRef).toEqual({ kind: "OCIRepository", name: `${RELEASE}-source` });
    expect(release.spec?.chart).toBeUndefined();

    expect(await configMapData()).toEqual({ chartVersion: expect.stringMatching(withDigest("0.1.0")), value: "oci" });
  }, FLUX_STEP_MS);

  test("upgrade: the new tag reaches the ConfigMap and lastAppliedChart", async () => {
    await e2e.cluster.client.patch(APPLICATION_INSTANCE, RELEASE, { type: "merge", body: { spec: { chart: { version: "0.2.0" } } } }, { namespace: e2e.namespace });
    await eventually(async () => withDigest("0.2.0").test((await configMapData())?.chartVersion ?? ""), { what: "ConfigMap at 0.2.0", timeoutMs: FLUX_STEP_MS });
    const ready = await e2e.readyAtGeneration(RELEASE);
    expect(ready.status?.lastAppliedChart?.version).toBe("0.2.0");
    const release = await e2e.cluster.client.get<HelmRelease>(HELM_RELEASE, RELEASE, { namespace: e2e.namespace });
    expect(release.status?.history?.[0]?.chartVersion).toMatch(withDigest("0.2.0"));
  }, FLUX_STEP_MS);

  test("delete: the release is uninstalled and the OCIRepository removed before the instance disappears", async () => {
    await e2e.cluster.client.delete(APPLICATION_INSTANCE, RELEASE, { namespace: e2e.namespace });
    await eventually(async () => (await e2e.get<ApplicationInstance>(APPLICATION_INSTANCE, RELEASE)) === undefined, { what: "instance gone", timeoutMs: FLUX_STEP_MS });
    expect(await e2e.get(HELM_RELEASE, RELEASE)).toBeUndefined();
    expect(await e2e.get(OCI_REPOSITORY, `${RELEASE}-source`)).toBeUndefined();
    expect(await configMapData()).toBeUndefined();
    const releaseSecrets = await e2e.cluster.client.list(SECRETS, { namespace: e2e.namespace, labelSelector: `owner=helm,name=${RELEASE}` });
    expect(releaseSecrets.items).toEqual([]);
  }, FLUX_STEP_MS);
});
