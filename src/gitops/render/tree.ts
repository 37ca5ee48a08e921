/**
 * The filesystem edge of render: reads a cluster's namespaces directory and carries out a plan. Never follows
 * a symbolic link, so a link planted in the repository cannot send a write or a delete outside the cluster's
 * own directory. Files are replaced by rename, so a reader never sees half a manifest.
 */
import { lstat, mkdir, readdir, readFile, rename, rmdir, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { namespacesDir } from "../layout";
import type { RenderPlan, TreeEntry } from "./plan";

const YAML_FILE = /\.ya?ml$/;

/** Every entry below `<root>/clusters/<id>/namespaces`, paths relative to root; empty when it does not exist. */
export async function scanClusterTree(root: string, clusterId: string): Promise<TreeEntry[]> {
  const base = namespacesDir(clusterId);
  await refuseLinks(root, base);
  const entries: TreeEntry[] = [];
  const walk = async (relative: string): Promise<void> => {
    const children = await readdir(join(root, relative), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return [];
      throw new Error(`reading ${join(root, relative)}: ${err.message}`);
    });
    for (const child of children.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = `${relative}/${child.name}`;
      if (child.isDirectory()) {
        entries.push({ path, type: "directory" });
        await walk(path);
      } else if (child.isFile()) {
        entries.push({ path, type: "file", ...(YAML_FILE.test(child.name) ? { content: await readFile(join(root, path), "utf8") } : {}) });
      } else {
        entries.push({ path, type: "other" });
      }
    }
  };
  await walk(base);
  return entries;
}

export async function applyRenderPlan(root: string, plan: RenderPlan): Promise<void> {
  for (const { path, content } of plan.writes) {
    await refuseLinks(root, dirname(path));
    await mkdir(join(root, dirname(path)), { recursive: true });
    const target = join(root, path);
    const temporary = `${target}.render-${process.pid}.tmp`;
    await writeFile(temporary, content, { mode: 0o644 });
    await rename(temporary, target);
  }
  for (const path of plan.deletes) await unlink(join(root, path));
  for (const path of plan.removedDirectories) await rmdir(join(root, path));
}

/** Fails when any existing component of `relative` below root is a symbolic link. */
async function refuseLinks(root: string, relative: string): Promise<void> {
  let current = root;
  for (const part of relative.split("/")) {
    current = join(current, part);
    const stat = await lstat(current).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw new Error(`checking ${current}: ${err.message}`);
    });
    if (!stat) return;
    if (stat.isSymbolicLink()) throw new Error(`refusing to render through the symbolic link ${current}`);
    if (!stat.isDirectory()) throw new Error(`${current} is not a directory`);
  }
}
