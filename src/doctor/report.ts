/** Renders doctor's checks: a readable report grouped by feature, or JSON for scripts. */
import { exitCodeOf, type Check, type CheckStatus } from "./check";

const MARK: Record<CheckStatus, string> = { ok: "✓", warn: "!", fail: "✗", info: "·" };

export interface JsonReport {
  ok: boolean;
  exitCode: number;
  summary: Record<CheckStatus, number>;
  checks: Check[];
}

export function jsonReport(checks: readonly Check[]): JsonReport {
  const exitCode = exitCodeOf(checks);
  return { ok: exitCode === 0, exitCode, summary: countByStatus(checks), checks: [...checks] };
}

export function textReport(checks: readonly Check[]): string {
  const sections = new Map<string, Check[]>();
  for (const line of checks) sections.set(line.section, [...(sections.get(line.section) ?? []), line]);
  const body = [...sections.entries()].flatMap(([section, lines]) => [section, ...lines.flatMap(lineRenderer(lines)), ""]);
  return [...body, summaryLine(checks)].join("\n");
}

/** Renders a section's lines with their details aligned; the fix goes under a fail or warn. */
function lineRenderer(section: readonly Check[]): (line: Check) => string[] {
  const width = Math.max(...section.map((line) => line.subject.length));
  return (line) => {
    const head = `  ${MARK[line.status]} ${line.subject.padEnd(width)}  ${line.detail}`;
    return line.fix && (line.status === "fail" || line.status === "warn") ? [head, `    ${" ".repeat(width)}  → ${line.fix}`] : [head];
  };
}

function summaryLine(checks: readonly Check[]): string {
  const counts = countByStatus(checks);
  const verdict = counts.fail > 0 ? `${counts.fail} required piece${counts.fail === 1 ? "" : "s"} missing or broken (✗)` : "everything required is in place";
  return `${verdict}; ${counts.warn} warning${counts.warn === 1 ? "" : "s"} (!), ${counts.ok} ok (✓).`;
}

function countByStatus(checks: readonly Check[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, info: 0 };
  for (const line of checks) counts[line.status]++;
  return counts;
}
