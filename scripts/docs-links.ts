/**
 * Rewrites comments that cite the internal design notes (`api.md §4.5`, `connectivity.md §3.2, §3.4`,
 * `operations.md §3.3–3.7`, a bare `§3.4` in a file about one of them) into links to the user and
 * contributor documentation in docs/ (`docs/concepts.md#namespace-gate`). Refuses to write when a target
 * file or heading does not exist, or when a citation cannot be resolved.
 *   bun scripts/docs-links.ts           rewrite src/, scripts/, test/, chart/ in place
 *   bun scripts/docs-links.ts --check   list what would change, exit 1 when anything would
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { SECTION_TARGETS, SPEC_FILE_TARGETS, type SpecFile } from "./docs/section-targets";
import { documentAnchors } from "./lib/markdown";

const ROOT = resolve(import.meta.dir, "..");
export const SCANNED_DIRS = ["src", "scripts", "test", "chart"];
const TEXT_FILE = /\.(ts|js|sh|ya?ml|tpl|env|txt|json|toml)$|^[^.]+$/;

const SPEC = String.raw`(?<![\w/.-])(api|operations|connectivity|testing)\.md\b`;
const SECTION = String.raw`§\s?\d+(?:\.\d+)*`;
const NEXT_SECTION = String.raw`\s*(?:,|/|and|&|-)\s*${SECTION}|\s*–\s*(?:§\s?)?\d+(?:\.\d+)*`;
/** A citation may wrap: `(operations.md` at the end of one comment line, ` * §7.2)` on the next. */
const SECTION_LIST = String.raw`(?:(?:[ \t]*\n[ \t]*(?:\*|\/\/|#))?[ \t]*${SECTION}(?:${NEXT_SECTION})*)?`;
const CITATION = new RegExp(`${SPEC}(${SECTION_LIST})`, "g");
const BARE = new RegExp(String.raw`(?<![\w.])${SECTION}(?:${NEXT_SECTION})*`, "g");

/** Which design note a bare `§n` means, for files that cite none or several by name. */
const BARE_DEFAULTS: readonly [string, SpecFile][] = [
  ["scripts/", "testing"],
  ["test/support/", "testing"],
  ["src/agent/", "connectivity"],
  ["src/controlplane/", "connectivity"],
  ["src/protocol/", "connectivity"],
  ["src/security/", "connectivity"],
  ["src/controllers/cluster/", "connectivity"],
  ["test/unit/agent/", "connectivity"],
  ["test/unit/controllers/cluster/", "connectivity"],
  ["test/unit/protocol/", "connectivity"],
  ["test/unit/security/", "connectivity"],
  ["test/integration/controlplane/", "connectivity"],
  ["src/webhook/", "operations"],
  ["src/operations/", "operations"],
  ["src/engines/", "operations"],
  ["src/controllers/operation/", "operations"],
  ["test/unit/webhook/", "operations"],
  ["test/unit/operations/", "operations"],
  ["test/integration/webhook/", "operations"],
  ["test/integration/operation/", "operations"],
  ["src/controllers/applicationinstance/", "api"],
  ["src/api/", "api"],
];

/** Section numbers of a list such as `§2.2, §3.2`, `§6.5/§6.12` or a range `§3.3–3.7` (expanded). */
export function sectionsOf(list: string): string[] {
  const sections: string[] = [];
  const parts = [...list.matchAll(/(\d+(?:\.\d+)*)|(–|-)/g)];
  for (let index = 0; index < parts.length; index++) {
    const number = parts[index]![1];
    if (number) sections.push(number);
    else if (parts[index + 1]?.[1] && sections.length > 0) {
      const from = sections[sections.length - 1]!.split(".");
      const to = parts[++index]![1]!.split(".");
      sections.push(...rangeBetween(from, to));
    }
  }
  return sections;
}

/** The sections after `from` up to `to`, when both share a parent (`6.5`–`6.7` → 6.6, 6.7); else `to` only. */
function rangeBetween(from: string[], to: string[]): string[] {
  const sameParent = from.length === to.length && from.slice(0, -1).join(".") === to.slice(0, -1).join(".");
  if (!sameParent) return [to.join(".")];
  const prefix = from.slice(0, -1);
  const out: string[] = [];
  for (let n = Number(from.at(-1)) + 1; n <= Number(to.at(-1)); n++) out.push([...prefix, String(n)].join("."));
  return out;
}

export function targetOf(spec: SpecFile, section: string | undefined): string {
  if (section === undefined) return SPEC_FILE_TARGETS[spec];
  const target = SECTION_TARGETS[spec][section];
  if (!target) throw new Error(`no docs/ target for ${spec}.md §${section}`);
  return target;
}

function joined(targets: string[]): string {
  return [...new Set(targets)].join(", ");
}

function bareDefault(path: string, source: string): SpecFile | undefined {
  const named = new Set([...source.matchAll(new RegExp(SPEC, "g"))].map((match) => match[1] as SpecFile));
  if (named.size === 1) return [...named][0];
  return BARE_DEFAULTS.find(([prefix]) => path.startsWith(prefix))?.[1];
}

/** One file's text with every citation replaced; throws on a citation it cannot resolve. */
export function rewrite(path: string, source: string): string {
  const fallback = bareDefault(path, source);
  const cited = source.replace(CITATION, (_match, spec: SpecFile, list: string | undefined) => {
    const sections = list ? sectionsOf(list) : [];
    return joined(sections.length === 0 ? [targetOf(spec, undefined)] : sections.map((section) => targetOf(spec, section)));
  });
  return cited.replace(BARE, (match, offset: number) => {
    // Three-level numbers are sections of RFCs (the design notes have two levels at most).
    if (/\d+\.\d+\.\d+/.test(match)) return match;
    if (!fallback) throw new Error(`${path}: cannot tell which document "${match}" at offset ${offset} refers to`);
    return joined(sectionsOf(match).map((section) => targetOf(fallback, section)));
  });
}

export function* scannedFiles(root = ROOT): Generator<string> {
  const walk = function* (dir: string): Generator<string> {
    for (const name of readdirSync(dir)) {
      if (name === "node_modules" || name.startsWith(".")) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) yield* walk(path);
      else if (TEXT_FILE.test(name)) yield relative(root, path);
    }
  };
  for (const dir of SCANNED_DIRS) if (existsSync(join(root, dir))) yield* walk(join(root, dir));
}

/** Every target of the mapping must be a file of the repository with that heading. */
export function missingTargets(root = ROOT): string[] {
  const targets = new Set([...Object.values(SPEC_FILE_TARGETS), ...Object.values(SECTION_TARGETS).flatMap((sections) => Object.values(sections))]);
  return [...targets].filter((target) => !linkResolves(target, root));
}

/** Whether a repository-relative Markdown path, with or without `#anchor`, names an existing file (and heading). */
export function linkResolves(link: string, root = ROOT): boolean {
  const [file, anchor] = link.split("#");
  const path = join(root, file!);
  if (!existsSync(path)) return false;
  return anchor === undefined || documentAnchors(readFileSync(path, "utf8")).has(anchor);
}

function main(args: string[]): number {
  const missing = missingTargets();
  if (missing.length > 0) {
    console.error(`docs-links: targets without a file or heading:\n  ${missing.join("\n  ")}`);
    return 1;
  }
  const changed: string[] = [];
  for (const path of scannedFiles()) {
    if (path === "scripts/docs-links.ts" || path.startsWith("scripts/docs/") || path === "test/unit/docs/comment-links.test.ts") continue;
    const source = readFileSync(join(ROOT, path), "utf8");
    const next = rewrite(path, source);
    if (next === source) continue;
    changed.push(path);
    if (!args.includes("--check")) writeFileSync(join(ROOT, path), next);
  }
  console.log(`${args.includes("--check") ? "would rewrite" : "rewrote"} ${changed.length} files${changed.length ? `:\n  ${changed.join("\n  ")}` : ""}`);
  return args.includes("--check") && changed.length > 0 ? 1 : 0;
}

if (import.meta.main) process.exit(main(process.argv.slice(2)));
