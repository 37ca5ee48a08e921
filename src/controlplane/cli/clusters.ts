/** `control-plane clusters`: one line per cluster with its mode, status source and target; `--json` for the admin API's objects. */
import { FlagError, parseFlags, renderFlagHelp, type FlagSpec } from "../../commandline/flags";
import type { CommandIO, Env } from "../../commandline/command";
import type { ClusterSummary } from "../admin-client";
import { ADMIN_FLAGS, adminClientFrom } from "./admin-flags";

const CLUSTERS_FLAGS: FlagSpec[] = [...ADMIN_FLAGS, { name: "json", type: "bool", help: "print each cluster as one JSON line" }];

/** `<id>  <mode>  status=<source>  <target>  heartbeat=<time or never>`. */
export function clusterLine(cluster: ClusterSummary): string {
  const target = cluster.push ? `server=${cluster.push.server}` : cluster.gitops ? `git=${cluster.gitops.remote}#${cluster.gitops.branch}:${cluster.gitops.path}` : `tokens=${cluster.activeTokens}`;
  return [cluster.clusterId, cluster.mode.padEnd(6), `status=${cluster.statusSource}`, target, `heartbeat=${cluster.lastHeartbeatAt ?? "never"}`].join("  ");
}

export async function clustersCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`Usage: vworkspace-operator control-plane clusters [flags]\n\nFlags:\n${renderFlagHelp(CLUSTERS_FLAGS)}`);
    return 0;
  }
  const parsed = parseFlags(args, CLUSTERS_FLAGS, env);
  if (parsed.positionals.length > 0) throw new FlagError(`unexpected argument "${parsed.positionals[0]}"`);
  for (const cluster of await adminClientFrom(parsed).clusters()) io.out(parsed.values.get("json") === true ? JSON.stringify(cluster) : clusterLine(cluster));
  return 0;
}
