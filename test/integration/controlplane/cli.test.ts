/** The CLI helpers against a running plane: token create, enqueue with --wait-result exit codes, events. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../src/cli/main";
import { registerCluster, startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { agentCall, heartbeatEvent } from "./agent-request";

let plane: RefControlPlane;
let env: Record<string, string>;
beforeAll(async () => {
  plane = await startRefControlPlane();
  env = { VWORKSPACE_CP_URL: plane.url, VWORKSPACE_CP_ADMIN_TOKEN: plane.adminToken };
});
afterAll(() => plane.stop());

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["control-plane", ...args], env, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out, err };
}

/** Answers the next job of the cluster with `outcome`, as an agent would. */
async function answerNextJob(clusterId: string, token: string, outcome: string): Promise<void> {
  for (;;) {
    const poll = await agentCall(plane.url, `/api/agent/jobs?cluster=${clusterId}&wait=5`, { token });
    const jobs = JSON.parse(poll.text).jobs as { id: string }[];
    if (jobs.length === 0) continue;
    await agentCall(plane.url, `/api/agent/jobs/${jobs[0]!.id}/ack`, { method: "POST", token });
    await agentCall(plane.url, `/api/agent/jobs/${jobs[0]!.id}/result`, { token, body: { outcome, timestamp: new Date().toISOString() } });
    return;
  }
}

test("token create prints only a registration token that registers once", async () => {
  const { code, out } = await cli(["token", "create", "--cluster-id", "cli-cluster", "--ttl", "1h"]);
  expect(code).toBe(0);
  expect(out).toHaveLength(1);
  expect(out[0]).toMatch(/^vwksp-reg-[0-9a-f]+$/);
  const register = await agentCall(plane.url, "/api/agent/register", { token: out[0], body: { registrationToken: out[0] } });
  expect([register.status, register.json?.clusterId]).toEqual([200, "cli-cluster"]);
});

test("enqueue --apply prints the id; --wait-result exits 0 on succeeded, 1 on failed, 124 on timeout", async () => {
  const { clusterId, token } = await registerCluster(plane);
  const dir = mkdtempSync(join(tmpdir(), "vws-cli-"));
  const manifest = join(dir, "cm.yaml");
  writeFileSync(manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  namespace: team-a\ndata:\n  a: '1'\n");
  const plain = await cli(["enqueue", "--cluster-id", clusterId, "--apply", manifest, "--idempotency-key", "configmap/team-a/demo@1"]);
  expect(plain.code).toBe(0);
  const record = await plane.admin.job(plain.out[0] as string);
  expect(record.job).toMatchObject({ kind: "apply", idempotencyKey: "configmap/team-a/demo@1", payload: { metadata: { name: "demo" } } });
  expect(typeof record.job.signature).toBe("string");
  await answerNextJob(clusterId, token, "noop");

  const succeeded = cli(["enqueue", "--cluster-id", clusterId, "--delete", "core/ConfigMap/team-a/demo", "--no-sign", "--wait-result", "60s"]);
  await answerNextJob(clusterId, token, "succeeded");
  const done = await succeeded;
  expect(done.code).toBe(0);
  expect(JSON.parse(done.out[1] as string).outcome).toBe("succeeded");
  expect((await plane.admin.job(done.out[0] as string)).job.signature).toBeUndefined();

  const failed = cli(["enqueue", "--cluster-id", clusterId, "--intent", "rotate-operator-credentials", "--wait-result", "60s"]);
  await answerNextJob(clusterId, token, "failed");
  expect((await failed).code).toBe(1);

  const timeout = await cli(["enqueue", "--cluster-id", clusterId, "--intent", "rotate-operator-credentials", "--wait-result", "1s"]);
  expect(timeout.code).toBe(124);
});

test("enqueue refuses bad flag combinations with exit code 2", async () => {
  expect((await cli(["enqueue", "--cluster-id", "x"])).code).toBe(2);
  expect((await cli(["enqueue", "--cluster-id", "x", "--delete", "core/ConfigMap/a/b", "--sign", "--no-sign"])).code).toBe(2);
  expect((await cli(["enqueue", "--delete", "core/ConfigMap/a/b"])).err.join("")).toContain("--cluster-id");
});

test("events prints one JSON event per line, filtered by kind", async () => {
  const { clusterId, token } = await registerCluster(plane);
  await agentCall(plane.url, "/api/agent/events", { token, body: { events: [heartbeatEvent(clusterId), heartbeatEvent(clusterId)] } });
  const { code, out } = await cli(["events", "--cluster-id", clusterId, "--event-kind", "ClusterHeartbeat"]);
  expect(code).toBe(0);
  expect(out.map((line) => JSON.parse(line).kind)).toEqual(["ClusterHeartbeat", "ClusterHeartbeat"]);
});
