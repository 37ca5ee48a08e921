/**
 * `vworkspace-operator render`: a desired-state document → the GitOps layout of one cluster
 * (docs/connectivity.md#gitops-mode). Exit 0 done, 1 invalid input (nothing written), 2 usage error,
 * 3 with --check when files would change (nothing written).
 */
import { resolve } from "node:path";
import { FlagError, parseFlags, renderFlagHelp, type FlagSpec } from "../../commandline/flags";
import type { CommandIO, Env } from "../../commandline/command";
import { clusterDir } from "../layout";
import { parseDesiredState, renderDesiredState } from "./desired-state";
import { planChanges, planRender } from "./plan";
import { applyRenderPlan, scanClusterTree } from "./tree";

const FLAGS: FlagSpec[] = [
  { name: "input", type: "string", default: "-", help: "Desired-state document, JSON or YAML ('-' reads stdin)" },
  { name: "cluster-id", type: "string", help: "Overrides the document's clusterId" },
  { name: "output-dir", type: "string", default: ".", help: "Repository root the clusters/ tree is written below" },
  { name: "prune", type: "bool", default: "true", help: "Delete YAML files under clusters/<cluster-id>/namespaces/ this run did not produce" },
  { name: "check", type: "bool", default: "false", help: "Write nothing; exit 3 when files would change, 0 when up to date" },
];

export const EXIT_INVALID = 1;
export const EXIT_WOULD_CHANGE = 3;

export async function renderCommand(args: string[], env: Env, io: CommandIO, readStdin: () => Promise<string> = () => Bun.stdin.text()): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`Usage: vworkspace-operator render [--input FILE] [--output-dir DIR] [flags]\n\nWrites clusters/<cluster-id>/namespaces/<namespace>/<kind>-<name>.yaml for each object of\n{"clusterId": "<id>", "objects": [ApplicationInstance|Operation, ...]}.\n\nFlags:\n${renderFlagHelp(FLAGS)}`);
    return 0;
  }
  const { values, positionals } = parseFlags(args, FLAGS, env);
  if (positionals.length > 0) throw new FlagError(`unexpected argument "${positionals[0]}"`);
  const input = values.get("input") as string;
  const override = values.get("cluster-id") as string | undefined;
  const root = resolve(values.get("output-dir") as string);
  const text = input === "-" ? await readStdin() : await readInput(input);
  const parsed = parseDesiredState(text);
  if (!parsed.ok) return invalid(io, [parsed.error]);
  const rendered = renderDesiredState(parsed.document, override);
  if (!rendered.ok) return invalid(io, rendered.errors);
  const { clusterId, manifests } = rendered.cluster;
  const plan = planRender(manifests, await scanClusterTree(root, clusterId), values.get("prune") as boolean);
  const changes = planChanges(plan);
  if (values.get("check")) {
    for (const { path } of plan.writes) io.out(`would write ${path}`);
    for (const path of plan.deletes) io.out(`would delete ${path}`);
    for (const path of plan.removedDirectories) io.out(`would remove ${path}/`);
    io.err(changes === 0 ? `${clusterDir(clusterId)}: up to date (${manifests.length} manifests)` : `${clusterDir(clusterId)}: ${changes} change(s) pending`);
    return changes === 0 ? 0 : EXIT_WOULD_CHANGE;
  }
  await applyRenderPlan(root, plan);
  for (const { path } of plan.writes) io.out(`wrote ${path}`);
  for (const path of plan.deletes) io.out(`deleted ${path}`);
  io.err(`${clusterDir(clusterId)}: ${plan.writes.length} written, ${plan.deletes.length} deleted, ${plan.unchanged} unchanged`);
  return 0;
}

async function readInput(path: string): Promise<string> {
  try {
    return await Bun.file(path).text();
  } catch (err) {
    throw new FlagError(`--input ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function invalid(io: CommandIO, errors: readonly string[]): number {
  for (const error of errors) io.err(`vworkspace-operator render: ${error}`);
  io.err(`vworkspace-operator render: ${errors.length} problem(s); nothing written`);
  return EXIT_INVALID;
}
