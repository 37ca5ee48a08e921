/**
 * docs/development.md#fault-and-bad-input-tests "Idle watch": Bun's fetch closes a silent stream after BUN_CONFIG_HTTP_IDLE_TIMEOUT
 * seconds (300 by default). With it shrunk to 10 s, quiet watches die every ~10–20 s; after at least
 * three observed restarts a change must still reach the operator.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { ResourceType } from "../../src/kube/types";
import { REPO_ROOT } from "../support/cluster";
import { eventually } from "../support/eventually";
import { jsonLine } from "../support/logs";
import { metricSum } from "../support/metrics";
import { startOperatorBinary, type BinaryOperator } from "../support/operator";
import { startPrivatePlane, type PrivatePlane } from "../support/private-plane";

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
let plane: PrivatePlane;
let operator: BinaryOperator;
let metricsUrl: string;

beforeAll(async () => {
  plane = await startPrivatePlane("idle-watch");
  operator = await startOperatorBinary({
    args: ["--metrics-bind-address=127.0.0.1:0"],
    env: { KUBECONFIG: plane.kubeconfigPath, BUN_CONFIG_HTTP_IDLE_TIMEOUT: "10" },
    logFile: join(REPO_ROOT, ".local/test-logs/fault/idle-watch/operator.log"),
  });
  metricsUrl = jsonLine(await operator.logs.waitFor((line) => typeof jsonLine(line)?.metricsAddress === "string"))?.metricsAddress as string;
});

afterAll(async () => {
  const code = await operator?.stop();
  await plane?.stop();
  expect(code).toBe(0);
});

test("a change after three idle-timeout restarts is still seen", async () => {
  await eventually(async () => (await metricSum(metricsUrl, "vworkspace_operator_watch_restarts_total")) >= 3, {
    what: "three watch restarts of the quiet Namespace watch",
    timeoutMs: 120_000,
  });
  await plane.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "late", labels: { "managed-by": "vworkspace" } } });
  await eventually(async () => (await metricSum(metricsUrl, "vworkspace_operator_managed_namespaces")) === 1, { what: "the late namespace is counted" });
  expect(operator.process.exitCode).toBeNull();
}, 180_000);
