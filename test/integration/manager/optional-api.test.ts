/**
 * An optional API that is not installed (docs/operations.md#engines: Argo Workflows, Velero, CSI snapshots,
 * VolSync) against the real API server: the informer notes its absence once and waits for the CRD, then
 * lists and watches as soon as the CRD appears, without a restart.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { ApiCallRecorder } from "../../../src/kube/api-calls";
import { CUSTOM_RESOURCE_DEFINITION } from "../../../src/kube/crd-presence";
import { classifyError } from "../../../src/kube/errors";
import type { KubeClient } from "../../../src/kube/client";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { crdEstablished } from "../../../src/manager/crds";
import { InformerFactory } from "../../../src/manager/informers";
import { createLogger } from "../../../src/observability/logger";
import { OperatorMetrics } from "../../../src/observability/metrics";
import { getCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { LogCapture, jsonLine } from "../../support/logs";
import { randomSuffix, useNamespace } from "../../support/namespace";

const ns = useNamespace({ slug: "optional-api" });
const GROUP = `optional-${randomSuffix()}.vworkspace.test`;
const WIDGET: ResourceType = { group: GROUP, version: "v1", kind: "Widget", plural: "widgets", namespaced: true };
const CRD_NAME = `widgets.${GROUP}`;
// Long enough for several retries of the old behaviour (backoff from 0.5 s).
const ABSENT_WINDOW_MS = 4_000;

let client: KubeClient;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  client = (await getCluster()).client;
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

afterAll(async () => {
  await client.delete(CUSTOM_RESOURCE_DEFINITION, CRD_NAME).catch((err: unknown) => {
    if (classifyError(err) !== "notFound") throw err;
  });
});

function widgetCrd(): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: CRD_NAME },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  };
}

describe("an optional API that is not installed", () => {
  test("is noted once, not re-listed, and picked up when its CRD appears", async () => {
    const recorder = new ApiCallRecorder();
    const logs = new LogCapture();
    const factory = new InformerFactory({
      client: client.withObserver(recorder),
      namespaces: [ns.name],
      resyncMs: 600_000,
      logger: createLogger({ level: "info", destination: logs }),
      metrics: new OperatorMetrics(),
    });
    const widgets = factory.for<KubeObject>({ type: WIDGET });
    const abort = new AbortController();
    factory.start(abort.signal);
    stops.push(async () => {
      abort.abort();
      await factory.stop();
    });

    await Bun.sleep(ABSENT_WINDOW_MS);
    const widgetLists = () => recorder.filter((call) => call.verb === "list" && call.path.endsWith("/widgets"));
    const warnings = () => logs.lines.map(jsonLine).filter((line) => line?.level === "warn");
    expect(widgetLists()).toHaveLength(1);
    expect(widgetLists()[0]!.code).toBe(404);
    expect(warnings().map((line) => line?.msg)).toEqual(["API not served; waiting for its CustomResourceDefinition"]);
    expect(widgets.hasSynced()).toBe(false);

    await client.create(CUSTOM_RESOURCE_DEFINITION, widgetCrd());
    await eventually(async () => crdEstablished(await client.get(CUSTOM_RESOURCE_DEFINITION, CRD_NAME)), { what: `CRD ${CRD_NAME} Established` });
    await eventually(
      () =>
        client.create(WIDGET, { apiVersion: `${GROUP}/v1`, kind: "Widget", metadata: { name: "first", namespace: ns.name } }).then(
          () => true,
          (err: unknown) => classifyError(err) === "alreadyExists",
        ),
      { what: "a Widget created" },
    );
    await eventually(() => widgets.get(`${ns.name}/first`) !== undefined, { what: "the Widget in the informer's cache" });
    expect(widgets.hasSynced()).toBe(true);
    expect(warnings()).toHaveLength(1);
  });
});
