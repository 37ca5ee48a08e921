/**
 * Desired state for the GitOps tests: an ApplicationInstance as the control plane would declare it, and
 * `render` into a test repository's working clone followed by a real commit (signed when a key is given).
 */
import { expect } from "bun:test";
import { join } from "node:path";
import { main } from "../../src/cli/main";
import type { CommitSigningKey } from "../../src/gitops/openpgp";
import type { KubeObject } from "../../src/kube/types";
import type { GitRepo } from "./git-server";

export function desiredInstance(namespace: string, name: string): KubeObject {
  return { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", metadata: { name, namespace }, spec: { appRef: { catalogId: "nextcloud" }, mode: "placeholder" } };
}

/** `render` of `objects` for `clusterId` into the clone, committed and pushed; returns the commit. */
export async function commitDesiredState(repo: GitRepo, clusterId: string, message: string, objects: KubeObject[], signingKey?: CommitSigningKey): Promise<string> {
  const input = join(repo.workDir, "..", "desired-state.json");
  await Bun.write(input, JSON.stringify({ clusterId, objects }));
  const io = { out: () => undefined, err: (text: string) => void console.warn(text) };
  expect(await main(["render", `--input=${input}`, `--output-dir=${repo.workDir}`], {}, io)).toBe(0);
  return repo.commit(message, {}, signingKey);
}
