/**
 * The base of GitOps mode with real parts: a Git repository served by `git http-backend` on loopback, the
 * desired state written by `render` and committed, real source-controller cloning it into a Ready
 * GitRepository, and real kustomize-controller applying the cluster's path as the ServiceAccount
 * vworkspace-control-plane, i.e. with exactly the chart's Push RBAC: an ApplicationInstance in a gated
 * namespace lands, one aimed at an ungated namespace fails with the Kustomization saying why, and a
 * `git revert` prunes the instance again.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { APPLICATION_INSTANCE } from "../../src/api/groups";
import { CONTROL_PLANE_SERVICE_ACCOUNT } from "../../src/api/push-access";
import type { Condition, KubeObject, ResourceType } from "../../src/kube/types";
import { getCluster, REPO_ROOT, type TestCluster } from "../support/cluster";
import { commitDesiredState as commitRendered, desiredInstance } from "../support/desired-state";
import { eventually } from "../support/eventually";
import { gitOpsFluxBinaries, removeGitOpsSource, startGitOpsFlux, type RunningGitOpsFlux } from "../support/flux-gitops";
import { gitAvailable, startGitServer, type GitRepo, type GitServer } from "../support/git-server";
import { deleteNamespace, GATE_LABEL, randomSuffix, TEST_LABEL, TEST_RUN_LABEL } from "../support/namespace";
import { getIfPresent } from "../support/objects";
import { bindControlPlane, installPushAccess, type PushAccess } from "../support/push-access";

const binaries = gitOpsFluxBinaries();
const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const GIT_REPOSITORIES: ResourceType = { group: "source.toolkit.fluxcd.io", version: "v1", kind: "GitRepository", plural: "gitrepositories", namespaced: true };
const KUSTOMIZATIONS: ResourceType = { group: "kustomize.toolkit.fluxcd.io", version: "v1", kind: "Kustomization", plural: "kustomizations", namespaced: true };
const DESIRED_STATE = "vworkspace-desired-state";
const CLUSTER_ID = "gitops-e2e";
/** One Flux step on a loaded 2-core machine. */
const STEP_MS = 120_000;
/** A test's bound: above its waits, so a failed wait reports itself instead of bun killing Flux mid-test. */
const TEST_MS = STEP_MS + 30_000;

type Flux = KubeObject & { status?: { conditions?: Condition[]; artifact?: { revision?: string }; lastAppliedRevision?: string } };

const suffix = randomSuffix();
const names = { operator: `t-gitops-op-${suffix}`, gated: `t-gitops-gated-${suffix}`, ungated: `t-gitops-open-${suffix}` };
let cluster: TestCluster;
let git: GitServer;
let repo: GitRepo;
let flux: RunningGitOpsFlux | undefined;
let access: PushAccess | undefined;

/** `render` into the working clone, then a real commit pushed to the server. */
const commitDesiredState = (message: string, objects: KubeObject[]) => commitRendered(repo, CLUSTER_ID, message, objects);

function ready(object: Flux | undefined): Condition | undefined {
  return object?.status?.conditions?.find((condition) => condition.type === "Ready");
}

async function kustomizationAt(revision: string, status: "True" | "False"): Promise<Flux> {
  return eventually(
    async () => {
      const kustomization = await getIfPresent<Flux>(cluster.client, KUSTOMIZATIONS, DESIRED_STATE, names.operator);
      const condition = ready(kustomization);
      const atRevision = status === "True" ? kustomization?.status?.lastAppliedRevision?.endsWith(revision) : condition?.message.includes(revision.slice(0, 7)) || kustomization?.status?.conditions?.some((item) => item.message.includes(revision));
      return condition?.status === status && atRevision ? kustomization : undefined;
    },
    { what: `Kustomization Ready=${status} at ${revision}`, timeoutMs: STEP_MS },
  );
}

describe.skipIf(!binaries || !gitAvailable())("GitOps with real Flux and a loopback Git server", () => {
  beforeAll(async () => {
    cluster = await getCluster();
    for (const [name, gated] of [[names.operator, false], [names.gated, true], [names.ungated, false]] as const) {
      const labels = { [TEST_RUN_LABEL]: cluster.runId, [TEST_LABEL]: "gitops-flux", ...(gated ? { [GATE_LABEL.key]: GATE_LABEL.value } : {}) };
      await cluster.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
    }
    access = await installPushAccess(cluster.client, names.operator, { tokenSecret: false });
    await bindControlPlane(cluster.client, names.gated, names.operator);
    git = startGitServer(join(REPO_ROOT, ".local/git", names.operator));
    repo = git.createRepo("desired-state");
    flux = await startGitOpsFlux({ binaries: binaries!, kubeconfigPath: cluster.kubeconfigPath, name: names.operator, namespace: names.operator });
  }, STEP_MS);

  afterAll(async () => {
    if (!cluster) return;
    try {
      await removeGitOpsSource(cluster.client, names.operator, DESIRED_STATE, flux);
    } finally {
      git?.close();
      await access?.remove();
      await Promise.all(Object.values(names).map((name) => deleteNamespace(cluster.client, name)));
    }
  }, STEP_MS * 3);

  test("source-controller clones the repository over HTTP: GitRepository Ready at the pushed commit", async () => {
    const head = await commitDesiredState("desired state: one instance", [desiredInstance(names.gated, "from-git")]);
    const started = performance.now();
    await cluster.client.create(GIT_REPOSITORIES, {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "GitRepository",
      metadata: { name: DESIRED_STATE, namespace: names.operator },
      spec: { url: repo.url, ref: { branch: "main" }, interval: "10s", timeout: "20s" },
    });
    const source = await eventually(
      async () => {
        const found = await getIfPresent<Flux>(cluster.client, GIT_REPOSITORIES, DESIRED_STATE, names.operator);
        return ready(found)?.status === "True" ? found : undefined;
      },
      { what: "GitRepository Ready=True", timeoutMs: STEP_MS },
    );
    expect(source.status?.artifact?.revision).toBe(`main@sha1:${head}`);
    console.info(`GitRepository Ready ${Math.round(performance.now() - started)} ms after create; git server answered ${git.requests} requests`);
  }, TEST_MS);

  test("kustomize-controller applies the cluster's path as vworkspace-control-plane: the instance lands in the gated namespace", async () => {
    await cluster.client.create(KUSTOMIZATIONS, {
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
      metadata: { name: DESIRED_STATE, namespace: names.operator },
      spec: { sourceRef: { kind: "GitRepository", name: DESIRED_STATE }, path: `./clusters/${CLUSTER_ID}`, prune: true, interval: "5m", retryInterval: "5s", serviceAccountName: CONTROL_PLANE_SERVICE_ACCOUNT },
    });
    await kustomizationAt(repo.head(), "True");
    const applied = await getIfPresent(cluster.client, APPLICATION_INSTANCE, "from-git", names.gated);
    expect(applied?.metadata.labels).toMatchObject({ "app.vworkspace.io/managed-by": "control-plane", "app.vworkspace.io/cluster-id": CLUSTER_ID });
    expect(applied?.metadata.managedFields?.map((entry) => (entry as { manager?: string }).manager)).toContain("kustomize-controller");
  }, TEST_MS);

  test("a manifest aimed at an ungated namespace fails to apply and the Kustomization says why; its revert recovers", async () => {
    const bad = await commitDesiredState("desired state: one instance too many", [desiredInstance(names.gated, "from-git"), desiredInstance(names.ungated, "not-allowed")]);
    const failed = await kustomizationAt(bad, "False");
    expect(ready(failed)?.message).toMatch(/forbidden/i);
    expect(ready(failed)?.message).toContain(names.ungated);
    expect(await getIfPresent(cluster.client, APPLICATION_INSTANCE, "not-allowed", names.ungated)).toBeUndefined();
    const reverted = repo.revert(bad);
    await kustomizationAt(reverted, "True");
  }, TEST_MS * 2);

  // The first instance stays: a cluster path with no manifest left is no directory in Git, and Flux fails on it.
  test("git revert of the commit that added an instance prunes that instance and leaves the other", async () => {
    const added = await commitDesiredState("desired state: a second instance", [desiredInstance(names.gated, "from-git"), desiredInstance(names.gated, "second")]);
    await kustomizationAt(added, "True");
    expect(await getIfPresent(cluster.client, APPLICATION_INSTANCE, "second", names.gated)).toBeDefined();
    const reverted = repo.revert(added);
    await kustomizationAt(reverted, "True");
    await eventually(async () => (await getIfPresent(cluster.client, APPLICATION_INSTANCE, "second", names.gated)) === undefined, { what: "second pruned", timeoutMs: STEP_MS });
    expect(await getIfPresent(cluster.client, APPLICATION_INSTANCE, "from-git", names.gated)).toBeDefined();
  }, TEST_MS * 2);
});
