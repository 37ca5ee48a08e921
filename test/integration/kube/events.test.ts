import { beforeAll, describe, expect, test } from "bun:test";
import type { KubeClient } from "../../../src/kube/client";
import { EVENT_TYPE, EventRecorder } from "../../../src/kube/events";
import { getCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { CONFIG_MAPS, configMap } from "./fixtures";

const ns = useNamespace({ slug: "kube-events" });
let client: KubeClient;

beforeAll(async () => {
  client = (await getCluster()).client;
});

describe("EventRecorder against a real apiserver", () => {
  test("writes an events.k8s.io/v1 Event and counts repeats in its series", async () => {
    const regarding = await client.create(CONFIG_MAPS, configMap(ns.name, "subject"));
    const recorder = new EventRecorder({ client, reportingInstance: "test-pod-0" });
    const event = { type: "Warning" as const, reason: "UpgradeFailed", action: "Ready", note: "Ready=False: upgrade failed" };
    recorder.record(regarding, event);
    await recorder.flush();
    recorder.record(regarding, event);
    recorder.record(regarding, event);
    await recorder.stop();

    const events = await eventually(
      async () => {
        const list = await client.list(EVENT_TYPE, { namespace: ns.name });
        return list.items.length > 0 ? list.items : undefined;
      },
      { what: "the Event exists" },
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      reason: "UpgradeFailed",
      type: "Warning",
      action: "Ready",
      note: "Ready=False: upgrade failed",
      reportingController: "vworkspace-operator",
      reportingInstance: "test-pod-0",
      regarding: { kind: "ConfigMap", name: "subject", namespace: ns.name, uid: regarding.metadata.uid },
      series: { count: 3 },
    });
  });

  test("a failing write is swallowed", async () => {
    const recorder = new EventRecorder({ client, reportingInstance: "test-pod-0" });
    // An invalid reason (empty) is rejected by the server; the caller never sees it.
    recorder.record(configMap(ns.name, "ghost"), { type: "Normal", reason: "", action: "Ready", note: "x" });
    await recorder.stop();
    expect((await client.list(EVENT_TYPE, { namespace: ns.name })).items).toHaveLength(0);
  });
});
