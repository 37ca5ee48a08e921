/**
 * The compiled binary against the local cluster: CLI contract, readiness, leader election with handover
 * on SIGTERM and takeover after SIGKILL, and a clean exit.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeClient } from "../../src/kube/client";
import { LEASE_TYPE } from "../../src/kube/leader";
import type { KubeObject } from "../../src/kube/types";
import { getCluster, REPO_ROOT } from "../support/cluster";
import { eventually } from "../support/eventually";
import { jsonLine } from "../support/logs";
import { useNamespace } from "../support/namespace";
import { ensureBinary, startOperatorBinary, type BinaryOperator } from "../support/operator";

const ns = useNamespace({ slug: "e2e-binary" });
const LEASE = "vws-e2e-leader";
let client: KubeClient;
let kubeconfigPath: string;
let binary: string;
const running: BinaryOperator[] = [];

beforeAll(async () => {
  ({ client, kubeconfigPath } = await getCluster());
  binary = ensureBinary();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((operator) => operator.kill()));
});

function logFile(name: string): string {
  return join(REPO_ROOT, ".local/test-logs/e2e-binary", `${name}.log`);
}

async function start(name: string, extraArgs: string[] = []): Promise<BinaryOperator> {
  const operator = await startOperatorBinary({
    args: [
      "--leader-elect",
      `--leader-election-id=${LEASE}`,
      `--namespace=${ns.name}`,
      "--leader-election-lease-duration=4s",
      "--leader-election-renew-deadline=3s",
      "--leader-election-retry-period=500ms",
      ...extraArgs,
    ],
    env: { KUBECONFIG: kubeconfigPath },
    logFile: logFile(name),
  });
  running.push(operator);
  return operator;
}

async function identityOf(operator: BinaryOperator): Promise<string> {
  const line = await operator.logs.waitFor((candidate) => typeof jsonLine(candidate)?.identity === "string" && jsonLine(candidate)?.msg === "operator started");
  return jsonLine(line)?.identity as string;
}

async function holder(): Promise<string | undefined> {
  const lease = await client.get<KubeObject>(LEASE_TYPE, LEASE, { namespace: ns.name }).catch(() => undefined);
  return (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
}

function runBinary(args: string[], env: Record<string, string> = {}) {
  const result = Bun.spawnSync([binary, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

describe("CLI contract", () => {
  test("version prints the package version", async () => {
    const { version } = await Bun.file(join(REPO_ROOT, "package.json")).json();
    const result = runBinary(["version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`vworkspace-operator ${version}`);
  });

  test("a bad flag exits 2 naming the flag", () => {
    const result = runBinary(["run", "--no-such-flag"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown flag --no-such-flag");
  });

  test("an unreachable API server exits 1 with a clear message", () => {
    const dir = join(REPO_ROOT, ".local/test-logs/e2e-binary");
    mkdirSync(dir, { recursive: true });
    const dead = join(dir, "dead-kubeconfig.yaml");
    writeFileSync(
      dead,
      "apiVersion: v1\nkind: Config\nclusters: [{name: dead, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]\n" +
        "users: [{name: dead, user: {token: not-a-secret}}]\ncontexts: [{name: dead, context: {cluster: dead, user: dead}}]\ncurrent-context: dead\n",
    );
    const result = runBinary(["run", `--kubeconfig=${dead}`, "--health-probe-bind-address=127.0.0.1:0"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("API server https://127.0.0.1:1 is unreachable");
  });

  test("crds prints the three CRDs", () => {
    const result = runBinary(["crds"]);
    expect(result.code).toBe(0);
    for (const name of ["applicationinstances.apps.vworkspace.io", "operations.ops.vworkspace.io", "clusters.ops.vworkspace.io"]) {
      expect(result.stdout).toContain(`name: ${name}`);
    }
  });
});

describe("leader election between two binaries", () => {
  test("the first takes the Lease; on SIGTERM it exits 0 and the standby takes over", async () => {
    const first = await start("handover-first");
    const firstId = await identityOf(first);
    await eventually(async () => (await holder()) === firstId, { what: "first instance holds the Lease" });

    const second = await start("handover-second");
    const secondId = await identityOf(second);
    const verbose = await (await fetch(`${second.healthUrl}/readyz?verbose`)).text();
    expect(verbose).toContain(`[+]leader-election ok`);
    expect(await holder()).toBe(firstId);

    expect(await first.stop()).toBe(0);
    // A released Lease is taken at the standby's next retry, long before the 4 s lease would expire.
    await eventually(async () => (await holder()) === secondId, { what: "second instance holds the Lease", timeoutMs: 10_000 });
    expect(await second.stop()).toBe(0);
  });

  test("when the holder is killed with SIGKILL, the standby takes over after the lease expires", async () => {
    const first = await start("sigkill-first");
    const firstId = await identityOf(first);
    await eventually(async () => (await holder()) === firstId, { what: "first instance holds the Lease" });
    const second = await start("sigkill-second");
    const secondId = await identityOf(second);

    await first.kill();
    expect(await holder()).toBe(firstId);
    await eventually(async () => (await holder()) === secondId, { what: "standby took over the expired Lease", timeoutMs: 30_000 });
    expect(await second.stop()).toBe(0);
  });
});
