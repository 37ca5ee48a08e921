import { describe, expect, test } from "bun:test";
import { check } from "../../../src/doctor/check";
import { jsonReport, textReport } from "../../../src/doctor/report";

const CHECKS = [
  check("API server", "version", "ok", "v1.35.0 at https://10.0.0.1:6443 (kubeconfig: env /k)"),
  check("API server", "clock skew", "warn", "local clock ahead by 42.0 s", "synchronise this machine's clock"),
  check("Flux (ApplicationInstances, helm Operations)", "helm-controller", "fail", "not found as Deployment in any namespace", "install Flux"),
  check("Admission webhook", "reachability svc:443", "info", "not checked"),
];

describe("doctor report", () => {
  test("text: one block per section, a mark per line, the fix under failures and warnings, a summary", () => {
    expect(textReport(CHECKS)).toBe(
      [
        "API server",
        "  ✓ version     v1.35.0 at https://10.0.0.1:6443 (kubeconfig: env /k)",
        "  ! clock skew  local clock ahead by 42.0 s",
        "                → synchronise this machine's clock",
        "",
        "Flux (ApplicationInstances, helm Operations)",
        "  ✗ helm-controller  not found as Deployment in any namespace",
        "                     → install Flux",
        "",
        "Admission webhook",
        "  · reachability svc:443  not checked",
        "",
        "1 required piece missing or broken (✗); 1 warning (!), 1 ok (✓).",
      ].join("\n"),
    );
  });

  test("text summary when nothing required is missing", () => {
    expect(textReport(CHECKS.slice(0, 2)).split("\n").at(-1)).toBe("everything required is in place; 1 warning (!), 1 ok (✓).");
  });

  test("json: ok flag, exit code, counts and every check", () => {
    const report = JSON.parse(JSON.stringify(jsonReport(CHECKS)));
    expect(report).toMatchObject({ ok: false, exitCode: 1, summary: { ok: 1, warn: 1, fail: 1, info: 1 } });
    expect(report.checks).toHaveLength(4);
    expect(report.checks[2]).toEqual({ section: "Flux (ApplicationInstances, helm Operations)", subject: "helm-controller", status: "fail", detail: "not found as Deployment in any namespace", fix: "install Flux" });
    expect(jsonReport(CHECKS.slice(0, 2))).toMatchObject({ ok: true, exitCode: 0 });
  });
});
