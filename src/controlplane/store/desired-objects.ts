/** A GitOps cluster's desired state: the objects the control plane renders into its repository path, one row each. */
import type { Database } from "bun:sqlite";

export class DesiredObjectStore {
  constructor(private readonly db: Database) {}

  list(clusterId: string): Record<string, unknown>[] {
    return this.db
      .query<{ object: string }, [string]>("SELECT object FROM desired_objects WHERE cluster_id = ? ORDER BY identity")
      .all(clusterId)
      .map((row) => JSON.parse(row.object) as Record<string, unknown>);
  }

  put(clusterId: string, identity: string, object: Record<string, unknown>): void {
    this.db
      .query("INSERT INTO desired_objects (cluster_id, identity, object) VALUES (?1, ?2, ?3) ON CONFLICT (cluster_id, identity) DO UPDATE SET object = ?3")
      .run(clusterId, identity, JSON.stringify(object));
  }

  /** False when there was nothing to remove. */
  remove(clusterId: string, identity: string): boolean {
    return this.db.query("DELETE FROM desired_objects WHERE cluster_id = ? AND identity = ?").run(clusterId, identity).changes === 1;
  }
}
