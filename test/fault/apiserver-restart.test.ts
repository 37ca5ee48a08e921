/**
 * docs/development.md#fault-and-bad-input-tests: the API server restarts (SIGTERM, then SIGKILL) under a running operator binary.
 * The operator never exits, reports not-ready while the API server is gone, restarts its watches,
 * and converges on a burst of changes made after the restart.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { REPO_ROOT } from "../support/cluster";
import { eventually } from "../support/eventually";
import { jsonLine } from "../support/logs";
import { metricSum } from "../support/metrics";
import { startOperatorBinary, type BinaryOperator } from "../support/operator";
import { startPrivatePlane, type PrivatePlane } from "../support/private-plane";

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const BURST = 20;
let plane: PrivatePlane;
let operator: BinaryOperator;
let metricsUrl: string;
let created = 0;

beforeAll(async () => {
  plane = await startPrivatePlane("apiserver-restart");
  operator = await startOperatorBinary({
    args: ["--metrics-bind-address=127.0.0.1:0", "--log-level=debug"],
    env: { KUBECONFIG: plane.kubeconfigPath },
    logFile: join(REPO_ROOT, ".local/test-logs/fault/apiserver-restart/operator.log"),
  });
  const line = await operator.logs.waitFor((candidate) => typeof jsonLine(candidate)?.metricsAddress === "string");
  metricsUrl = jsonLine(line)?.metricsAddress as string;
});

afterAll(async () => {
  const code = await operator?.stop();
  await plane?.stop();
  expect(code).toBe(0);
});

function gatedNamespace(name: string): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "managed-by": "vworkspace" } } };
}

async function createBurst(): Promise<void> {
  const names = Array.from({ length: BURST }, () => `burst-${++created}`);
  await Promise.all(names.map((name) => plane.client.create(NAMESPACES, gatedNamespace(name))));
}

async function ready(): Promise<boolean> {
  return (await fetch(`${operator.healthUrl}/readyz`)).status === 200;
}

test.each(["SIGTERM", "SIGKILL"] as const)("the operator survives an API server %s and converges afterwards", async (signal) => {
  await createBurst();
  await eventually(async () => (await metricSum(metricsUrl, "vworkspace_operator_managed_namespaces")) === created, { what: "gauge counts the first burst" });
  const restartsBefore = await metricSum(metricsUrl, "vworkspace_operator_watch_restarts_total");

  await plane.plane.stopApiserver(signal);
  await eventually(async () => !(await ready()), { what: "operator reports not ready while the API server is down" });
  await plane.plane.startApiserver();
  await createBurst();

  await eventually(async () => (await metricSum(metricsUrl, "vworkspace_operator_managed_namespaces")) === created, {
    what: `gauge reaches ${created} after the restart`,
  });
  await eventually(ready, { what: "operator ready again" });
  expect(await metricSum(metricsUrl, "vworkspace_operator_watch_restarts_total")).toBeGreaterThan(restartsBefore);
  expect(operator.process.exitCode).toBeNull();
});
