/** `doctor` through the compiled binary: the report, its JSON form and the exit code a script relies on. */
import { beforeAll, describe, expect, test } from "bun:test";
import type { JsonReport } from "../../src/doctor/report";
import { getCluster, REPO_ROOT } from "../support/cluster";
import { ensureBinary } from "../support/operator";

let kubeconfigPath: string;
let binary: string;

beforeAll(async () => {
  ({ kubeconfigPath } = await getCluster());
  binary = ensureBinary();
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
});
