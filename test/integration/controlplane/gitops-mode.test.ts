/**
 * The reference control plane in GitOps mode (docs/connectivity.md#one-control-plane-three-modes): `enqueue` for a
 * GitOps cluster renders the cluster's desired state with render's code into a real Git repository (served by
 * git http-backend, pushed to over the file system), one real commit per change; a deletion removes the file;
 * an invalid object is refused with nothing committed. The files equal what `render` itself writes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../src/cli/main";
import { runCli, type CliOutcome } from "../../support/cli";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { operationSpec } from "../../support/operation";
import { gitAvailable, startGitServer, type GitRepo, type GitServer } from "../../support/git-server";

const CLUSTER_ID = "edge-git";
const NAMESPACE = "tenant-a";
const PATH = `clusters/${CLUSTER_ID}/namespaces/${NAMESPACE}/applicationinstance-shop.yaml`;

let dir: string;
let server: GitServer;
let repo: GitRepo;
let plane: RefControlPlane;

function instance(catalogId: string): Record<string, unknown> {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name: "shop", namespace: NAMESPACE, labels: { team: "web" }, uid: "dropped-by-render" },
    spec: { appRef: { catalogId }, mode: "placeholder" },
  };
}

function cli(...args: string[]): Promise<CliOutcome> {
  return runCli("control-plane", ...args, `--url=${plane.url}`, `--admin-token=${plane.adminToken}`);
}

/** What `vworkspace-operator render` writes for the same document, in a scratch directory. */
async function rendered(objects: Record<string, unknown>[]): Promise<string> {
  const output = mkdtempSync(join(dir, "render-"));
  const input = join(output, "desired.json");
  writeFileSync(input, JSON.stringify({ clusterId: CLUSTER_ID, objects }));
  const result = await main(["render", `--input=${input}`, `--output-dir=${output}`], {}, { out: () => undefined, err: () => undefined });
  expect(result).toBe(0);
  return readFileSync(join(output, PATH), "utf8");
}

function lastCommitMessage(): string {
  const result = Bun.spawnSync(["git", "log", "-1", "--format=%s%n%an"], { cwd: repo.workDir });
  return result.stdout.toString().trim();
}

beforeAll(async () => {
  if (!gitAvailable()) throw new Error("git and git http-backend are required for the GitOps tests");
  dir = mkdtempSync(join(tmpdir(), "vws-cp-gitops-"));
  server = startGitServer(join(dir, "git"));
  repo = server.createRepo("fleet");
  await repo.commit("a file of someone else", { "README.md": "fleet\n" });
  plane = await startRefControlPlane();
});

afterAll(async () => {
  await plane?.stop();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a GitOps cluster", () => {
  test("set-mode records the remote and branch; clusters shows the mode and the Kustomization path", async () => {
    const set = await cli("set-mode", `--cluster-id=${CLUSTER_ID}`, "--mode=gitops", `--git-remote=${repo.bareDir}`, "--git-branch=main");
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(`${CLUSTER_ID}  gitops  status=events  git=${repo.bareDir}#main:./clusters/${CLUSTER_ID}`);
    const [summary] = (await plane.admin.clusters()).filter((cluster) => cluster.clusterId === CLUSTER_ID);
    expect(summary).toMatchObject({ mode: "gitops", statusSource: "events", push: null, gitops: { remote: repo.bareDir, branch: "main", path: `./clusters/${CLUSTER_ID}` } });
  });

  test("enqueue --apply commits render's file for the object and pushes it; the job is closed with its result", async () => {
    const manifest = join(dir, "shop.json");
    writeFileSync(manifest, JSON.stringify(instance("shop-v1")));
    const run = await cli("enqueue", `--cluster-id=${CLUSTER_ID}`, `--apply=${manifest}`, "--wait-result=10s");
    expect(run.code).toBe(0);
    const [jobId, resultLine] = run.stdout.trim().split("\n");
    expect(JSON.parse(resultLine as string)).toMatchObject({ outcome: "succeeded", appliedRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", namespace: NAMESPACE, name: "shop" } });
    repo.pull();
    expect(readFileSync(join(repo.workDir, PATH), "utf8")).toBe(await rendered([instance("shop-v1")]));
    expect(readFileSync(join(repo.workDir, "README.md"), "utf8")).toBe("fleet\n");
    expect(lastCommitMessage()).toBe(`apply ApplicationInstance/${NAMESPACE}/shop (job ${jobId})\nvworkspace control plane`);
    expect((await plane.admin.job(jobId as string)).state).toBe("closed");
  });

  test("a second object and a changed one are new commits on top of what others pushed; an unchanged apply commits nothing", async () => {
    const operation = { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Operation", metadata: { name: "backup-1", namespace: NAMESPACE }, spec: operationSpec("shop", "RunCommand", "job", { image: "busybox:1.36", runAsUser: 1000 }) };
    await repo.commit("someone else's change", { "docs/notes.md": "x\n" });
    const first = await plane.admin.enqueueJob(CLUSTER_ID, { kind: "apply", payload: operation });
    expect((await plane.admin.jobResult(first.id))?.outcome).toBe("succeeded");
    const changed = await plane.admin.enqueueJob(CLUSTER_ID, { kind: "intent", payload: { intent: "ensure-application-instance", applicationInstance: instance("shop-v2") } });
    expect((await plane.admin.jobResult(changed.id))?.outcome).toBe("succeeded");
    const head = repo.pull();
    expect(existsSync(join(repo.workDir, "docs/notes.md"))).toBe(true);
    expect(readFileSync(join(repo.workDir, PATH), "utf8")).toBe(await rendered([instance("shop-v2")]));
    expect(existsSync(join(repo.workDir, `clusters/${CLUSTER_ID}/namespaces/${NAMESPACE}/operation-backup-1.yaml`))).toBe(true);
    const again = await plane.admin.enqueueJob(CLUSTER_ID, { kind: "apply", payload: instance("shop-v2") });
    expect((await plane.admin.jobResult(again.id))?.outcome).toBe("succeeded");
    expect(repo.pull()).toBe(head);
  });

  test("an object render refuses is failed/InvalidPayload with nothing committed; a Secret is KindNotAllowed", async () => {
    const head = repo.head();
    const bad = await plane.admin.enqueueJob(CLUSTER_ID, { kind: "apply", payload: { ...instance("x"), metadata: { name: "Not_A_Name", namespace: NAMESPACE } } });
    expect(await plane.admin.jobResult(bad.id)).toMatchObject({ outcome: "failed", errorCode: "InvalidPayload" });
    const secret = await plane.admin.enqueueJob(CLUSTER_ID, { kind: "apply", payload: { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: NAMESPACE } } });
    expect(await plane.admin.jobResult(secret.id)).toMatchObject({ outcome: "failed", errorCode: "KindNotAllowed" });
    expect(repo.pull()).toBe(head);
  });

  test("enqueue --delete removes the file in a commit; the other object stays", async () => {
    const run = await cli("enqueue", `--cluster-id=${CLUSTER_ID}`, `--delete=apps.vworkspace.io/ApplicationInstance/${NAMESPACE}/shop`, "--wait-result=10s");
    expect(run.code).toBe(0);
    repo.pull();
    expect(existsSync(join(repo.workDir, PATH))).toBe(false);
    expect(existsSync(join(repo.workDir, `clusters/${CLUSTER_ID}/namespaces/${NAMESPACE}/operation-backup-1.yaml`))).toBe(true);
    expect(lastCommitMessage()).toStartWith(`delete ApplicationInstance/${NAMESPACE}/shop`);
  });

  test("a remote that cannot be pushed to is failed/ApplyFailed naming git, with credentials removed from the message", async () => {
    await plane.admin.setConnectivity("edge-unreachable", { mode: "gitops", gitops: { remote: "http://bot:pat-secret-123@127.0.0.1:1/none.git" } });
    const job = await plane.admin.enqueueJob("edge-unreachable", { kind: "apply", payload: instance("x") });
    const result = await plane.admin.jobResult(job.id);
    expect(result).toMatchObject({ outcome: "failed", errorCode: "ApplyFailed" });
    expect(result?.error).toContain("git ");
    expect(JSON.stringify(result)).not.toContain("pat-secret-123");
    expect(JSON.stringify(await plane.admin.clusters())).not.toContain("pat-secret-123");
    plane.logs.assertNoSecrets(["pat-secret-123"]);
  });
});
