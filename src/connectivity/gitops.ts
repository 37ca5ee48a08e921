/**
 * GitOps mode (docs/connectivity.md#gitops-mode): Flux applies the desired state from Git, so the agent never
 * polls for jobs and nothing is "disconnected". The optional status channel runs when credentials exist.
 * Health adds Flux's view of the desired-state source, with Flux's own messages.
 */
import type { Condition, KubeObject, ResourceType } from "../kube/types";
import { truncateMessage } from "../kube/conditions";
import { statusChannelDriver } from "./status-channel";
import type { ConnectivityDriver, DriverDeps, DriverInputs, HealthVerdict } from "./types";

export const GIT_REPOSITORY: ResourceType = { group: "source.toolkit.fluxcd.io", version: "v1", kind: "GitRepository", plural: "gitrepositories", namespaced: true };
export const KUSTOMIZATION: ResourceType = { group: "kustomize.toolkit.fluxcd.io", version: "v1", kind: "Kustomization", plural: "kustomizations", namespaced: true };

export function gitopsDriver(deps: DriverDeps, inputs: DriverInputs): ConnectivityDriver {
  return statusChannelDriver("gitops", deps, inputs);
}

/** `connectivity_state{mode="gitops"}`: 1 source and Kustomization Ready, -1 source stalled, else 0. */
export type GitOpsState = 1 | 0 | -1;

export interface GitOpsSource {
  /** `namespace/name` of both objects, for messages. */
  source: string;
  gitRepository: KubeObject | undefined;
  kustomization: KubeObject | undefined;
  /** The cluster id whose path the Kustomization must apply; undefined before registration. */
  clusterId: string | undefined;
}

export interface GitOpsVerdict {
  /** Undefined when the source is healthy. */
  problem: HealthVerdict | undefined;
  state: GitOpsState;
  /**
   * Said whatever the verdict when the GitRepository has no `spec.verify`: any commit pushed to its branch is
   * applied. A warning in the message only, never a failure (docs/connectivity.md#signed-desired-state).
   */
  note?: string;
}

/** Flux's view of the desired state, pure: the two Flux objects in, a ControllersHealthy verdict out. */
export function gitopsVerdict(input: GitOpsSource): GitOpsVerdict {
  const note = input.gitRepository && !commitKeysSecret(input.gitRepository) ? `commit verification off: GitRepository ${input.source} has no spec.verify` : undefined;
  return note ? { ...sourceVerdict(input), note } : sourceVerdict(input);
}

/**
 * The Secret of OpenPGP public keys of Flux's `spec.verify` (only commits signed by one of them become an
 * artifact), or undefined when the GitRepository does not verify commits.
 */
export function commitKeysSecret(gitRepository: KubeObject): string | undefined {
  const verify = (gitRepository.spec as { verify?: { secretRef?: { name?: string } } } | undefined)?.verify;
  return verify?.secretRef?.name || undefined;
}

function sourceVerdict(input: GitOpsSource): GitOpsVerdict {
  const { source, gitRepository, kustomization } = input;
  const missing = [gitRepository ? undefined : `GitRepository ${source} missing`, kustomization ? undefined : `Kustomization ${source} missing`].filter(Boolean);
  if (missing.length > 0) return { problem: { status: "False", reason: "ControllerMissing", message: missing.join("; ") }, state: 0 };
  const stalled = fluxCondition(gitRepository!, "Stalled");
  if (stalled?.status === "True") return { problem: notReady("GitRepositoryStalled", `GitRepository ${source} stalled`, stalled), state: -1 };
  const sourceReady = fluxCondition(gitRepository!, "Ready");
  if (sourceReady?.status !== "True") return { problem: notReady("GitRepositoryNotReady", `GitRepository ${source} not ready`, sourceReady), state: 0 };
  const wantedPath = input.clusterId ? `./clusters/${input.clusterId}` : undefined;
  const path = (kustomization!.spec as { path?: string } | undefined)?.path;
  if (wantedPath && normalisePath(path) !== wantedPath) {
    return { problem: { status: "False", reason: "KustomizationNotReady", message: `Kustomization ${source} applies path ${JSON.stringify(path ?? "")}, not ${wantedPath}` }, state: 0 };
  }
  const applied = fluxCondition(kustomization!, "Ready");
  if (applied?.status !== "True") return { problem: notReady("KustomizationNotReady", `Kustomization ${source} not ready`, applied), state: 0 };
  return { problem: undefined, state: 1 };
}

function fluxCondition(object: KubeObject, type: string): Condition | undefined {
  return (object.status as { conditions?: Condition[] } | undefined)?.conditions?.find((condition) => condition.type === type);
}

function notReady(reason: string, what: string, condition: Condition | undefined): HealthVerdict {
  const flux = condition?.message ? `: ${condition.message}` : condition ? "" : ": not reconciled yet";
  return { status: "False", reason, message: truncateMessage(`${what}${flux}`) };
}

/** `clusters/x`, `./clusters/x` and `./clusters/x/` name the same directory for Flux. */
function normalisePath(path: string | undefined): string {
  const trimmed = (path ?? "").replace(/\/+$/, "");
  return trimmed.startsWith("./") ? trimmed : `./${trimmed}`;
}
