/**
 * The folders of src/ form an acyclic graph: a cycle between folders means two parts cannot change (or be
 * loaded) apart. Each file counts as its top-level src/ folder, and files under src/agent/<sub>/ as that
 * subfolder, so the agent's transport, jobs, status and credentials stay separable.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../../src");

/** Static `import … from`, `export … from`, side-effect `import "…"` and dynamic `import("…")`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)["']([^"']+)["']/gm;

function importSpecifiers(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((match) => match[1] as string);
}

/** The graph node of a path relative to src/: `agent/<sub>` under the agent, else the top-level folder. */
function folderOf(pathInSrc: string): string {
  const parts = pathInSrc.split("/");
  if (parts.length === 1) return "(root)";
  if (parts[0] === "agent" && parts.length > 2) return `agent/${parts[1]}`;
  return parts[0] as string;
}

/** One cycle of the graph as a path `a → b → … → a`, or undefined when the graph is acyclic. */
function findCycle(edges: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    stack.push(node);
    for (const next of [...(edges.get(node) ?? [])].sort()) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of [...edges.keys()].sort()) {
    if (state.get(node) !== undefined) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Folder edges with, per edge, one file and import that makes it (to name in a failure). */
function folderGraph(): { edges: Map<string, Set<string>>; witness: Map<string, string> } {
  const edges = new Map<string, Set<string>>();
  const witness = new Map<string, string>();
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(relative(SRC, file));
    if (!edges.has(from)) edges.set(from, new Set());
    for (const specifier of importSpecifiers(readFileSync(file, "utf8"))) {
      if (!specifier.startsWith(".")) continue;
      const target = relative(SRC, resolve(dirname(file), specifier));
      if (target.startsWith("..")) continue;
      // `../controllers` names the folder's index.ts: count it as that folder, not as a root file.
      const to = folderOf(isDirectory(join(SRC, target)) ? `${target}/index.ts` : target);
      if (to === from) continue;
      edges.get(from)!.add(to);
      witness.set(`${from} → ${to}`, `${relative(SRC, file)} imports "${specifier}"`);
    }
  }
  return { edges, witness };
}

describe("import graph between src/ folders", () => {
  test("import specifiers: static, re-exports, side effects and dynamic imports", () => {
    const source = [
      `import { a } from "./a";`,
      `import type { B } from '../b/b';`,
      `export { c } from "./c";`,
      `export * from "./d";`,
      `import "./e";`,
      `const f = await import("../f/f");`,
      `const text = "not from here";`,
    ].join("\n");
    expect(importSpecifiers(source)).toEqual(["./a", "../b/b", "./c", "./d", "./e", "../f/f"]);
  });

  test("folders: top level, agent subfolders, root files", () => {
    expect(folderOf("kube/client.ts")).toBe("kube");
    expect(folderOf("controllers/cluster/reconciler.ts")).toBe("controllers");
    expect(folderOf("agent/jobs/pipeline.ts")).toBe("agent/jobs");
    expect(folderOf("agent/agent.ts")).toBe("agent");
    expect(folderOf("main.ts")).toBe("(root)");
  });

  test("a cycle is found and named; an acyclic graph has none", () => {
    const graph = (pairs: [string, string][]) => {
      const edges = new Map<string, Set<string>>();
      for (const [from, to] of pairs) edges.set(from, (edges.get(from) ?? new Set()).add(to));
      return edges;
    };
    expect(findCycle(graph([["a", "b"], ["b", "c"], ["c", "a"], ["d", "a"]]))).toEqual(["a", "b", "c", "a"]);
    expect(findCycle(graph([["a", "b"], ["b", "c"], ["a", "c"]]))).toBeUndefined();
  });

  test("the folder graph of src/ is acyclic", () => {
    const { edges, witness } = folderGraph();
    expect(edges.size).toBeGreaterThan(5);
    const cycle = findCycle(edges);
    const explained = cycle?.slice(1).map((to, index) => `${cycle[index]} → ${to} (${witness.get(`${cycle[index]} → ${to}`)})`);
    expect(explained ?? "acyclic").toBe("acyclic");
  });
});
