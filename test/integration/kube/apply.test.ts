import { beforeAll, describe, expect, test } from "bun:test";
import { ApplyConflictError, applyObject } from "../../../src/kube/apply";
import type { KubeClient } from "../../../src/kube/client";
import { classifyError } from "../../../src/kube/errors";
import { getCluster } from "../../support/cluster";
import { useNamespace } from "../../support/namespace";
import { CONFIG_MAPS, configMap } from "./fixtures";

const ns = useNamespace({ slug: "kube-apply" });
let client: KubeClient;

beforeAll(async () => {
  client = (await getCluster()).client;
});

describe("server-side apply", () => {
  test("a second manager changing an owned field gets a typed conflict unless it forces", async () => {
    await applyObject(client, CONFIG_MAPS, configMap(ns.name, "shared", { owned: "a", other: "x" }), { fieldManager: "manager-a" });
    const err = await applyObject(client, CONFIG_MAPS, configMap(ns.name, "shared", { owned: "b" }), { fieldManager: "manager-b" }).catch(
      (caught: unknown) => caught,
    );
    expect(err).toBeInstanceOf(ApplyConflictError);
    expect(classifyError(err)).toBe("conflict");
    expect((err as ApplyConflictError).conflicts).toEqual([{ field: ".data.owned", manager: "manager-a" }]);

    const forced = await applyObject(client, CONFIG_MAPS, configMap(ns.name, "shared", { owned: "b" }), { fieldManager: "manager-b", force: true });
    expect(forced.data).toEqual({ owned: "b", other: "x" });
    const managers = (forced.metadata.managedFields as Array<{ manager: string }>).map((entry) => entry.manager).sort();
    expect(managers).toEqual(["manager-a", "manager-b"]);
  });

  test("fields a manager stops applying are removed; other managers' fields survive", async () => {
    await applyObject(client, CONFIG_MAPS, configMap(ns.name, "shrink", { keep: "1", drop: "2" }), { fieldManager: "operator" });
    await client.patch(CONFIG_MAPS, "shrink", { type: "merge", body: { metadata: { labels: { foreign: "yes" } } } }, { namespace: ns.name, fieldManager: "someone-else" });
    const applied = await applyObject(client, CONFIG_MAPS, configMap(ns.name, "shrink", { keep: "1" }), { fieldManager: "operator", force: true });
    expect(applied.data).toEqual({ keep: "1" });
    expect(applied.metadata.labels?.foreign).toBe("yes");
  });

  test("dry-run apply returns the result without storing it", async () => {
    const dry = await applyObject(client, CONFIG_MAPS, configMap(ns.name, "dry", { a: "1" }), { fieldManager: "operator", dryRun: true });
    expect(dry.data).toEqual({ a: "1" });
    const missing = await client.get(CONFIG_MAPS, "dry", { namespace: ns.name }).catch((err: unknown) => err);
    expect(classifyError(missing)).toBe("notFound");
  });
});
