import { beforeAll, describe, expect, test } from "bun:test";
import { ApiCallRecorder } from "../../../src/kube/api-calls";
import { KubeClient } from "../../../src/kube/client";
import { Discovery } from "../../../src/kube/discovery";
import { KubeTransportError, classifyError } from "../../../src/kube/errors";
import { addFinalizer, removeFinalizer } from "../../../src/kube/owners";
import { getCluster } from "../../support/cluster";
import { useNamespace } from "../../support/namespace";
import { CONFIG_MAPS, SECRETS, configMap } from "./fixtures";

const ns = useNamespace({ slug: "kube-client" });
let client: KubeClient;
let recorder: ApiCallRecorder;

beforeAll(async () => {
  recorder = new ApiCallRecorder();
  client = (await getCluster()).client.withObserver(recorder);
});

describe("KubeClient against a real apiserver", () => {
  test("create, get, replace, delete; errors are classified", async () => {
    const created = await client.create(CONFIG_MAPS, configMap(ns.name, "a", { k: "1" }));
    expect(created.metadata.uid).toBeString();
    const fetched = await client.get(CONFIG_MAPS, "a", { namespace: ns.name });
    expect(fetched.data).toEqual({ k: "1" });
    const replaced = await client.replace(CONFIG_MAPS, { ...fetched, data: { k: "2" } });
    expect(replaced.data).toEqual({ k: "2" });
    const stale = await client.replace(CONFIG_MAPS, { ...fetched, data: { k: "3" } }).catch((err: unknown) => err);
    expect(classifyError(stale)).toBe("conflict");
    const duplicate = await client.create(CONFIG_MAPS, configMap(ns.name, "a")).catch((err: unknown) => err);
    expect(classifyError(duplicate)).toBe("alreadyExists");
    await client.delete(CONFIG_MAPS, "a", { namespace: ns.name });
    const missing = await client.get(CONFIG_MAPS, "a", { namespace: ns.name }).catch((err: unknown) => err);
    expect(classifyError(missing)).toBe("notFound");
    expect(String(missing)).toContain(`get /api/v1/namespaces/${ns.name}/configmaps/a: 404 NotFound`);
  });

  test("listAll follows pagination; selectors filter", async () => {
    for (let index = 0; index < 7; index++) {
      await client.create(CONFIG_MAPS, configMap(ns.name, `page-${index}`, {}, { parity: index % 2 === 0 ? "even" : "odd" }));
    }
    recorder.clear();
    const all = await client.listAll(CONFIG_MAPS, { namespace: ns.name, labelSelector: "parity", pageSize: 3 });
    expect(all.items).toHaveLength(7);
    expect(all.metadata.resourceVersion).toBeString();
    expect(recorder.callsTo("configmaps", ["list"])).toHaveLength(3);
    const even = await client.listAll(CONFIG_MAPS, { namespace: ns.name, labelSelector: "parity=even" });
    expect(even.items.map((item) => item.metadata.name).sort()).toEqual(["page-0", "page-2", "page-4", "page-6"]);
    const byName = await client.list(CONFIG_MAPS, { namespace: ns.name, fieldSelector: "metadata.name=page-3" });
    expect(byName.items.map((item) => item.metadata.name)).toEqual(["page-3"]);
  });

  test("an empty metadata-only list is an empty list, not null", async () => {
    const none = await client.listAll(CONFIG_MAPS, { namespace: ns.name, labelSelector: "vws-nothing-has-this", metadataOnly: true, resourceVersion: "0" });
    expect(none.kind).toBe("PartialObjectMetadataList");
    expect(none.items).toEqual([]);
  });

  test("json, merge and strategic patches", async () => {
    await client.create(CONFIG_MAPS, configMap(ns.name, "p", { a: "1" }));
    await client.patch(CONFIG_MAPS, "p", { type: "merge", body: { data: { b: "2" } } }, { namespace: ns.name });
    await client.patch(CONFIG_MAPS, "p", { type: "json", ops: [{ op: "remove", path: "/data/a" }] }, { namespace: ns.name });
    const patched = await client.patch(CONFIG_MAPS, "p", { type: "strategic", body: { metadata: { labels: { x: "y" } } } }, { namespace: ns.name });
    expect(patched.data).toEqual({ b: "2" });
    expect(patched.metadata.labels).toMatchObject({ x: "y" });
    const dryRun = await client.patch(CONFIG_MAPS, "p", { type: "merge", body: { data: { c: "3" } } }, { namespace: ns.name, dryRun: true });
    expect(dryRun.data).toMatchObject({ c: "3" });
    expect((await client.get(CONFIG_MAPS, "p", { namespace: ns.name })).data).toEqual({ b: "2" });
  });

  test("finalizer patches are guarded by resourceVersion", async () => {
    const finalizer = "vworkspace.io/test-hold";
    const created = await client.create(CONFIG_MAPS, configMap(ns.name, "f"));
    const held = await addFinalizer(client, CONFIG_MAPS, created, finalizer);
    expect(held.metadata.finalizers).toEqual([finalizer]);
    // A decision based on the stale object must not apply.
    const stale = await removeFinalizer(client, CONFIG_MAPS, { ...created, metadata: { ...created.metadata, finalizers: [finalizer] } }, finalizer).catch((err: unknown) => err);
    expect(classifyError(stale)).toBe("conflict");
    const released = await removeFinalizer(client, CONFIG_MAPS, held, finalizer);
    expect(released.metadata.finalizers).toBeUndefined();
    // A pass that still sees the released copy after the object is gone has nothing left to do.
    await client.delete(CONFIG_MAPS, "f", { namespace: ns.name });
    const gone = await removeFinalizer(client, CONFIG_MAPS, held, finalizer);
    expect(gone.metadata.finalizers).toEqual([]);
  });

  test("raw requests, discovery, and the call recorder", async () => {
    expect(await client.requestText({ method: "GET", path: "/readyz", accept: "text/plain" })).toBe("ok");
    const discovery = new Discovery(client);
    expect(await discovery.isServed({ group: "coordination.k8s.io", version: "v1", plural: "leases" })).toBe(true);
    expect(await discovery.isServed({ group: "events.k8s.io", version: "v1", plural: "events" })).toBe(true);
    expect(await discovery.isServed({ group: "helm.toolkit.fluxcd.io", version: "v1alpha9", plural: "helmreleases" })).toBe(false);
    expect(await discovery.resourceType("apps", "v1", "Deployment")).toEqual({ group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true });
    recorder.clear();
    await client.list(SECRETS, { namespace: ns.name });
    expect(recorder.callsTo("secrets", ["get"])).toHaveLength(0);
    expect(recorder.callsTo("secrets", ["list"])).toHaveLength(1);
    expect(recorder.calls[0]).toMatchObject({ method: "GET", code: 200, resource: { plural: "secrets", namespace: ns.name } });
  });

  test("transport failures are wrapped with Bun's error code and classified as transport", async () => {
    const { apiUrl } = await getCluster();
    const refused = new KubeClient({ connection: { server: "https://127.0.0.1:1", requestOptions: async () => ({ headers: {}, tls: {} }) } });
    const refusal = await refused.get(CONFIG_MAPS, "x", { namespace: "default" }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(KubeTransportError);
    expect((refusal as KubeTransportError).code).toBe("ECONNREFUSED");
    // Without the cluster CA the server certificate cannot be verified.
    const untrusted = new KubeClient({ connection: { server: apiUrl, requestOptions: async () => ({ headers: {}, tls: {} }) } });
    const rejection = await untrusted.get(CONFIG_MAPS, "x", { namespace: "default" }).catch((err: unknown) => err);
    expect(classifyError(rejection)).toBe("transport");
    expect((rejection as KubeTransportError).message).not.toContain("BEGIN");
  });
});
