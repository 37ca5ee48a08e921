/**
 * `control-plane set-mode --cluster-id ID --mode pull|push|gitops`: Push takes `--kubeconfig FILE` (the output of
 * `push-kubeconfig`, sent once and never printed), GitOps `--git-remote URL [--git-branch B]`. Prints the
 * cluster's mode line as `clusters` shows it (docs/connectivity.md#cli-helpers).
 */
import { readFileSync } from "node:fs";
import { FlagError, parseFlags, renderFlagHelp, type FlagSpec } from "../../commandline/flags";
import type { CommandIO, Env } from "../../commandline/command";
import type { ConnectivityRequest } from "../connectivity-api";
import { CLUSTER_MODES, STATUS_SOURCES, type ClusterMode, type StatusSource } from "../store/connectivity";
import { ADMIN_FLAGS, adminClientFrom } from "./admin-flags";
import { clusterLine } from "./clusters";

const SET_MODE_FLAGS: FlagSpec[] = [
  ...ADMIN_FLAGS,
  { name: "cluster-id", type: "string", help: "the cluster (required); created when it never registered" },
  { name: "mode", type: "string", help: "pull, push or gitops (required)" },
  { name: "kubeconfig", type: "string", help: "push: file with the kubeconfig from push-kubeconfig" },
  { name: "status-source", type: "string", help: "push: events (the agent's status channel) or watch (the control plane watches); default: events when the cluster has an agent token" },
  { name: "git-remote", type: "string", help: "gitops: URL or path the control plane pushes to" },
  { name: "git-branch", type: "string", default: "main", help: "gitops: branch" },
];

export async function setModeCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`Usage: vworkspace-operator control-plane set-mode --cluster-id ID --mode pull|push|gitops [flags]\n\nFlags:\n${renderFlagHelp(SET_MODE_FLAGS)}`);
    return 0;
  }
  const parsed = parseFlags(args, SET_MODE_FLAGS, env);
  if (parsed.positionals.length > 0) throw new FlagError(`unexpected argument "${parsed.positionals[0]}"`);
  const get = (name: string) => parsed.values.get(name) as string | undefined;
  const clusterId = get("cluster-id");
  if (!clusterId) throw new FlagError("--cluster-id is required");
  const mode = get("mode");
  if (!CLUSTER_MODES.includes(mode as ClusterMode)) throw new FlagError(`--mode must be one of ${CLUSTER_MODES.join(", ")}`);
  const request: ConnectivityRequest = { mode: mode as ClusterMode };
  const statusSource = get("status-source");
  if (statusSource !== undefined) {
    if (!STATUS_SOURCES.includes(statusSource as StatusSource)) throw new FlagError(`--status-source must be one of ${STATUS_SOURCES.join(", ")}`);
    request.statusSource = statusSource as StatusSource;
  }
  const kubeconfigPath = get("kubeconfig");
  if (kubeconfigPath) {
    try {
      request.kubeconfig = readFileSync(kubeconfigPath, "utf8");
    } catch (err) {
      throw new FlagError(`--kubeconfig: cannot read ${kubeconfigPath}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
  }
  const remote = get("git-remote");
  if (remote) request.gitops = { remote, branch: get("git-branch") as string };
  const admin = adminClientFrom(parsed);
  await admin.setConnectivity(clusterId, request);
  const cluster = (await admin.clusters()).find((candidate) => candidate.clusterId === clusterId);
  if (cluster) io.out(clusterLine(cluster));
  return 0;
}
