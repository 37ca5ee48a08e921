/** Push and GitOps health verdicts, pure: the webhook setting and Flux's objects in, ControllersHealthy out. */
import { describe, expect, test } from "bun:test";
import { gitopsSourceFlag } from "../../../src/agent/config";
import { FlagError } from "../../../src/commandline/flags";
import { gitopsVerdict, commitKeysSecret } from "../../../src/connectivity/gitops";
import { pushHealth } from "../../../src/connectivity/push";
import type { KubeObject } from "../../../src/kube/types";

const ready = { status: "True", reason: "AllControllersReady", message: "required controllers are available" } as const;

/** What the chart renders with gitops.verify on. */
const VERIFIED = { verify: { mode: "HEAD", secretRef: { name: "desired-state-keys" } } };

function flux(kind: string, conditions: Array<{ type: string; status: string; reason?: string; message?: string }>, spec: Record<string, unknown> = kind === "GitRepository" ? VERIFIED : {}): KubeObject {
  return { apiVersion: "x/v1", kind, metadata: { name: "vworkspace-desired-state", namespace: "vworkspace-system" }, spec, status: { conditions } } as KubeObject;
}

const repoReady = flux("GitRepository", [{ type: "Ready", status: "True", reason: "Succeeded", message: "stored artifact for revision 'main@sha1:abc'" }]);
const kustomizationReady = flux("Kustomization", [{ type: "Ready", status: "True", reason: "ReconciliationSucceeded", message: "Applied revision: main@sha1:abc" }], { path: "./clusters/c-1" });
const source = "vworkspace-system/vworkspace-desired-state";

describe("pushHealth", () => {
  test("webhooks enabled: the base verdict stands", () => {
    expect(pushHealth(ready, true)).toEqual(ready);
  });
  test("webhooks disabled: ControllerMissing, keeping what else failed in the message", () => {
    expect(pushHealth(ready, false)).toMatchObject({ status: "False", reason: "ControllerMissing", message: expect.stringContaining("--webhooks-enabled") });
    const degraded = pushHealth({ status: "False", reason: "ControllerDegraded", message: "Deployment flux-system/helm-controller not available" }, false);
    expect(degraded.reason).toBe("ControllerMissing");
    expect(degraded.message).toContain("helm-controller not available");
  });
});

describe("gitopsVerdict", () => {
  test("both Ready and the Kustomization on the cluster's path: healthy, state 1", () => {
    expect(gitopsVerdict({ source, gitRepository: repoReady, kustomization: kustomizationReady, clusterId: "c-1" })).toEqual({ problem: undefined, state: 1 });
    const trailing = flux("Kustomization", [{ type: "Ready", status: "True" }], { path: "clusters/c-1/" });
    expect(gitopsVerdict({ source, gitRepository: repoReady, kustomization: trailing, clusterId: "c-1" }).state).toBe(1);
  });

  test("a missing object is ControllerMissing naming it", () => {
    const verdict = gitopsVerdict({ source, gitRepository: undefined, kustomization: kustomizationReady, clusterId: "c-1" });
    expect(verdict.problem).toEqual({ status: "False", reason: "ControllerMissing", message: `GitRepository ${source} missing` });
    expect(verdict.state).toBe(0);
  });

  test("a stalled GitRepository wins over not ready, with Flux's message; state -1", () => {
    const stalled = flux("GitRepository", [
      { type: "Ready", status: "False", message: "failed to checkout" },
      { type: "Stalled", status: "True", reason: "InvalidURL", message: "invalid URL: scheme not supported" },
    ]);
    const verdict = gitopsVerdict({ source, gitRepository: stalled, kustomization: kustomizationReady, clusterId: "c-1" });
    expect(verdict).toEqual({ problem: { status: "False", reason: "GitRepositoryStalled", message: `GitRepository ${source} stalled: invalid URL: scheme not supported` }, state: -1 });
  });

  test("GitRepository Ready=False or not yet reconciled is GitRepositoryNotReady", () => {
    const failing = flux("GitRepository", [{ type: "Ready", status: "False", reason: "GitOperationFailed", message: "failed to checkout and determine revision: connection refused" }]);
    expect(gitopsVerdict({ source, gitRepository: failing, kustomization: kustomizationReady, clusterId: "c-1" }).problem).toEqual({
      status: "False",
      reason: "GitRepositoryNotReady",
      message: `GitRepository ${source} not ready: failed to checkout and determine revision: connection refused`,
    });
    expect(gitopsVerdict({ source, gitRepository: flux("GitRepository", []), kustomization: kustomizationReady, clusterId: "c-1" }).problem?.message).toContain("not reconciled yet");
  });

  test("a Kustomization not Ready, or applying another path, is KustomizationNotReady", () => {
    const failing = flux("Kustomization", [{ type: "Ready", status: "False", reason: "ReconciliationFailed", message: 'ApplicationInstance/x/y dry-run failed: forbidden' }], { path: "./clusters/c-1" });
    expect(gitopsVerdict({ source, gitRepository: repoReady, kustomization: failing, clusterId: "c-1" }).problem).toMatchObject({ reason: "KustomizationNotReady", message: expect.stringContaining("dry-run failed: forbidden") });
    const elsewhere = gitopsVerdict({ source, gitRepository: repoReady, kustomization: kustomizationReady, clusterId: "c-2" });
    expect(elsewhere.problem).toMatchObject({ reason: "KustomizationNotReady", message: expect.stringContaining("not ./clusters/c-2") });
    expect(elsewhere.state).toBe(0);
  });

  test("a GitRepository without spec.verify is noted whatever the verdict, and is no failure by itself", () => {
    const unverified = flux("GitRepository", [{ type: "Ready", status: "True", reason: "Succeeded", message: "stored artifact" }], {});
    const note = `commit verification off: GitRepository ${source} has no spec.verify`;
    expect(gitopsVerdict({ source, gitRepository: unverified, kustomization: kustomizationReady, clusterId: "c-1" })).toEqual({ problem: undefined, state: 1, note });
    const down = flux("GitRepository", [{ type: "Ready", status: "False", message: "connection refused" }], {});
    expect(gitopsVerdict({ source, gitRepository: down, kustomization: kustomizationReady, clusterId: "c-1" })).toMatchObject({ problem: { reason: "GitRepositoryNotReady" }, note });
    expect(gitopsVerdict({ source, gitRepository: undefined, kustomization: kustomizationReady, clusterId: "c-1" }).note).toBeUndefined();
    expect(commitKeysSecret(repoReady)).toBe("desired-state-keys");
    expect(commitKeysSecret(flux("GitRepository", [], { verify: { mode: "HEAD" } }))).toBeUndefined();
  });
});

describe("--gitops-source", () => {
  test("empty is the operator namespace's vworkspace-desired-state; a name alone stays in the operator namespace", () => {
    expect(gitopsSourceFlag("")).toEqual({ namespace: "", name: "vworkspace-desired-state" });
    expect(gitopsSourceFlag("fleet")).toEqual({ namespace: "", name: "fleet" });
    expect(gitopsSourceFlag("flux-system/fleet.main")).toEqual({ namespace: "flux-system", name: "fleet.main" });
  });
  test("anything else is a flag error naming the flag", () => {
    for (const bad of ["a/b/c", "Flux/fleet", "flux-system/", "/fleet", "flux_system/fleet"]) {
      expect(() => gitopsSourceFlag(bad)).toThrow(FlagError);
      expect(() => gitopsSourceFlag(bad)).toThrow(/--gitops-source wants <namespace>\/<name>/);
    }
  });
});
