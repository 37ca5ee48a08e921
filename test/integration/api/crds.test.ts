/** The generated CRDs on a real kube-apiserver: accepted, defaulted, and enforcing their own schema and CEL rules. */
import { beforeAll, describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE, CLUSTER, OPERATION } from "../../../src/api/groups";
import type { KubeClient } from "../../../src/kube/client";
import { KubeApiError } from "../../../src/kube/errors";
import type { KubeObject } from "../../../src/kube/types";
import { CRD_TYPE } from "../../../src/manager/crds";
import { getCluster } from "../../support/cluster";
import { useNamespace } from "../../support/namespace";

const ns = useNamespace({ slug: "api-crds" });
let client: KubeClient;

beforeAll(async () => {
  client = (await getCluster()).client;
});

function instance(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name, namespace: ns.name },
    spec: {
      appRef: { catalogId: "odoo" },
      chart: { sourceType: "helm", url: "https://charts.example.com", name: "odoo", version: "1.2.3" },
      release: { name, namespace: ns.name },
      values: { source: "inline", inline: { replicas: 2 } },
      ...spec,
    },
  };
}

function operation(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "ops.vworkspace.io/v1alpha1",
    kind: "Operation",
    metadata: { name, namespace: ns.name },
    spec: { targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "shop" }, type: "Backup", engine: "velero", ...spec },
  };
}

/** The API server's rejection message, or a failure when it accepted the write. */
async function rejection(write: Promise<unknown>): Promise<string> {
  const err = await write.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(err).toBeInstanceOf(KubeApiError);
  expect((err as KubeApiError).status).toBe(422);
  return (err as KubeApiError).message;
}

describe("generated CRDs on a real API server", () => {
  test("all three are Established with their names, scope and short names", async () => {
    for (const kind of [APPLICATION_INSTANCE, OPERATION, CLUSTER]) {
      const crd = await client.get(CRD_TYPE, `${kind.plural}.${kind.group}`);
      const spec = crd.spec as { scope: string; names: { shortNames: string[]; kind: string } };
      expect(spec.names.kind).toBe(kind.kind);
      expect(spec.scope).toBe(kind.namespaced ? "Namespaced" : "Cluster");
      expect(spec.names.shortNames).toEqual([...kind.shortNames]);
    }
  });

  test("a valid ApplicationInstance is stored with mode and suspend defaulted", async () => {
    const created = await client.create(APPLICATION_INSTANCE, instance("defaults"));
    expect((created.spec as { mode: string; suspend: boolean }).mode).toBe("managed");
    expect((created.spec as { mode: string; suspend: boolean }).suspend).toBe(false);
  });

  test("a wrong enum value is rejected by schema validation", async () => {
    const message = await rejection(client.create(APPLICATION_INSTANCE, instance("bad-enum", { mode: "sideways" })));
    expect(message).toContain('spec.mode: Unsupported value: "sideways"');
  });

  test("a missing required field is rejected", async () => {
    const object = instance("no-appref");
    delete (object.spec as Record<string, unknown>).appRef;
    expect(await rejection(client.create(APPLICATION_INSTANCE, object))).toContain("spec.appRef: Required value");
  });

  test("a chart version range is rejected by its pattern", async () => {
    const chart = { sourceType: "helm", url: "https://charts.example.com", name: "odoo", version: "^1.2" };
    expect(await rejection(client.create(APPLICATION_INSTANCE, instance("range", { chart })))).toContain("spec.chart.version");
  });
});

describe("CEL rules (docs/concepts.md#schemas-and-generated-crds)", () => {
  test("placeholder mode with a chart is rejected; a bare placeholder is accepted", async () => {
    const message = await rejection(client.create(APPLICATION_INSTANCE, instance("ph-chart", { mode: "placeholder" })));
    expect(message).toContain("spec.chart and spec.values must not be set in placeholder mode");
    const bare = instance("ph-bare", { mode: "placeholder" });
    const spec = bare.spec as Record<string, unknown>;
    delete spec.chart;
    delete spec.values;
    await client.create(APPLICATION_INSTANCE, bare);
  });

  test("values must carry exactly the sibling named by source", async () => {
    const values = { source: "secretRef", inline: { a: 1 } };
    expect(await rejection(client.create(APPLICATION_INSTANCE, instance("values", { values })))).toContain(
      "spec.values must set exactly the field named by spec.values.source",
    );
    await client.create(APPLICATION_INSTANCE, instance("values-ok", { values: { source: "secretRef", secretRef: { name: "v", key: "values.yaml" } } }));
  });

  test("the chart URL scheme must match the source type", async () => {
    const chart = { sourceType: "oci", url: "https://charts.example.com", name: "odoo", version: "1.2.3" };
    expect(await rejection(client.create(APPLICATION_INSTANCE, instance("scheme", { chart })))).toContain(
      "spec.chart.url scheme does not match spec.chart.sourceType",
    );
    await client.create(APPLICATION_INSTANCE, instance("scheme-ok", { chart: { ...chart, url: "oci://ghcr.io/org/charts" } }));
  });

  test("release identity is immutable once set, and cannot be removed; other spec changes pass", async () => {
    await client.create(APPLICATION_INSTANCE, instance("immutable"));
    const patch = (spec: Record<string, unknown>) => client.patch(APPLICATION_INSTANCE, "immutable", { type: "merge", body: { spec } }, { namespace: ns.name });
    const message = "spec.release.name and spec.release.namespace are immutable once set";
    expect(await rejection(patch({ release: { name: "renamed", namespace: ns.name } }))).toContain(message);
    expect(await rejection(patch({ release: null }))).toContain(message);
    await patch({ suspend: true });
  });

  test("an Operation's type, engine and targetRef never change", async () => {
    await client.create(OPERATION, operation("op"));
    const patch = (spec: Record<string, unknown>) => client.patch(OPERATION, "op", { type: "merge", body: { spec } }, { namespace: ns.name });
    const message = "spec.type, spec.engine and spec.targetRef are immutable";
    expect(await rejection(patch({ engine: "snapshot" }))).toContain(message);
    expect(await rejection(patch({ targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "other" } }))).toContain(message);
  });
});

describe("Cluster", () => {
  test("a manifest written for the Go implementation is accepted unchanged, with the new defaults", async () => {
    const name = `go-style-${ns.name}`;
    const goStyle: KubeObject = {
      apiVersion: "ops.vworkspace.io/v1alpha1",
      kind: "Cluster",
      metadata: { name, labels: { "vworkspace.io/test-run": "crds" } },
      spec: { clusterId: "c-123", controlPlaneEndpoint: "https://odoo.example.com", registrationTokenSecretRef: { name: "tok" } },
    };
    const created = await client.create(CLUSTER, goStyle);
    try {
      const spec = created.spec as Record<string, unknown>;
      expect(spec.clusterId).toBe("c-123");
      expect(spec.connectivityMode).toBe("pull");
      expect(spec.heartbeatIntervalSeconds).toBe(30);
      expect((spec.registrationTokenSecretRef as { key: string }).key).toBe("registrationToken");
    } finally {
      await client.delete(CLUSTER, name);
    }
  });

  test("an out-of-range heartbeat interval is rejected", async () => {
    const object: KubeObject = { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: `hb-${ns.name}` }, spec: { heartbeatIntervalSeconds: 5 } };
    expect(await rejection(client.create(CLUSTER, object))).toContain("spec.heartbeatIntervalSeconds");
  });

  test("a connectivity mode no driver serves is rejected", async () => {
    const object: KubeObject = { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: `mode-${ns.name}` }, spec: { connectivityMode: "carrier-pigeon" } };
    expect(await rejection(client.create(CLUSTER, object))).toContain('spec.connectivityMode: Unsupported value: "carrier-pigeon"');
  });
});
