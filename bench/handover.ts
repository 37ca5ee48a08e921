/**
 * bench/handover: the field-ownership hand-over of a mode switch (docs/connectivity.md#field-ownership-hand-over)
 * against the local cluster. N ApplicationInstances applied as `vworkspace-agent` in one gated namespace, then
 * the hand-over to `vworkspace-odoo` (one list, one JSON patch per object), a second run with nothing left to
 * rename (the list alone), and the hand-over back. Prints wall times and objects/s.
 * Usage: bun bench/handover.ts [--instances=200]
 */
import { resolve } from "node:path";
import { APPLICATION_INSTANCE } from "../src/api/groups";
import { handOverFieldOwnership } from "../src/controllers/cluster/handover";
import { applyObject } from "../src/kube/apply";
import { KubeClient } from "../src/kube/client";
import { connectionFrom, resolveKubeConfig } from "../src/kube/config";
import type { KubeObject, ResourceType } from "../src/kube/types";
import { createLogger } from "../src/observability/logger";
import { applicationInstance } from "../test/integration/agent/harness";
import { deleteNamespace, GATE_LABEL, randomSuffix } from "../test/support/namespace";

const ROOT = resolve(import.meta.dir, "..");
const KUBECONFIG = process.env.KUBECONFIG ?? resolve(ROOT, ".local/cluster/kubeconfig");
const count = Number(process.argv.find((arg) => arg.startsWith("--instances="))?.split("=")[1] ?? "200");
const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const client = new KubeClient({ connection: connectionFrom(resolveKubeConfig({ kubeconfigPath: KUBECONFIG })) });
const quiet = createLogger({ level: "silent" });
const AGENT = "vworkspace-agent";
const ODOO = "vworkspace-odoo";

async function timed(label: string, from: string, to: string, namespace: string): Promise<void> {
  const started = performance.now();
  const moved = await handOverFieldOwnership(client, [namespace], { from, to }, new AbortController().signal, quiet);
  const ms = performance.now() - started;
  console.log(`${label.padEnd(34)} ${String(moved).padStart(5)} objects  ${ms.toFixed(0).padStart(6)} ms  ${moved > 0 ? `${((moved / ms) * 1000).toFixed(0)} objects/s` : ""}`);
}

const namespace = `t-bench-handover-${randomSuffix()}`;
await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { [GATE_LABEL.key]: GATE_LABEL.value } } });
try {
  for (let index = 0; index < count; index++) {
    await applyObject(client, APPLICATION_INSTANCE, applicationInstance(namespace, `web-${index}`) as KubeObject, { fieldManager: AGENT });
  }
  console.log(`bench/handover: ${count} ApplicationInstances in one namespace, ${process.arch}, ${navigator.hardwareConcurrency} CPUs`);
  await timed("pull → push", AGENT, ODOO, namespace);
  await timed("pull → push again (nothing left)", AGENT, ODOO, namespace);
  await timed("push → pull", ODOO, AGENT, namespace);
} finally {
  await deleteNamespace(client, namespace);
}
