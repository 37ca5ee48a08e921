/**
 * GitOps mode's desired-state source (docs/connectivity.md#signed-desired-state): whether Flux verifies the
 * commits it applies. Unverified works, so it warns: anyone who can push to the branch then changes the
 * cluster. Nothing is said when the GitRepository is absent and the honoured Cluster is not in GitOps mode.
 */
import { check, type Check } from "../check";
import type { DoctorFacts, DoctorSettings } from "../facts";
import { honouredClusterOf } from "./core";

const GITOPS = "GitOps";

export function gitopsChecks(facts: Pick<DoctorFacts, "gitopsSource" | "clusters">, settings: Pick<DoctorSettings, "gitopsSource">): Check[] {
  const subject = `GitRepository ${settings.gitopsSource.namespace}/${settings.gitopsSource.name}`;
  const source = facts.gitopsSource;
  if (source.state === "error") return [check(GITOPS, subject, "warn", `cannot read: ${source.error}`, "run doctor with rights to get GitRepositories")];
  if (source.state === "absent") {
    if (!inGitOpsMode(facts.clusters)) return [];
    return [check(GITOPS, subject, "warn", "missing: the Cluster is in GitOps mode but Flux has no desired state to apply", "install the chart with gitops.enabled=true, or point --gitops-source at your GitRepository")];
  }
  const branch = source.value.branch ? ` on branch ${source.value.branch}` : "";
  if (source.value.verifyKeysSecret) {
    return [check(GITOPS, subject, "ok", `commit verification on: Flux applies only HEAD commits${branch} signed by a key in Secret ${source.value.verifyKeysSecret}`)];
  }
  return [
    check(
      GITOPS,
      subject,
      "warn",
      `commit verification off (no spec.verify): any commit pushed${branch} is applied to the cluster`,
      "sign the desired-state commits with OpenPGP and set gitops.verify.secretRef to a Secret of the public keys (spec.verify)",
    ),
  ];
}

function inGitOpsMode(clusters: DoctorFacts["clusters"]): boolean {
  return clusters.state === "found" && honouredClusterOf(clusters.value)?.mode === "gitops";
}
