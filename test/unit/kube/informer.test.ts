import { describe, expect, test } from "bun:test";
import type { WatchOptions } from "../../../src/kube/client";
import { Informer } from "../../../src/kube/informer";
import type { KubeList, KubeObject, ResourceType } from "../../../src/kube/types";
import type { WatchEvent } from "../../../src/kube/watch-events";
import type { WatchApi } from "../../../src/kube/watch";
import { settle, untilAborted } from "./helpers";

const TYPE: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const cm = (name: string, rv: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns", resourceVersion: rv } });

/** Serves the given lists in order; each watch replays `events` once, then stays quiet until aborted. */
function fakeApi(lists: KubeList[], events: WatchEvent[][]): WatchApi {
  return {
    async listAll<T extends KubeObject>() {
      return lists.shift() as KubeList<T>;
    },
    async *watch<T extends KubeObject>(_type: ResourceType, options: WatchOptions) {
      yield* (events.shift() ?? []) as Array<WatchEvent<T>>;
      await untilAborted(options.signal);
    },
  } as WatchApi;
}

const list = (rv: string, ...items: KubeObject[]): KubeList => ({ apiVersion: "v1", kind: "List", metadata: { resourceVersion: rv }, items });

describe("Informer", () => {
  test("syncs, then keeps the store current and calls handlers after the store is updated", async () => {
    const streams: WatchEvent[][] = [];
    const informer = new Informer({
      api: fakeApi([list("1", cm("a", "1"))], streams),
      type: TYPE,
      watcher: { resyncMs: 0 },
    });
    const seen: string[] = [];
    informer.addHandlers({
      add: (object) => seen.push(`add ${object.metadata.name} ${informer.store.get("ns/" + object.metadata.name) ? "stored" : "missing"}`),
      update: (previous, current) => seen.push(`update ${previous.metadata.resourceVersion}->${current.metadata.resourceVersion}`),
      delete: (object) => seen.push(`delete ${object.metadata.name} ${informer.store.get("ns/" + object.metadata.name) ? "stored" : "gone"}`),
    });
    streams.push([
      { type: "ADDED", object: cm("b", "2") },
      { type: "MODIFIED", object: cm("a", "3") },
      { type: "DELETED", object: cm("b", "4") },
    ]);
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    await informer.waitForSync();
    expect(informer.hasSynced()).toBe(true);
    await settle();
    expect(seen).toEqual(["add a stored", "add b stored", "update 1->3", "delete b gone"]);
    expect(informer.store.keys()).toEqual(["ns/a"]);
    await informer.stop();
  });

  test("a relist reports vanished objects as deletes and unchanged ones as resync updates", async () => {
    const streams: WatchEvent[][] = [[{ type: "ERROR", status: { code: 410, reason: "Expired" } }]];
    const informer = new Informer({
      api: fakeApi([list("1", cm("a", "1"), cm("b", "1")), list("5", cm("a", "1"), cm("c", "5"))], streams),
      type: TYPE,
      watcher: { resyncMs: 0 },
    });
    const seen: string[] = [];
    informer.addHandlers({
      add: (object) => seen.push(`add ${object.metadata.name}`),
      update: (_previous, current) => seen.push(`update ${current.metadata.name}`),
      delete: (object) => seen.push(`delete ${object.metadata.name}`),
    });
    informer.start();
    await informer.waitForSync();
    await settle();
    expect(seen).toEqual(["add a", "add b", "delete b", "add c", "update a"]);
    expect(informer.stats.relists.gone).toBe(1);
    await informer.stop();
  });

  test("a throwing handler does not stop the others or the loop", async () => {
    const informer = new Informer({ api: fakeApi([list("1", cm("a", "1"))], []), type: TYPE, watcher: { resyncMs: 0 } });
    const seen: string[] = [];
    informer.addHandlers({ add: () => { throw new Error("handler bug"); } });
    const remove = informer.addHandlers({ add: (object) => seen.push(object.metadata.name) });
    informer.start();
    await informer.waitForSync();
    expect(seen).toEqual(["a"]);
    remove();
    await informer.stop();
  });

  test("waitForSync rejects when the informer stops first", async () => {
    const never = {
      listAll: (_type: ResourceType, options: { signal?: AbortSignal }) => untilAborted(options.signal),
      watch: async function* () {},
    } as unknown as WatchApi;
    const informer = new Informer({ api: never, type: TYPE });
    informer.start();
    const waiting = informer.waitForSync();
    const stopped = informer.stop();
    await expect(waiting).rejects.toThrow(/stopped before sync/);
    await stopped;
  });
});
