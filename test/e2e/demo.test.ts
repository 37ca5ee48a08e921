/**
 * `npm run demo` in the suite: the demo's own step sequence (scripts/demo/run.ts) against a private cluster with
 * a node, real Flux, the reference control plane and the compiled operator: register, deploy, upgrade, back up
 * through a Job Pod, delete, and stop everything. The node is a host singleton: the test waits for it to be
 * free (another suite's node) and fails, never skips, when it does not get it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { linkExists, NODE_NAMES } from "../../scripts/lib/node-host";
import { summaryTable } from "../../scripts/demo/report";
import { DEMO_STEPS, newDemoRun, runDemo, STOP_STEP, stopDemo, type DemoRun } from "../../scripts/demo/run";
import { REPO_ROOT } from "../support/cluster";

const CLUSTER_DIR = join(REPO_ROOT, ".local/demo-test-cluster");
const NODE_WAIT_MS = 600_000;

/** Polls the host: the node's bridge is the one marker every local node has. */
async function waitForFreeNode(): Promise<void> {
  const deadline = Date.now() + NODE_WAIT_MS;
  while (linkExists(NODE_NAMES.bridge)) {
    if (Date.now() > deadline) throw new Error(`the host's node (bridge ${NODE_NAMES.bridge}) stayed in use for ${NODE_WAIT_MS / 1000} s`);
    await Bun.sleep(2_000);
  }
}

let run: DemoRun | undefined;

afterAll(async () => {
  // A test killed by its timeout never reached the demo's own teardown.
  if (run) await stopDemo(run, (line) => console.log(line));
}, 120_000);

describe("npm run demo (its steps, in the suite)", () => {
  test("every step completes on real Flux and a real node, and the demo leaves nothing running", async () => {
    await waitForFreeNode();
    const lines: string[] = [];
    const out = (line: string) => lines.push(line);
    run = newDemoRun({ clusterDir: CLUSTER_DIR, workDir: join(REPO_ROOT, ".local/test-logs/demo"), withNode: true, names: { namespace: "demo-e2e", instance: "shop" }, stepTimeoutMs: 180_000, keep: false }, out);
    await runDemo(run, out);
    console.log(summaryTable(run.records));
    if (run.error) throw new Error(`${run.error.message}\n${lines.slice(-30).join("\n")}`);
    expect(run.records.map((record) => [record.title, record.outcome])).toEqual([...DEMO_STEPS, STOP_STEP].map((step) => [step.title, "done"]));
    expect(lines.filter((line) => line.startsWith("  ["))).not.toHaveLength(0);

    const backupFile = run.context.state.backupFile ?? "";
    expect(existsSync(backupFile)).toBe(true);
    expect(readFileSync(backupFile, "utf8")).toBe("chartVersion=0.2.0\nvalue=hello from the demo\n");
    expect(run.records.find((record) => record.title.startsWith("back it up"))?.detail).toContain("on node vws-node");

    expect(run.context.state.operator).toBeUndefined();
    expect(linkExists(NODE_NAMES.bridge)).toBe(false);
    const status = Bun.spawnSync([process.execPath, "scripts/local-cluster.ts", "status", "--quiet"], { cwd: REPO_ROOT, env: { ...process.env, VWS_CLUSTER_DIR: CLUSTER_DIR } });
    expect(status.exitCode).toBe(1);
  }, NODE_WAIT_MS + 600_000);
});
