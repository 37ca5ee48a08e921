/**
 * GitOps with the chart's objects, signed commits and real Flux, seen from the Cluster
 * (docs/connectivity.md#signed-desired-state, docs/connectivity.md#when-git-is-down): the GitRepository and
 * Kustomization come from `helm template` with gitops.enabled and verification on; the desired state is
 * rendered and committed with an OpenPGP key made by Debian's GnuPG in a temporary home; source-controller
 * and kustomize-controller run against the shared cluster and the operator's Cluster controller runs
 * in-process in GitOps mode. A signed commit is applied; an unsigned one and one signed by another key are
 * refused by Flux and the Cluster says so with Flux's message; the Git server stopped turns the source not
 * Ready while Disconnected stays False/GitOpsMode; nothing of this touches the running instance. Uses the
 * agent suite's fixed Cluster name: run alone (lane b runs its files one after another).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cluster } from "../../src/api/cluster";
import { APPLICATION_INSTANCE, CLUSTER } from "../../src/api/groups";
import { GIT_REPOSITORY, KUSTOMIZATION } from "../../src/connectivity/gitops";
import { armoredPublicKey, generateSigningKey, stopGpgAgent, type CommitSigningKey } from "../../src/gitops/openpgp";
import type { Condition, KubeObject, ResourceType } from "../../src/kube/types";
import { agentConfig, CLUSTER_NAME, condition, deleteClusters, finishAgentTest, getClusterObject, type AgentRun } from "../integration/agent/harness";
import { clusterController } from "../../src/controllers/cluster/controller";
import { findRendered, helmTemplate } from "../support/chart";
import { controllerDeployment } from "../support/controller-deployments";
import { getCluster, REPO_ROOT, type TestCluster } from "../support/cluster";
import { commitDesiredState, desiredInstance } from "../support/desired-state";
import { eventually } from "../support/eventually";
import { gitOpsFluxBinaries, removeGitOpsSource, startGitOpsFlux, type RunningGitOpsFlux } from "../support/flux-gitops";
import { gitAvailable, startGitServer, type GitRepo, type GitServer } from "../support/git-server";
import { deleteNamespace, GATE_LABEL, randomSuffix, TEST_LABEL, TEST_RUN_LABEL } from "../support/namespace";
import { getIfPresent } from "../support/objects";
import { startOperatorInProcess } from "../support/operator";
import { bindControlPlane, installPushAccess, SECRETS, type PushAccess } from "../support/push-access";

const binaries = gitOpsFluxBinaries();
const gpgAvailable = Bun.spawnSync(["gpg", "--version"]).exitCode === 0;
const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const DESIRED_STATE = "vworkspace-desired-state";
const KEYS_SECRET = "vworkspace-gitops-keys";
const CLUSTER_ID = "gitops-signed-e2e";
/** One Flux step on a loaded 2-core machine. */
const STEP_MS = 120_000;
const TEST_MS = STEP_MS * 2;

type Flux = KubeObject & { status?: { conditions?: Condition[]; artifact?: { revision?: string }; lastHandledReconcileAt?: string } };

const suffix = randomSuffix();
const names = { operator: `t-gitsig-op-${suffix}`, gated: `t-gitsig-gated-${suffix}` };
let cluster: TestCluster;
let git: GitServer;
let repo: GitRepo;
let flux: RunningGitOpsFlux | undefined;
let access: PushAccess | undefined;
let running: AgentRun | undefined;
let signer: CommitSigningKey;
let stranger: CommitSigningKey;
const gnupgHomes: string[] = [];

const ready = (object: Flux | undefined) => object?.status?.conditions?.find((item) => item.type === "Ready");
const gitRepository = () => getIfPresent<Flux>(cluster.client, GIT_REPOSITORY, DESIRED_STATE, names.operator);
const instance = () => getIfPresent(cluster.client, APPLICATION_INSTANCE, "from-git", names.gated);

/**
 * Asks source-controller to fetch now instead of at its next interval (Flux's reconcile annotation) and
 * returns the GitRepository as that request left it: Flux echoes the annotation in lastHandledReconcileAt.
 */
async function fetchNow(): Promise<Flux> {
  const requestedAt = new Date().toISOString();
  const body = { metadata: { annotations: { "reconcile.fluxcd.io/requestedAt": requestedAt } } };
  await cluster.client.patch(GIT_REPOSITORY, DESIRED_STATE, { type: "merge", body }, { namespace: names.operator });
  return eventually(
    async () => {
      const source = await gitRepository();
      return source?.status?.lastHandledReconcileAt === requestedAt ? source : undefined;
    },
    { what: `GitRepository handled the reconcile request of ${requestedAt}`, timeoutMs: STEP_MS },
  );
}

/** The GitRepository once it is Ready at `commit`. */
async function sourceReadyAt(commit: string): Promise<Flux> {
  return eventually(
    async () => {
      const source = await gitRepository();
      return ready(source)?.status === "True" && source?.status?.artifact?.revision === `main@sha1:${commit}` ? source : undefined;
    },
    { what: `GitRepository Ready=True at ${commit}`, timeoutMs: STEP_MS },
  );
}

async function clusterHealth(reason: string, messageHas = ""): Promise<Cluster> {
  return eventually(
    async () => {
      const found = await getClusterObject(cluster.client);
      const health = condition(found, "ControllersHealthy");
      return health?.reason === reason && health.message.includes(messageHas) ? found : undefined;
    },
    { what: `Cluster ControllersHealthy ${reason} with "${messageHas}"`, timeoutMs: STEP_MS },
  );
}

describe.skipIf(!binaries || !gitAvailable() || !gpgAvailable)("GitOps with signed commits, the chart's objects and real Flux", () => {
  beforeAll(async () => {
    cluster = await getCluster();
    await deleteClusters(cluster.client);
    for (const [name, gated] of [[names.operator, false], [names.gated, true]] as const) {
      const labels = { [TEST_RUN_LABEL]: cluster.runId, [TEST_LABEL]: "gitops-signed", ...(gated ? { [GATE_LABEL.key]: GATE_LABEL.value } : {}) };
      await cluster.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
    }
    access = await installPushAccess(cluster.client, names.operator, { tokenSecret: false });
    await bindControlPlane(cluster.client, names.gated, names.operator);
    for (const name of ["helm-controller", "source-controller", "kustomize-controller", "velero"]) await controllerDeployment(cluster.client, names.operator, name);
    for (const owner of ["signer", "stranger"]) gnupgHomes.push(mkdtempSync(join(tmpdir(), `vws-gpg-${owner}-`)));
    [signer, stranger] = await Promise.all([
      generateSigningKey(gnupgHomes[0]!, "vws control plane <cp@vworkspace.invalid>"),
      generateSigningKey(gnupgHomes[1]!, "someone else <else@vworkspace.invalid>"),
    ]);
    const publicKey = Buffer.from(await armoredPublicKey(signer)).toString("base64");
    await cluster.client.create(SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name: KEYS_SECRET, namespace: names.operator }, data: { "control-plane.asc": publicKey } });
    git = startGitServer(join(REPO_ROOT, ".local/git", names.operator));
    repo = git.createRepo("desired-state");
    flux = await startGitOpsFlux({ binaries: binaries!, kubeconfigPath: cluster.kubeconfigPath, name: names.operator, namespace: names.operator });
    const logFile = join(REPO_ROOT, ".local/test-logs", `${names.operator}-operator.log`);
    const agent = agentConfig({ fluxNamespace: names.operator, veleroNamespace: names.operator });
    const operator = await startOperatorInProcess({ kubeconfigPath: cluster.kubeconfigPath, logFile, config: { watchNamespaces: [names.operator], namespace: names.operator, agent }, controllers: [clusterController] });
    running = { ...operator, logFile, namespace: names.operator };
    await cluster.client.create(CLUSTER, { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: CLUSTER_NAME }, spec: { connectivityMode: "gitops", clusterId: CLUSTER_ID } });
  }, STEP_MS);

  afterAll(async () => {
    if (!cluster) return;
    try {
      await finishAgentTest(cluster, running);
      await removeGitOpsSource(cluster.client, names.operator, DESIRED_STATE, flux);
    } finally {
      git?.close();
      for (const home of gnupgHomes) {
        await stopGpgAgent(home).catch(() => undefined);
        rmSync(home, { recursive: true, force: true });
      }
      await access?.remove();
      await Promise.all(Object.values(names).map((name) => deleteNamespace(cluster.client, name)));
    }
  }, STEP_MS * 3);

  test("a signed commit is verified and applied from the chart's GitRepository and Kustomization; the Cluster is healthy with verification on", async () => {
    const head = await commitDesiredState(repo, CLUSTER_ID, "desired state: one instance", [desiredInstance(names.gated, "from-git")], signer);
    const sets = ["gitops.enabled=true", `gitops.url=${repo.url}`, `gitops.clusterId=${CLUSTER_ID}`, `gitops.verify.secretRef=${KEYS_SECRET}`, "gitops.interval=30s", "gitops.applyInterval=1m"];
    const { objects, exitCode, stderr } = helmTemplate(names.operator, ...sets);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: "" });
    await cluster.client.create(GIT_REPOSITORY, findRendered(objects, "GitRepository", DESIRED_STATE));
    await cluster.client.create(KUSTOMIZATION, findRendered(objects, "Kustomization", DESIRED_STATE));

    const verified = await sourceReadyAt(head);
    expect(verified.status?.conditions?.find((item) => item.type === "SourceVerified")?.status).toBe("True");
    await eventually(instance, { what: "the signed instance applied", timeoutMs: STEP_MS });
    const healthy = await clusterHealth("AllControllersReady");
    expect(condition(healthy, "ControllersHealthy")).toMatchObject({ status: "True", message: "required controllers are available" });
    expect(condition(healthy, "Disconnected")).toMatchObject({ status: "False", reason: "GitOpsMode" });
    expect(healthy.status?.phase).toBe("Active");
  }, TEST_MS);

  test("an unsigned commit, then one signed by another key, is refused by Flux and reported on the Cluster with Flux's message; the instance is untouched", async () => {
    const before = await instance();
    for (const [what, signingKey] of [["unsigned", undefined], ["signed by another key", stranger]] as const) {
      const pushed = await commitDesiredState(repo, CLUSTER_ID, `desired state: ${what}`, [desiredInstance(names.gated, "from-git"), desiredInstance(names.gated, "intruder")], signingKey);
      const refused = await fetchNow();
      const { status, reason, message: fluxMessage } = ready(refused)!;
      expect({ status, reason }).toEqual({ status: "False", reason: "InvalidCommitSignature" });
      expect(fluxMessage).toContain(`signature verification of commit '${pushed}' failed`);
      console.info(`Flux on the ${what} commit: ${ready(refused)!.reason}: ${fluxMessage}`);
      expect(refused.status?.artifact?.revision).not.toContain(pushed);
      const reported = await clusterHealth("GitRepositoryNotReady", fluxMessage);
      expect(condition(reported, "ControllersHealthy")).toMatchObject({ status: "False", message: `GitRepository ${names.operator}/${DESIRED_STATE} not ready: ${fluxMessage}` });
      expect(condition(reported, "Disconnected")).toMatchObject({ status: "False", reason: "GitOpsMode" });
    }
    expect(await getIfPresent(cluster.client, APPLICATION_INSTANCE, "intruder", names.gated)).toBeUndefined();
    expect((await instance())?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);

    const signed = await commitDesiredState(repo, CLUSTER_ID, "desired state: back to one instance, signed", [desiredInstance(names.gated, "from-git")], signer);
    await fetchNow();
    await sourceReadyAt(signed);
    await clusterHealth("AllControllersReady");
  }, TEST_MS);

  test("the Git server stopped: GitRepository not Ready, Disconnected stays False/GitOpsMode, the instance untouched; Git back: converges", async () => {
    const before = await instance();
    const head = repo.head();
    git.stop();
    try {
      const down = await fetchNow();
      expect(ready(down)?.status).toBe("False");
      console.info(`Flux with the Git server stopped: ${ready(down)!.reason}: ${ready(down)!.message}`);
      expect(down.status?.artifact?.revision).toBe(`main@sha1:${head}`);
      const reported = await eventually(
        async () => {
          const found = await getClusterObject(cluster.client);
          return ["GitRepositoryNotReady", "GitRepositoryStalled"].includes(condition(found, "ControllersHealthy")?.reason ?? "") ? found : undefined;
        },
        { what: "Cluster ControllersHealthy GitRepositoryNotReady or GitRepositoryStalled", timeoutMs: STEP_MS },
      );
      expect(condition(reported, "ControllersHealthy")?.status).toBe("False");
      expect(condition(reported, "Disconnected")).toMatchObject({ status: "False", reason: "GitOpsMode" });
      expect(reported.status?.phase).toBe("Active");
      expect((await instance())?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    } finally {
      git.start();
    }
    await fetchNow();
    await sourceReadyAt(head);
    await clusterHealth("AllControllersReady");
    expect((await instance())?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
  }, TEST_MS);
});
