/**
 * GitOps mode's write edge (docs/connectivity.md#one-control-plane-three-modes): the cluster's desired state
 * with one object changed, rendered by `render`'s own code into a work tree synced to the remote branch,
 * committed and pushed. The desired state is stored only once the push went through, and the work tree is
 * reset to the remote before each change, so a failed push leaves nothing half-done behind. One change at a
 * time per cluster. With a signing key every commit is signed (docs/connectivity.md#signed-desired-state), so
 * a GitRepository verifying against its public key applies the plane's commits and nobody else's.
 */
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { commitCommand } from "../gitops/commit";
import { clusterDir } from "../gitops/layout";
import type { CommitSigningKey } from "../gitops/openpgp";
import { renderDesiredState } from "../gitops/render/desired-state";
import { planChanges, planRender } from "../gitops/render/plan";
import { applyRenderPlan, scanClusterTree } from "../gitops/render/tree";
import { jobResult, type AppliedRef, type JobResult } from "../protocol";
import type { DirectWrite } from "./direct-write";
import { git, GitError } from "./git";
import type { GitOpsTarget } from "./store/connectivity";
import type { DesiredObjectStore } from "./store/desired-objects";

export interface GitOpsOutcome {
  result: JobResult;
  /** The pushed commit; absent when the repository already held this state or the write was refused. */
  commit?: string;
}

type Write = Exclude<DirectWrite, { action: "refuse" }>;

/** `<kind>/<namespace>/<name>`, as render names a duplicate. */
function identityOf(object: { kind?: unknown; metadata?: unknown }): string {
  const metadata = (object.metadata ?? {}) as { namespace?: string; name?: string };
  return `${String(object.kind)}/${metadata.namespace ?? ""}/${metadata.name ?? ""}`;
}

function refOfWrite(write: Write): AppliedRef {
  if (write.action === "delete") return write.ref;
  const { apiVersion, kind, metadata } = write.object;
  return { apiVersion, kind, namespace: metadata.namespace ?? "", name: metadata.name };
}

export class GitOpsPublisher {
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly baseDir: string,
    private readonly desired: DesiredObjectStore,
    private readonly signingKey?: CommitSigningKey,
  ) {}

  publish(clusterId: string, target: GitOpsTarget, write: Write, jobId: string): Promise<GitOpsOutcome> {
    const previous = this.#queues.get(clusterId) ?? Promise.resolve();
    const next = previous.then(
      () => this.#publish(clusterId, target, write, jobId),
      () => this.#publish(clusterId, target, write, jobId),
    );
    this.#queues.set(clusterId, next);
    return next;
  }

  async #publish(clusterId: string, target: GitOpsTarget, write: Write, jobId: string): Promise<GitOpsOutcome> {
    const ref = refOfWrite(write);
    const identity = identityOf({ kind: ref.kind, metadata: ref });
    const objects = new Map(this.desired.list(clusterId).map((object) => [identityOf(object), object]));
    if (write.action === "apply") objects.set(identity, write.object as unknown as Record<string, unknown>);
    else objects.delete(identity);
    const rendered = renderDesiredState({ clusterId, objects: [...objects.values()] });
    if (!rendered.ok) return { result: jobResult({ outcome: "failed", errorCode: "InvalidPayload", error: `InvalidPayload: ${rendered.errors.join("; ")}` }) };
    try {
      const dir = await this.#sync(clusterId, target);
      const plan = planRender(rendered.cluster.manifests, await scanClusterTree(dir, clusterId), true);
      let commit: string | undefined;
      if (planChanges(plan) > 0) {
        await applyRenderPlan(dir, plan);
        await git(dir, ["add", "--all", "--", clusterDir(clusterId)]);
        const signing = this.signingKey ? { gnupgHome: this.signingKey.gnupgHome } : {};
        await git(dir, [...commitCommand(this.signingKey), "--quiet", "-m", `${write.action} ${identity} (job ${jobId})`], signing);
        await git(dir, ["push", "--quiet", "origin", `HEAD:refs/heads/${target.branch}`], { remote: target.remote });
        commit = (await git(dir, ["rev-parse", "HEAD"])).stdout.trim();
      }
      if (write.action === "apply") this.desired.put(clusterId, identity, write.object as unknown as Record<string, unknown>);
      else this.desired.remove(clusterId, identity);
      return { result: jobResult({ outcome: "succeeded", appliedRef: ref }), ...(commit ? { commit } : {}) };
    } catch (err) {
      const detail = err instanceof GitError ? err.message : `publishing to Git failed: ${err instanceof Error ? err.message : String(err)}`;
      return { result: jobResult({ outcome: "failed", errorCode: "ApplyFailed", error: `ApplyFailed: ${detail}` }) };
    }
  }

  /** The cluster's work tree, equal to the remote branch (or empty when the branch does not exist yet). */
  async #sync(clusterId: string, target: GitOpsTarget): Promise<string> {
    const dir = join(this.baseDir, clusterId);
    const options = { remote: target.remote };
    const fresh = !(await stat(join(dir, ".git")).catch(() => undefined));
    if (fresh) {
      await mkdir(dir, { recursive: true });
      await git(dir, ["init", "--quiet", `--initial-branch=${target.branch}`]);
      await git(dir, ["remote", "add", "origin", target.remote], options);
    } else {
      await git(dir, ["remote", "set-url", "origin", target.remote], options);
    }
    const heads = await git(dir, ["ls-remote", "--heads", "origin", `refs/heads/${target.branch}`], options);
    if (heads.stdout.trim() === "") return dir;
    await git(dir, ["fetch", "--quiet", "origin", `refs/heads/${target.branch}`], options);
    await git(dir, ["checkout", "--quiet", "-B", target.branch, "FETCH_HEAD"]);
    await git(dir, ["reset", "--quiet", "--hard", "FETCH_HEAD"]);
    await git(dir, ["clean", "--quiet", "-fd"]);
    return dir;
  }
}
