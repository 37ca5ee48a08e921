/**
 * A condition reason set in src/ but missing from src/api/condition-vocabulary.ts fails the build, because
 * docs/reference/conditions.md and docs/troubleshooting.md are generated from, and checked against, that
 * vocabulary.
 *
 * How reasons are found: the code writes them as PascalCase string literals in a few shapes, and this scan
 * reads exactly those shapes, per file, with comments removed:
 *   - `reason: "X"` inside an object literal (a condition, a controller's situation row, an engine's or a
 *     rule's verdict), except Kubernetes Event records (they carry `note:`; Event reasons are another
 *     vocabulary) and admission verdicts (`rule:` objects, src/webhook/ and src/api/validation/, whose
 *     codes go into AdmissionReview answers, not conditions);
 *   - `reason = …;` assignments (every literal of a ternary) and `reason: "A" | "B"` / `type …Reason = …`
 *     unions;
 *   - the helpers that take a reason first or third: `cond(type, status, "X")`, `blocked("X", …)`,
 *     `new PermanentStartError("X", …)`, and `fail("X", …)` of the Operation rules in src/operations/
 *     (the agent's `fail` sets job error codes of the wire protocol, not conditions).
 * `Reason.X` member accesses need no scan: the compiler already rejects a member the vocabulary lacks.
 * Lower-case literals (metric label values like `overflow`) are not reasons and never match.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import * as vocabulary from "../../../src/api/condition-vocabulary";

const ROOT = resolve(import.meta.dir, "../../..");
const REASON = String.raw`"([A-Z][A-Za-z0-9]*)"`;

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (path.endsWith(".ts")) yield path;
  }
}

/**
 * Comments blanked out and template literals emptied (line structure kept): their `${…}` braces would
 * break the object-literal matching, and they hold messages, never reasons. Quoted strings stay.
 */
function withoutComments(source: string): string {
  const blank = (text: string) => text.replace(/[^\n]/g, " ");
  return source.replace(/("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|`(?:[^`\\]|\\.)*`|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (match, quoted) =>
    quoted ?? (match.startsWith("`") ? `\`${blank(match.slice(2))}\`` : blank(match)),
  );
}

/** Reasons set by one file's code, each with its line. */
export function reasonsSetIn(source: string, path: string): { reason: string; line: number }[] {
  const code = withoutComments(source);
  const found: { reason: string; line: number }[] = [];
  const add = (reason: string, index: number) => found.push({ reason, line: code.slice(0, index).split("\n").length });
  const admissionOnly = path.startsWith("src/webhook/") || path.startsWith("src/api/validation/");

  for (const object of code.matchAll(/\{[^{}]*\}/g)) {
    const body = object[0];
    if (/\bnote:/.test(body) || /\brule[,:\s]/.test(body) || admissionOnly) continue;
    for (const match of body.matchAll(new RegExp(String.raw`\breason:\s*${REASON}`, "g"))) add(match[1]!, object.index! + match.index!);
  }
  const spans = [
    new RegExp(String.raw`\breason\s*=\s*[^;=][^;]*;`, "g"),
    new RegExp(String.raw`\breason\??:\s*${REASON}(?:\s*\|\s*${REASON})+`, "g"),
    /\btype\s+\w*Reason\s*=[^;]*;/g,
  ];
  const calls = [
    new RegExp(String.raw`\bcond\([^,()]+,\s*"(?:True|False|Unknown)",\s*${REASON}`, "g"),
    new RegExp(String.raw`\bblocked\(\s*${REASON}`, "g"),
    new RegExp(String.raw`\bnew PermanentStartError\(\s*${REASON}`, "g"),
  ];
  if (!admissionOnly) {
    for (const pattern of spans) {
      for (const span of code.matchAll(pattern)) {
        for (const literal of span[0].matchAll(new RegExp(REASON, "g"))) add(literal[1]!, span.index! + literal.index!);
      }
    }
    for (const pattern of calls) for (const match of code.matchAll(pattern)) add(match[1]!, match.index!);
    // Only the Operation rules' `fail` yields a condition reason; the agent's `fail` yields a job error code.
    if (path.startsWith("src/operations/")) {
      for (const match of code.matchAll(new RegExp(String.raw`\bfail\(\s*${REASON}`, "g"))) add(match[1]!, match.index!);
    }
  }
  return found;
}

const known = new Set(Object.values(vocabulary).flatMap((group) => Object.values(group as Record<string, string>)));

describe("condition reasons used in code", () => {
  const uses = [...sourceFiles(join(ROOT, "src"))]
    .map((file) => relative(ROOT, file))
    .filter((path) => path !== "src/api/condition-vocabulary.ts")
    .flatMap((path) => reasonsSetIn(readFileSync(join(ROOT, path), "utf8"), path).map((use) => ({ ...use, path })));

  test("every one is in src/api/condition-vocabulary.ts", () => {
    const missing = uses.filter((use) => !known.has(use.reason)).map((use) => `${use.path}:${use.line} ${use.reason}`);
    expect(missing).toEqual([]);
  });

  test("the scan finds the reasons of all three kinds, whatever shape sets them", () => {
    const reasons = new Set(uses.map((use) => use.reason));
    for (const reason of ["NoRecentRoundTrip", "TLSHandshakeFailed", "AwaitingApproval", "BackupNotOwned", "EngineFailed", "MissingDependencies", "ConflictingOperation", "CredentialRotated"]) {
      expect(reasons.has(reason), reason).toBe(true);
    }
  });

  test("the shapes it reads, and the ones it must not", () => {
    const sample = [
      `const a = { type: "Ready", status: "True", reason: "Alpha", message: "" };`,
      `const reason = flag ? "Beta" : "Gamma";`,
      `return blocked("Delta", message); return fail("Epsilon", m); throw new PermanentStartError("Zeta", m);`,
      `const b = { type: "Ready", status: "False", reason: "Kappa", message: \`\${count} missed\` };`,
      `cond(Type.Ready, "False", "Eta", message)`,
      `type SomeReason = "Theta" | "Iota";`,
      `events.record(obj, { type: "Warning", reason: "EventOnly", action: "X", note: "n" });`,
      `metrics.dropped.inc({ reason: "overflow" });`,
      `const verdict = { rule: "AI-3", reason: "AdmissionOnly", message };`,
      `// reason: "InAComment"`,
    ].join("\n");
    expect(reasonsSetIn(sample, "src/operations/x.ts").map((use) => use.reason).sort()).toEqual(
      ["Alpha", "Beta", "Delta", "Epsilon", "Eta", "Gamma", "Iota", "Kappa", "Theta", "Zeta"].sort(),
    );
    expect(reasonsSetIn(sample, "src/agent/x.ts").map((use) => use.reason)).not.toContain("Epsilon");
    expect(reasonsSetIn(sample, "src/webhook/x.ts")).toEqual([]);
  });
});
