/** `doctor` through the compiled binary: the report, its JSON form and the exit code a script relies on. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { freePort } from "../../scripts/lib/ports";
import type { JsonReport } from "../../src/doctor/report";
import type { KubeClient } from "../../src/kube/client";
import { VALIDATING_WEBHOOK_CONFIGURATION } from "../../src/webhook/configuration";
import { getCluster, REPO_ROOT, testRunId } from "../support/cluster";
import { TEST_LABEL, useNamespace } from "../support/namespace";
import { ensureBinary, startOperatorBinary, type BinaryOperator } from "../support/operator";

const SLUG = "e2e-doctor";
const ns = useNamespace({ slug: SLUG });
const configName = `vws-test-${testRunId()}-${SLUG}`;
let client: KubeClient;
let kubeconfigPath: string;
let binary: string;
let operator: BinaryOperator | undefined;

beforeAll(async () => {
  ({ client, kubeconfigPath } = await getCluster());
  binary = ensureBinary();
});

afterAll(async () => {
  await operator?.kill();
  await client.delete(VALIDATING_WEBHOOK_CONFIGURATION, configName).catch(() => undefined);
});

function runDoctor(args: string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const result = Bun.spawnSync([binary, "doctor", ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
}

describe("compiled binary: doctor", () => {
  test("--help names the flags like the other subcommands", () => {
    const { code, out } = runDoctor(["--help"]);
    expect(code).toBe(0);
    for (const flag of ["--kubeconfig", "--namespace", "--output", "--flux-namespace", "--timeout"]) expect(out).toContain(flag);
  });

  test("against the local cluster ($KUBECONFIG): JSON that parses, Flux controllers missing, exit 1", () => {
    const { code, out, err } = runDoctor(["--output", "json"], { KUBECONFIG: kubeconfigPath });
    expect(err).toBe("");
    const report = JSON.parse(out) as JsonReport;
    expect(code).toBe(1);
    expect(report.exitCode).toBe(1);
    // "warn" when a branch with another schema installed them last; never missing.
    expect(report.checks.filter((check) => check.section === "Our CRDs").map((check) => check.status === "ok" || check.status === "warn")).toEqual([true, true, true]);
    expect(report.checks.filter((check) => check.status === "fail").map((check) => check.subject)).toEqual(expect.arrayContaining(["source-controller", "helm-controller"]));
  });

  test("without any kubeconfig: the text report says why and exits 1", () => {
    const { code, out } = runDoctor(["--kubeconfig=/nonexistent/kubeconfig"]);
    expect(code).toBe(1);
    expect(out).toContain("✗ kubeconfig  unreachable: kubeconfig from --kubeconfig not found: /nonexistent/kubeconfig");
  });

  test("the operator's own webhook (scoped to this namespace): registered, handshake verified, certificate expiry read", async () => {
    const port = await freePort();
    operator = await startOperatorBinary({
      args: [
        `--kubeconfig=${kubeconfigPath}`,
        `--namespace=${ns.name}`,
        `--watch-namespaces=${ns.name}`,
        "--webhooks-enabled=true",
        "--webhook-host=127.0.0.1",
        `--webhook-port=${port}`,
        "--webhook-url-host=127.0.0.1",
        `--webhook-config-name=${configName}`,
        `--webhook-namespace-selector=${TEST_LABEL}=${SLUG}`,
      ],
      logFile: join(REPO_ROOT, ".local/test-logs/e2e-doctor/operator.log"),
    });
    const { out } = runDoctor([`--kubeconfig=${kubeconfigPath}`, `--namespace=${ns.name}`, `--webhook-config-name=${configName}`, "--output=json"]);
    const webhook = (JSON.parse(out) as JsonReport).checks.filter((check) => check.section === "Admission webhook");
    expect(webhook.map((check) => [check.subject, check.status])).toEqual([
      [`ValidatingWebhookConfiguration ${configName}`, "ok"],
      [`reachability 127.0.0.1:${port}`, "ok"],
      [`serving certificate (Secret ${ns.name}/vworkspace-operator-webhook-tls)`, "ok"],
    ]);
    expect(webhook[1]!.detail).toMatch(/^TLS handshake verified against caBundle; serving certificate expires in 36\dd$/);
  });
});
