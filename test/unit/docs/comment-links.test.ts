import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import { linkResolves, missingTargets, rewrite, scannedFiles, sectionsOf } from "../../../scripts/docs-links";

const ROOT = resolve(import.meta.dir, "../../..");
/** These two describe the old citation form they rewrite, so they name the design notes on purpose. */
const DESCRIBES_OLD_FORM = new Set(["scripts/docs-links.ts", "test/unit/docs/comment-links.test.ts"]);
const MARKDOWN_LINK = /(?<![\w/.-])((?:[\w.-]+\/)*[\w.-]+\.md)(#[\w-]+)?\b/g;

/**
 * The comments of a file, nothing else: `//` and `/* … *\/` in TypeScript and JavaScript (string and template
 * literals are skipped, so a URL in a string is no comment), `#` to the end of the line and `{{/* … *\/}}` in
 * shell, YAML, Helm templates and the like. Strings are content (generated Markdown, test fixtures), not
 * pointers for a reader.
 */
export function commentsOf(path: string, text: string): string {
  if (/\.(ts|js)$/.test(path)) {
    const pieces = text.matchAll(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|(\/\*[\s\S]*?\*\/|\/\/[^\n]*)/g);
    return [...pieces].flatMap((piece) => (piece[1] ? [piece[1]] : [])).join("\n");
  }
  if (path.endsWith(".json")) return "";
  const hashComments = [...text.matchAll(/(?:^|\s)(#[^\n]*)/g)].map((match) => match[1]!);
  const templateComments = [...text.matchAll(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g)].map((match) => match[0]);
  return [...hashComments, ...templateComments].join("\n");
}

/** `*.md` names (with their `#anchor`) in one file's comments that do not resolve from the root or from the file's folder. */
function brokenLinks(path: string, text: string): string[] {
  const broken: string[] = [];
  for (const match of commentsOf(path, text).matchAll(MARKDOWN_LINK)) {
    const [, file, anchor = ""] = match;
    const candidates = [file!, join(dirname(path), file!)];
    const found = candidates.find((candidate) => existsSync(join(ROOT, candidate)));
    if (!found || !linkResolves(`${found}${anchor}`, ROOT)) broken.push(`${path}: ${file}${anchor}`);
  }
  return broken;
}

describe("comments point into the repository", () => {
  test("every docs/ target of the citation mapping is a file with that heading", () => {
    expect(missingTargets()).toEqual([]);
  });

  test("no comment in src/, scripts/, test/ or chart/ names a Markdown file or heading the repository lacks", () => {
    const broken = [...scannedFiles()]
      .filter((path) => !DESCRIBES_OLD_FORM.has(path))
      .flatMap((path) => brokenLinks(path, readFileSync(join(ROOT, path), "utf8")));
    expect(broken).toEqual([]);
  });

  test("a missing file or heading is caught", () => {
    expect(brokenLinks("src/x.ts", "// see api.md and docs/concepts.md#no-such-heading and docs/nope.md")).toEqual([
      "src/x.ts: api.md",
      "src/x.ts: docs/concepts.md#no-such-heading",
      "src/x.ts: docs/nope.md",
    ]);
    expect(brokenLinks("src/x.ts", "// see README.md and docs/concepts.md#namespace-gate")).toEqual([]);
    expect(brokenLinks("chart/values.yaml", "key: 1 # see api.md §4.5\n")).toEqual(["chart/values.yaml: api.md"]);
  });

  test("only comments count, in every kind of file", () => {
    const ts = 'const a = "docs/in-a-string.md"; // in a comment.md\n/* block.md */ const u = `https://x.md/${a}`;';
    expect(commentsOf("src/x.ts", ts)).toBe("// in a comment.md\n/* block.md */");
    expect(commentsOf("scripts/x.sh", 'echo "a#b"\n# shell.md\nx=1 # tail.md')).toBe("# shell.md\n# tail.md");
    expect(commentsOf("chart/templates/x.yaml", "{{/* tpl.md */}}\nkey: v")).toBe("{{/* tpl.md */}}");
  });
});

/** Relative links of the Markdown files under docs/ (and the README) that do not resolve to a file and heading. */
function brokenDocLinks(): string[] {
  const docs = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? docs(join(dir, entry.name)) : entry.name.endsWith(".md") ? [join(dir, entry.name)] : [],
    );
  const broken: string[] = [];
  for (const path of ["README.md", ...docs("docs")]) {
    const text = readFileSync(join(ROOT, path), "utf8").replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [file, anchor] = target!.split("#");
      const resolved = file ? relative(ROOT, normalize(join(ROOT, dirname(path), file))) : path;
      const exists = existsSync(join(ROOT, resolved));
      if (!exists || (anchor !== undefined && resolved.endsWith(".md") && !linkResolves(`${resolved}#${anchor}`, ROOT))) broken.push(`${path}: ${target}`);
    }
  }
  return broken;
}

describe("links inside the documentation", () => {
  test("every relative link in docs/ and the README names an existing file and heading", () => {
    expect(brokenDocLinks()).toEqual([]);
  });
});

describe("the citation rewrite (scripts/docs-links.ts)", () => {
  test("lists, slashes and ranges expand to sections", () => {
    expect(sectionsOf("§2.2, §3.2, §3.3")).toEqual(["2.2", "3.2", "3.3"]);
    expect(sectionsOf("§6.5/§6.12")).toEqual(["6.5", "6.12"]);
    expect(sectionsOf("§3.3–3.7")).toEqual(["3.3", "3.4", "3.5", "3.6", "3.7"]);
    expect(sectionsOf("§2–§3")).toEqual(["2", "3"]);
    expect(sectionsOf("§1.6–§2")).toEqual(["1.6", "2"]);
  });

  test("named, listed, wrapped and bare citations become docs/ links; RFC sections and other paths stay", () => {
    const source = [
      "/** The gate (api.md §4.5, §4.6). */",
      " * one Velero object (operations.md",
      " * §7.2). Created once.",
      "// write rules (§3.4), see connectivity.md",
      "// RFC 8785 §3.2.2 example",
      'const file = "docs/reference/api.md";',
    ].join("\n");
    expect(rewrite("src/agent/x.ts", source)).toBe(
      [
        "/** The gate (docs/concepts.md#namespace-gate, docs/concepts.md#cluster-identity). */",
        " * one Velero object (docs/operations.md#velero). Created once.",
        "// write rules (docs/connectivity.md#write-rules), see docs/connectivity.md",
        "// RFC 8785 §3.2.2 example",
        'const file = "docs/reference/api.md";',
      ].join("\n"),
    );
  });

  test("a bare section in a file that names one design note follows that note", () => {
    expect(rewrite("src/elsewhere/x.ts", "// testing.md §4.1 layout, then §12")).toBe(
      "// docs/development.md#pki layout, then docs/development.md#pitfalls",
    );
  });

  test("a citation it cannot place is an error, not a guess", () => {
    expect(() => rewrite("src/elsewhere/x.ts", "// see §3.4")).toThrow("cannot tell which document");
    expect(() => rewrite("src/x.ts", "// api.md §99")).toThrow("no docs/ target for api.md §99");
  });
});
