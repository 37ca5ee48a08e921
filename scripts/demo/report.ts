/** The demo's output: one line per step and per observed change, then a table of steps with their timings. Pure. */

export type StepOutcome = "done" | "skipped" | "failed";

export interface StepRecord {
  title: string;
  outcome: StepOutcome;
  ms: number;
  detail: string;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `  [  4.2s] text`: elapsed time since the step began, so a long wait shows it is alive. */
export function progressLine(elapsedMs: number, text: string): string {
  return `  [${(elapsedMs / 1000).toFixed(1).padStart(5)}s] ${text}`;
}

const MARK: Record<StepOutcome, string> = { done: "✓", skipped: "-", failed: "✗" };

export function stepLine(record: StepRecord): string {
  return `${MARK[record.outcome]} ${record.title} (${seconds(record.ms)})${record.detail ? `: ${record.detail}` : ""}`;
}

/** A Markdown table (it reads as plain text too) of every step, with the total. */
export function summaryTable(records: readonly StepRecord[]): string {
  const rows = records.map((record) => [record.title, `${MARK[record.outcome]} ${record.outcome}`, seconds(record.ms), record.detail]);
  const total = records.reduce((sum, record) => sum + record.ms, 0);
  rows.push(["total", "", seconds(total), ""]);
  const header = ["step", "outcome", "time", "what happened"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}
