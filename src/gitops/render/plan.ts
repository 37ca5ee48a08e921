/**
 * What render changes in a cluster's `namespaces/` directory: files to write, files to prune, directories
 * left empty. Pure: the existing tree is an input, so --check and the real run share one decision.
 */
import type { RenderedManifest } from "./manifest";

export interface TreeEntry {
  /** Repository-relative, `/`-separated, below the cluster's namespaces directory. */
  readonly path: string;
  /** Symbolic links and special files are "other": never followed, never deleted. */
  readonly type: "file" | "directory" | "other";
  /** Content of YAML files. */
  readonly content?: string;
}

export interface RenderPlan {
  readonly writes: ReadonlyArray<{ readonly path: string; readonly content: string }>;
  readonly deletes: readonly string[];
  /** Deepest first, so each is empty when its turn comes. */
  readonly removedDirectories: readonly string[];
  readonly unchanged: number;
}

const YAML_FILE = /\.ya?ml$/;

export function planRender(manifests: readonly RenderedManifest[], existing: readonly TreeEntry[], prune: boolean): RenderPlan {
  const current = new Map(existing.filter((entry) => entry.type === "file").map((entry) => [entry.path, entry.content]));
  const writes = manifests.filter((manifest) => current.get(manifest.path) !== manifest.content).map(({ path, content }) => ({ path, content }));
  const wanted = new Set(manifests.map((manifest) => manifest.path));
  const deletes = prune ? existing.filter((entry) => entry.type === "file" && YAML_FILE.test(entry.path) && !wanted.has(entry.path)).map((entry) => entry.path) : [];
  return {
    writes,
    deletes: deletes.sort(),
    removedDirectories: prune ? emptiedDirectories(existing, new Set(deletes), wanted) : [],
    unchanged: manifests.length - writes.length,
  };
}

export function planChanges(plan: RenderPlan): number {
  return plan.writes.length + plan.deletes.length + plan.removedDirectories.length;
}

/** Directories that hold nothing once the plan ran: no kept entry and no written file below them. */
function emptiedDirectories(existing: readonly TreeEntry[], deleted: ReadonlySet<string>, written: ReadonlySet<string>): string[] {
  const occupied = new Set<string>();
  const survivors = [...existing.filter((entry) => entry.type !== "directory" && !deleted.has(entry.path)).map((entry) => entry.path), ...written];
  for (const path of survivors) for (const parent of parents(path)) occupied.add(parent);
  return existing
    .filter((entry) => entry.type === "directory" && !occupied.has(entry.path))
    .map((entry) => entry.path)
    .sort((a, b) => b.split("/").length - a.split("/").length || (a < b ? -1 : 1));
}

function parents(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(1, -1).map((_, index) => parts.slice(0, index + 2).join("/"));
}
