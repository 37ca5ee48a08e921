/**
 * How the control plane reaches each cluster (docs/connectivity.md#one-control-plane-three-modes): the mode,
 * where status comes from, and the mode's secret or target: a Push kubeconfig (secret material: never logged,
 * never answered by the admin API) or a GitOps remote and branch. A cluster without a row is in Pull mode.
 */
import type { Database } from "bun:sqlite";

export const CLUSTER_MODES = ["pull", "push", "gitops"] as const;
export type ClusterMode = (typeof CLUSTER_MODES)[number];

/** `events`: the agent's status channel posts them; `watch`: the control plane watches with the Push kubeconfig. */
export const STATUS_SOURCES = ["events", "watch"] as const;
export type StatusSource = (typeof STATUS_SOURCES)[number];

export interface GitOpsTarget {
  /** A URL git can push to; may carry credentials, so it is shown only without them. */
  remote: string;
  branch: string;
}

export interface ClusterConnectivity {
  clusterId: string;
  mode: ClusterMode;
  statusSource: StatusSource;
  pushKubeconfig: string | null;
  gitops: GitOpsTarget | null;
}

interface Row {
  cluster_id: string;
  mode: ClusterMode;
  status_source: StatusSource;
  push_kubeconfig: string | null;
  gitops_remote: string | null;
  gitops_branch: string | null;
}

function toConnectivity(row: Row): ClusterConnectivity {
  return {
    clusterId: row.cluster_id,
    mode: row.mode,
    statusSource: row.status_source,
    pushKubeconfig: row.push_kubeconfig,
    gitops: row.gitops_remote !== null ? { remote: row.gitops_remote, branch: row.gitops_branch ?? "main" } : null,
  };
}

export function pullConnectivity(clusterId: string): ClusterConnectivity {
  return { clusterId, mode: "pull", statusSource: "events", pushKubeconfig: null, gitops: null };
}

export class ConnectivityStore {
  constructor(private readonly db: Database) {}

  get(clusterId: string): ClusterConnectivity {
    const row = this.db.query<Row, [string]>("SELECT * FROM cluster_connectivity WHERE cluster_id = ?").get(clusterId);
    return row ? toConnectivity(row) : pullConnectivity(clusterId);
  }

  /** Every cluster whose status the control plane watches itself. */
  watched(): ClusterConnectivity[] {
    return this.db
      .query<Row, []>("SELECT * FROM cluster_connectivity WHERE mode = 'push' AND status_source = 'watch' AND push_kubeconfig IS NOT NULL ORDER BY cluster_id")
      .all()
      .map(toConnectivity);
  }

  set(connectivity: ClusterConnectivity, now: number): void {
    this.db
      .query(
        `INSERT INTO cluster_connectivity (cluster_id, mode, status_source, push_kubeconfig, gitops_remote, gitops_branch, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (cluster_id) DO UPDATE SET mode = ?2, status_source = ?3, push_kubeconfig = ?4, gitops_remote = ?5, gitops_branch = ?6, updated_at = ?7`,
      )
      .run(
        connectivity.clusterId,
        connectivity.mode,
        connectivity.statusSource,
        connectivity.pushKubeconfig,
        connectivity.gitops?.remote ?? null,
        connectivity.gitops?.branch ?? null,
        now,
      );
  }

  /** Namespaces the control plane wrote to in Push mode: where its status watch looks (RBAC allows no wider list). */
  watchedNamespaces(clusterId: string): string[] {
    return this.db
      .query<{ namespace: string }, [string]>("SELECT namespace FROM watched_namespaces WHERE cluster_id = ? ORDER BY namespace")
      .all(clusterId)
      .map((row) => row.namespace);
  }

  /** True when the namespace is new for the cluster. */
  addWatchedNamespace(clusterId: string, namespace: string): boolean {
    return this.db.query("INSERT OR IGNORE INTO watched_namespaces (cluster_id, namespace) VALUES (?, ?)").run(clusterId, namespace).changes === 1;
  }
}
