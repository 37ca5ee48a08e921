import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { KubeClient } from "../../../src/kube/client";
import { Informer } from "../../../src/kube/informer";
import { Watcher, type WatcherEvent, type WatcherOptions } from "../../../src/kube/watch";
import { getCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { CONFIG_MAPS, FIXTURE_LABEL, configMap, type ConfigMap } from "./fixtures";

const ns = useNamespace({ slug: "kube-watch" });
let client: KubeClient;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  client = (await getCluster()).client;
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function startInformer(options: WatcherOptions = {}) {
  const informer = new Informer<ConfigMap>({ api: client, type: CONFIG_MAPS, watcher: { namespace: ns.name, labelSelector: FIXTURE_LABEL, ...options } });
  const seen: string[] = [];
  informer.addHandlers({
    add: (object) => seen.push(`add ${object.metadata.name}`),
    update: (previous, current) => {
      if (previous.metadata.resourceVersion !== current.metadata.resourceVersion) seen.push(`update ${current.metadata.name}`);
    },
    delete: (object) => seen.push(`delete ${object.metadata.name}`),
  });
  informer.start();
  stops.push(() => informer.stop());
  return { informer, seen };
}

describe("watcher and informer against a real apiserver", () => {
  test("the store converges and handlers see create, update and delete", async () => {
    await client.create(CONFIG_MAPS, configMap(ns.name, "before", { v: "0" }));
    const { informer, seen } = startInformer();
    await informer.waitForSync();
    // The first list comes from the API server's watch cache, which may trail a write by a moment; the watch
    // that follows it brings the object.
    await eventually(() => informer.store.getByName("before", ns.name) !== undefined, { what: "the object created before the informer started" });
    expect(informer.store.getByName("before", ns.name)?.data).toEqual({ v: "0" });
    expect(informer.store.get(`${ns.name}/before`)?.metadata.managedFields).toBeUndefined();

    await client.create(CONFIG_MAPS, configMap(ns.name, "live", { v: "1" }));
    await client.patch(CONFIG_MAPS, "live", { type: "merge", body: { data: { v: "2" } } }, { namespace: ns.name });
    await client.delete(CONFIG_MAPS, "before", { namespace: ns.name });
    await eventually(() => informer.store.getByName("live", ns.name)?.data?.v === "2" && !informer.store.getByName("before", ns.name), {
      what: "store reflects create, update and delete",
    });
    expect(seen).toEqual(["add before", "add live", "update live", "delete before"]);
  });

  test("410 Gone from a too-old resourceVersion triggers a relist that restores the state", async () => {
    await client.create(CONFIG_MAPS, configMap(ns.name, "existing"));
    const watcher = new Watcher(client, CONFIG_MAPS, { namespace: ns.name, labelSelector: FIXTURE_LABEL, initialResourceVersion: "1" });
    const abort = new AbortController();
    stops.push(async () => abort.abort());
    const events = watcher.events(abort.signal);
    const first = (await events.next()).value as WatcherEvent;
    expect(first.type).toBe("restarted");
    expect(first.type === "restarted" && first.reason).toBe("gone");
    expect(first.type === "restarted" && first.objects.map((object) => object.metadata.name)).toEqual(["existing"]);
    expect(watcher.stats.restarts.gone).toBe(1);
    await client.create(CONFIG_MAPS, configMap(ns.name, "after"));
    const next = (await events.next()).value as WatcherEvent;
    expect(next.type === "applied" && next.object.metadata.name).toBe("after");
    await events.return(undefined);
  });

  test("with a short server-side timeout the watch keeps delivering across many stream ends", async () => {
    const { informer } = startInformer({ timeoutSeconds: 2 });
    await informer.waitForSync();
    await eventually(() => informer.stats.restarts.idle_timeout >= 3, { what: "three server-side watch ends" });
    await client.create(CONFIG_MAPS, configMap(ns.name, "late", { v: "1" }));
    await eventually(() => informer.store.getByName("late", ns.name), { what: "object created after the restarts is seen" });
    expect(informer.stats.relists.initial).toBe(1);
    expect(informer.stats.relists.gone + informer.stats.relists.resync).toBe(0);
    expect(informer.stats.restarts.error).toBe(0);
  });

  test("a periodic resync relists and reports unchanged objects again", async () => {
    await client.create(CONFIG_MAPS, configMap(ns.name, "steady"));
    const { informer } = startInformer({ resyncMs: 1_000 });
    let resynced = 0;
    informer.addHandlers({
      update: (previous, current) => {
        if (previous.metadata.resourceVersion === current.metadata.resourceVersion) resynced++;
      },
    });
    await informer.waitForSync();
    await eventually(() => resynced >= 2, { what: "two resync passes" });
    expect(informer.stats.relists.resync).toBeGreaterThanOrEqual(2);
  });
});
