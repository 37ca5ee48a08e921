/**
 * The admin API's per-cluster mode (docs/connectivity.md#one-control-plane-three-modes): set Pull, Push (with the
 * kubeconfig from `push-kubeconfig`) or GitOps (with a Git remote and branch), and the summary shown for it.
 * The kubeconfig is checked by parsing it and is never answered, logged or echoed in an error.
 */
import * as v from "valibot";
import { clusterDir } from "../gitops/layout";
import { resolveKubeConfigText } from "../kube/config";
import { withoutCredentials } from "./git";
import type { ControlPlaneState } from "./state";
import { CLUSTER_MODES, STATUS_SOURCES, type ClusterConnectivity } from "./store/connectivity";

export const connectivityRequestSchema = v.strictObject({
  mode: v.picklist(CLUSTER_MODES),
  kubeconfig: v.optional(v.pipe(v.string(), v.minLength(1))),
  statusSource: v.optional(v.picklist(STATUS_SOURCES)),
  gitops: v.optional(v.strictObject({ remote: v.pipe(v.string(), v.minLength(1)), branch: v.optional(v.pipe(v.string(), v.minLength(1))) })),
});
export type ConnectivityRequest = v.InferOutput<typeof connectivityRequestSchema>;

export interface ConnectivitySummary {
  mode: ClusterConnectivity["mode"];
  statusSource: ClusterConnectivity["statusSource"];
  push: { server: string } | null;
  gitops: { remote: string; branch: string; path: string } | null;
}

export class ConnectivityRequestError extends Error {
  override name = "ConnectivityRequestError";
}

/**
 * The connectivity a request asks for. Push without `statusSource` watches when the cluster has no agent token
 * (nothing would post its events) and listens for events otherwise; GitOps status always comes as events.
 */
export function connectivityFor(clusterId: string, request: ConnectivityRequest, current: ClusterConnectivity, hasAgentToken: boolean): ClusterConnectivity {
  switch (request.mode) {
    case "pull":
      if (request.kubeconfig || request.gitops) throw new ConnectivityRequestError("pull mode takes no kubeconfig and no gitops target");
      if (request.statusSource === "watch") throw new ConnectivityRequestError("a pull cluster's status comes from its agent's events");
      return { clusterId, mode: "pull", statusSource: "events", pushKubeconfig: null, gitops: null };
    case "push": {
      const kubeconfig = request.kubeconfig ?? current.pushKubeconfig;
      if (!kubeconfig) throw new ConnectivityRequestError("push mode needs the kubeconfig from push-kubeconfig");
      if (request.gitops) throw new ConnectivityRequestError("push mode takes no gitops target");
      try {
        resolveKubeConfigText(kubeconfig, "the kubeconfig sent");
      } catch (err) {
        throw new ConnectivityRequestError(err instanceof Error ? err.message : "the kubeconfig cannot be read");
      }
      return { clusterId, mode: "push", statusSource: request.statusSource ?? (hasAgentToken ? "events" : "watch"), pushKubeconfig: kubeconfig, gitops: null };
    }
    case "gitops": {
      const gitops = request.gitops ? { remote: request.gitops.remote, branch: request.gitops.branch ?? "main" } : current.gitops;
      if (!gitops) throw new ConnectivityRequestError("gitops mode needs gitops.remote (and optionally gitops.branch)");
      if (request.kubeconfig) throw new ConnectivityRequestError("gitops mode takes no kubeconfig");
      if (request.statusSource === "watch") throw new ConnectivityRequestError("a gitops cluster's status comes from its status channel's events");
      return { clusterId, mode: "gitops", statusSource: "events", pushKubeconfig: null, gitops };
    }
  }
}

export function connectivitySummary(connectivity: ClusterConnectivity): ConnectivitySummary {
  const push = connectivity.pushKubeconfig ? { server: resolveKubeConfigText(connectivity.pushKubeconfig, `the Push kubeconfig of cluster ${connectivity.clusterId}`).server } : null;
  const gitops = connectivity.gitops ? { remote: withoutCredentials(connectivity.gitops.remote), branch: connectivity.gitops.branch, path: `./${clusterDir(connectivity.clusterId)}` } : null;
  return { mode: connectivity.mode, statusSource: connectivity.statusSource, push, gitops };
}

/** Stores the new connectivity (creating the cluster when it never registered) and starts or stops status watches. */
export function setConnectivity(state: ControlPlaneState, clusterId: string, request: ConnectivityRequest): ClusterConnectivity {
  const now = state.now();
  const connectivity = connectivityFor(clusterId, request, state.connectivity.get(clusterId), state.tokens.activeCount(clusterId, now) > 0);
  state.clusters.ensure(clusterId, now);
  state.connectivity.set(connectivity, now);
  state.statusWatches.reconcile();
  state.logger.info({ clusterId, mode: connectivity.mode, statusSource: connectivity.statusSource }, "cluster connectivity set");
  return connectivity;
}
