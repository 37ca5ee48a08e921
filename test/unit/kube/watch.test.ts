import { describe, expect, test } from "bun:test";
import type { ListAllOptions, WatchOptions } from "../../../src/kube/client";
import { ManualClock } from "../../../src/kube/clock";
import { KubeApiError } from "../../../src/kube/errors";
import type { KubeList, KubeObject, ResourceType } from "../../../src/kube/types";
import type { WatchEvent } from "../../../src/kube/watch-events";
import { Watcher, type WatchApi, type WatcherEvent } from "../../../src/kube/watch";
import { settle, untilAborted } from "./helpers";

const TYPE: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };

function cm(name: string, rv: string): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns", resourceVersion: rv } };
}

type WatchScript = (options: WatchOptions) => AsyncGenerator<WatchEvent>;

/** Events, then a clean end. */
function stream(...events: WatchEvent[]): WatchScript {
  return async function* () {
    yield* events;
  };
}

/** Events, then an error. */
function failing(err: unknown, ...events: WatchEvent[]): WatchScript {
  return async function* () {
    yield* events;
    throw err;
  };
}

/** Stays open until aborted, like a quiet watch. */
const silent: WatchScript = async function* (options) {
  await untilAborted(options.signal);
};

class FakeApi {
  readonly lists: Array<KubeList | Error> = [];
  readonly watches: WatchScript[] = [];
  readonly watchCalls: WatchOptions[] = [];
  readonly listOptions: ListAllOptions[] = [];
  listCalls = 0;

  async listAll<T extends KubeObject>(_type: ResourceType, options: ListAllOptions = {}): Promise<KubeList<T>> {
    this.listCalls++;
    this.listOptions.push(options);
    const next = this.lists.shift();
    if (!next) throw new Error("no list scripted");
    if (next instanceof Error) throw next;
    return next as KubeList<T>;
  }

  watch<T extends KubeObject>(_type: ResourceType, options: WatchOptions): AsyncGenerator<WatchEvent<T>> {
    this.watchCalls.push(options);
    return (this.watches.shift() ?? silent)(options) as AsyncGenerator<WatchEvent<T>>;
  }
}

function list(rv: string, ...items: KubeObject[]): KubeList {
  return { apiVersion: "v1", kind: "ConfigMapList", metadata: { resourceVersion: rv }, items };
}

const gone = (message = "too old resource version") =>
  new KubeApiError(410, { kind: "Status", code: 410, reason: "Expired", message }, { verb: "watch", path: "/api/v1/configmaps" });

function setup(options: ConstructorParameters<typeof Watcher>[2] = {}) {
  const api = new FakeApi();
  const clock = new ManualClock();
  const watcher = new Watcher(api as unknown as WatchApi, TYPE, { clock, random: () => 0, resyncMs: 0, ...options });
  const abort = new AbortController();
  const events = watcher.events(abort.signal);
  const next = async (): Promise<WatcherEvent> => {
    const result = await events.next();
    if (result.done) throw new Error("watcher ended");
    return result.value;
  };
  return { api, clock, watcher, abort, events, next };
}

describe("Watcher", () => {
  test("lists, then watches from the list's resourceVersion with bookmarks and a bounded timeout", async () => {
    const { api, next } = setup({ timeoutSeconds: 200 });
    api.lists.push(list("10", cm("a", "9")));
    api.watches.push(stream({ type: "ADDED", object: cm("b", "11") }, { type: "DELETED", object: cm("a", "12") }));
    expect(await next()).toEqual({ type: "restarted", reason: "initial", objects: [cm("a", "9")] });
    expect(await next()).toEqual({ type: "applied", object: cm("b", "11") });
    expect(await next()).toEqual({ type: "deleted", object: cm("a", "12") });
    expect(api.watchCalls[0]).toMatchObject({ resourceVersion: "10", allowWatchBookmarks: true, timeoutSeconds: 200 });
  });

  test("a server-side end resumes from the last resourceVersion (bookmarks included) without relisting", async () => {
    const { api, watcher, next } = setup();
    api.lists.push(list("10"));
    api.watches.push(stream({ type: "MODIFIED", object: cm("a", "11") }, { type: "BOOKMARK", resourceVersion: "15" }));
    api.watches.push(stream({ type: "MODIFIED", object: cm("a", "16") }));
    await next();
    await next();
    expect(await next()).toEqual({ type: "applied", object: cm("a", "16") });
    expect(api.watchCalls[1]!.resourceVersion).toBe("15");
    expect(api.listCalls).toBe(1);
    expect(watcher.stats.restarts.idle_timeout).toBe(1);
  });

  test("410 as an ERROR event and as an HTTP status both relist, emitting a restarted signal", async () => {
    const { api, watcher, next } = setup();
    api.lists.push(list("10", cm("a", "9")), list("20", cm("b", "19")), list("30"));
    api.watches.push(stream({ type: "ERROR", status: { kind: "Status", code: 410, reason: "Expired", message: "too old" } }));
    api.watches.push(failing(gone()));
    await next();
    expect(await next()).toEqual({ type: "restarted", reason: "gone", objects: [cm("b", "19")] });
    expect(await next()).toEqual({ type: "restarted", reason: "gone", objects: [] });
    expect(api.watchCalls.map((call) => call.resourceVersion)).toEqual(["10", "20"]);
    expect(watcher.stats.restarts.gone).toBe(2);
    expect(watcher.stats.relists).toMatchObject({ initial: 1, gone: 2 });
  });

  test("a transport error backs off, then resumes from the same resourceVersion", async () => {
    const { api, clock, watcher, next } = setup({ backoff: { initialMs: 500, maxMs: 8_000 } });
    const reset = Object.assign(new TypeError("ECONNRESET: socket closed"), { code: "ECONNRESET" });
    api.lists.push(list("10"));
    api.watches.push(failing(reset, { type: "ADDED", object: cm("a", "11") }));
    api.watches.push(failing(reset));
    api.watches.push(stream({ type: "ADDED", object: cm("b", "12") }));
    await next();
    await next();
    const pending = next();
    await settle();
    expect(api.watchCalls).toHaveLength(1); // waiting out the backoff
    clock.advance(500);
    await settle();
    expect(api.watchCalls).toHaveLength(2);
    clock.advance(999);
    await settle();
    expect(api.watchCalls).toHaveLength(2); // the second delay doubled
    clock.advance(1);
    expect(await pending).toEqual({ type: "applied", object: cm("b", "12") });
    expect(api.watchCalls.map((call) => call.resourceVersion)).toEqual(["10", "11", "11"]);
    expect(watcher.stats.restarts.error).toBe(2);
    expect(api.listCalls).toBe(1);
  });

  test("a failed list is retried after backoff", async () => {
    const { api, clock, next } = setup();
    api.lists.push(new Error("apiserver down"), list("5", cm("a", "4")));
    const pending = next();
    await settle();
    clock.advance(500);
    expect(await pending).toEqual({ type: "restarted", reason: "initial", objects: [cm("a", "4")] });
  });

  test("the periodic resync cuts the watch and relists", async () => {
    const { api, clock, watcher, next } = setup({ resyncMs: 60_000 });
    api.lists.push(list("10"), list("11", cm("a", "11")));
    await next();
    const pending = next();
    await settle();
    clock.advance(60_000);
    expect(await pending).toEqual({ type: "restarted", reason: "resync", objects: [cm("a", "11")] });
    expect(watcher.stats.relists.resync).toBe(1);
  });

  test("a stream the server never ends is cut after timeoutSeconds plus grace and resumed", async () => {
    const { api, clock, watcher, next } = setup({ timeoutSeconds: 10, stallGraceMs: 5_000 });
    api.lists.push(list("10"));
    api.watches.push(silent, stream({ type: "ADDED", object: cm("a", "11") }));
    await next();
    const pending = next();
    await settle();
    clock.advance(15_000);
    await settle();
    clock.advance(500);
    expect(await pending).toEqual({ type: "applied", object: cm("a", "11") });
    expect(watcher.stats.restarts.error).toBe(1);
  });

  test("a stream that ends at once without events is retried with backoff, not in a hot loop", async () => {
    const { api, clock, next } = setup();
    api.lists.push(list("10"));
    api.watches.push(stream(), stream({ type: "ADDED", object: cm("a", "11") }));
    await next();
    const pending = next();
    await settle();
    expect(api.watchCalls).toHaveLength(1);
    clock.advance(500);
    expect(await pending).toEqual({ type: "applied", object: cm("a", "11") });
  });

  test("initialResourceVersion skips the first list", async () => {
    const { api, next } = setup({ initialResourceVersion: "1" });
    api.watches.push(failing(gone()));
    api.lists.push(list("50", cm("a", "49")));
    expect(await next()).toEqual({ type: "restarted", reason: "gone", objects: [cm("a", "49")] });
    expect(api.watchCalls[0]!.resourceVersion).toBe("1");
  });

  test("aborting ends the stream", async () => {
    const { api, abort, events, next } = setup();
    api.lists.push(list("10"));
    await next();
    const pending = events.next();
    await settle();
    abort.abort();
    expect((await pending).done).toBe(true);
  });

  test("timeoutSeconds above 240 is refused", () => {
    expect(() => new Watcher({} as WatchApi, TYPE, { timeoutSeconds: 290 })).toThrow(RangeError);
  });

  test("restart and relist counts reach the observer", async () => {
    const restarts: string[] = [];
    const relists: string[] = [];
    const { api, next } = setup({ observer: { onRestart: (reason) => restarts.push(reason), onRelist: (reason) => relists.push(reason) } });
    api.lists.push(list("10"), list("20"));
    api.watches.push(stream({ type: "ADDED", object: cm("a", "11") }), failing(gone()));
    await next();
    await next();
    await next();
    expect(restarts).toEqual(["idle_timeout", "gone"]);
    expect(relists).toEqual(["initial", "gone"]);
  });

  test("the first list and a resync come from the watch cache; only a list after 410 Gone is a consistent read", async () => {
    const { api, clock, next } = setup({ resyncMs: 60_000 });
    api.lists.push(list("10"), list("20"), list("30"));
    api.watches.push(stream({ type: "BOOKMARK", resourceVersion: "15" }), failing(gone()));
    expect(await next()).toMatchObject({ type: "restarted", reason: "initial" });
    expect(await next()).toMatchObject({ type: "restarted", reason: "gone" });
    const pending = next();
    await settle();
    clock.advance(60_000);
    expect(await pending).toMatchObject({ type: "restarted", reason: "resync" });
    expect(api.listOptions.map((options) => options.resourceVersion)).toEqual(["0", undefined, "20"]);
  });

  test("a stale first list converges through the watch that starts at its resourceVersion", async () => {
    // The cache answered at version 5: it still holds "old" (deleted at 7) and lacks "new" (created at 6).
    const { api, next } = setup();
    api.lists.push(list("5", cm("old", "3"), cm("kept", "4")));
    api.watches.push(stream({ type: "ADDED", object: cm("new", "6") }, { type: "DELETED", object: cm("old", "7") }, { type: "MODIFIED", object: cm("kept", "8") }));
    const store = new Map<string, string>();
    for (let i = 0; i < 4; i++) {
      const event = await next();
      if (event.type === "restarted") for (const object of event.objects) store.set(object.metadata.name, object.metadata.resourceVersion!);
      else if (event.type === "applied") store.set(event.object.metadata.name, event.object.metadata.resourceVersion!);
      else store.delete(event.object.metadata.name);
    }
    expect(api.watchCalls[0]!.resourceVersion).toBe("5");
    expect(Object.fromEntries(store)).toEqual({ kept: "8", new: "6" });
  });
});
