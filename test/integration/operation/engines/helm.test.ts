/**
 * The `helm` engine (Upgrade) against the real API server (docs/operations.md#helm). No instance controller
 * runs here: the test plays it by writing the instance's status; test/e2e/flux.upgrade.test.ts runs the
 * real chain with Flux.
 */
import { describe, expect, test } from "bun:test";
import type { ApplicationInstance } from "../../../../src/api/applicationinstance";
import { APPLICATION_INSTANCE } from "../../../../src/api/groups";
import type { KubeClient } from "../../../../src/kube/client";
import { useNamespace } from "../../../support/namespace";
import { conditionTable, createOperation, createTarget, getOperation, getOptional, startOperationController, waitForPhase } from "../../../support/operation";
import { eventually } from "../../../support/eventually";
import { registerLifecycle, useScenarioState, type EngineScenario } from "./scenarios";

const ns = useNamespace({ slug: "engine-helm" });

async function instance(client: KubeClient): Promise<ApplicationInstance> {
  return client.get<ApplicationInstance>(APPLICATION_INSTANCE, "app", { namespace: ns.name });
}

/** Plays the instance reconciler reporting on the current generation. */
async function reportInstance(client: KubeClient, conditions: Array<[type: string, status: "True" | "False", reason: string]>, appliedVersion: string): Promise<void> {
  const current = await instance(client);
  const generation = current.metadata.generation ?? 1;
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await client.patchStatus(APPLICATION_INSTANCE, "app", {
    type: "merge",
    body: {
      status: {
        observedGeneration: generation,
        conditions: conditions.map(([type, status, reason]) => ({ type, status, reason, message: `${reason} (played by the test)`, lastTransitionTime: now, observedGeneration: generation })),
        lastAppliedChart: { ...current.spec.chart, version: appliedVersion },
      },
    },
  }, { namespace: ns.name });
}

const versionIs = async (client: KubeClient, version: string) => (await instance(client)).spec.chart?.version === version;

const scenario: EngineScenario = {
  prepare: async (client) => void (await createTarget(client, ns.name, "app", { managed: true, capabilities: { upgrade: "helm" } })),
  spec: (extra = {}) => ({
    targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "app" },
    type: "Upgrade",
    engine: "helm",
    parameters: { targetVersion: "1.1.0" },
    ...extra,
  }),
  harnessOptions: () => ({}),
  child: () => ({ type: APPLICATION_INSTANCE, namespace: ns.name, name: "app" }),
  succeed: (client) => reportInstance(client, [["Ready", "True", "ReconciliationSucceeded"], ["Reconciling", "False", "Stable"]], "1.1.0"),
  fail: (client) => reportInstance(client, [["Ready", "False", "UpgradeFailed"], ["Reconciling", "False", "Stable"]], "1.0.0"),
  reasons: { progress: "HelmUpgradeInProgress", success: "HelmUpgradeSucceeded", failure: "HelmUpgradeFailed" },
  // Cancel, timeout and failure never revert the instance: a downgrade is a new Upgrade.
  cancelled: (client) => versionIs(client, "1.1.0"),
  failedChildKept: (client) => versionIs(client, "1.1.0"),
  removeChildren: async (client) => void (await client.delete(APPLICATION_INSTANCE, "app", { namespace: ns.name })),
};

const state = useScenarioState(() => ns.name, () => scenario);

describe("helm engine: the write on the target", () => {
  test("version and deep values merge land in one generation under vworkspace-operator-upgrade; null deletes a key", async () => {
    const { client } = state.cluster;
    await createTarget(client, ns.name, "app", {
      managed: true,
      capabilities: { upgrade: "helm" },
      spec: { values: { source: "inline", inline: { replicas: 1, image: { tag: "a", pullPolicy: "IfNotPresent" }, legacy: true } } },
    });
    const before = await instance(client);
    await state.start();
    await createOperation(client, ns.name, "upgrade", scenario.spec({ parameters: { targetVersion: "1.1.0", valuesPatch: { image: { tag: "b" }, legacy: null } } }));
    const running = await waitForPhase(client, ns.name, "upgrade", "Running");
    const after = await instance(client);
    expect(after.spec.chart?.version).toBe("1.1.0");
    expect(after.spec.values?.inline).toEqual({ replicas: 1, image: { tag: "b", pullPolicy: "IfNotPresent" } });
    expect(after.metadata.generation).toBe((before.metadata.generation ?? 0) + 1);
    const managers = (after.metadata.managedFields as Array<{ manager: string }>).map((entry) => entry.manager);
    expect(managers).toContain("vworkspace-operator-upgrade");
    expect(running.status?.engineRef).toEqual({ kind: "ApplicationInstance", name: "app", namespace: ns.name });
    expect(running.status?.outputs).toEqual({ previousVersion: "1.0.0", version: "1.1.0", helmReleaseName: "app", targetGeneration: String(after.metadata.generation) });
  });

  test("Ready=True of the old generation does not count; Ready=True at the target generation and version succeeds", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await reportInstance(client, [["Ready", "True", "ReconciliationSucceeded"]], "1.0.0");
    await state.start();
    await createOperation(client, ns.name, "upgrade", scenario.spec());
    const running = await waitForPhase(client, ns.name, "upgrade", "Running");
    expect(conditionTable(running).Running).toBe("True/HelmUpgradeInProgress");
    await scenario.succeed(client, running);
    const done = await waitForPhase(client, ns.name, "upgrade", "Succeeded");
    expect(conditionTable(done).Succeeded).toBe("True/HelmUpgradeSucceeded");
  });

  test("Ready=False/UpgradeFailed keeps it Running while Flux retries, fails once Reconciling=False", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    await createOperation(client, ns.name, "upgrade", scenario.spec());
    await waitForPhase(client, ns.name, "upgrade", "Running");
    await reportInstance(client, [["Ready", "False", "UpgradeFailed"], ["Reconciling", "True", "Progressing"]], "1.0.0");
    await eventually(async () => (await getOperation(client, ns.name, "upgrade"))?.status?.conditions?.find((c) => c.type === "Running")?.message.includes("Flux is still retrying"), { what: "retrying message" });
    expect((await getOperation(client, ns.name, "upgrade"))?.status?.phase).toBe("Running");
    await reportInstance(client, [["Ready", "False", "UpgradeFailed"], ["Reconciling", "False", "Stable"]], "1.0.0");
    const failed = await waitForPhase(client, ns.name, "upgrade", "Failed");
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")).toMatchObject({ status: "True", reason: "HelmUpgradeFailed", message: "ApplicationInstance Ready=False UpgradeFailed: UpgradeFailed (played by the test)" });
    expect(await versionIs(client, "1.1.0")).toBe(true);
  });

  test("another Ready=False reason fails after --upgrade-stuck-after without any further event", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    state.harness = await startOperationController(state.cluster, ns.name, { operations: { upgradeStuckAfterMs: 2_000 } });
    await createOperation(client, ns.name, "upgrade", scenario.spec({ parameters: { targetVersion: "9.9.9" } }));
    await waitForPhase(client, ns.name, "upgrade", "Running");
    await reportInstance(client, [["Ready", "False", "ArtifactFailed"], ["Reconciling", "True", "Progressing"]], "1.0.0");
    const failed = await waitForPhase(client, ns.name, "upgrade", "Failed");
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")).toMatchObject({ reason: "HelmUpgradeFailed", message: expect.stringContaining("ArtifactFailed") });
  });

  test("a version changed by another writer fails the Upgrade", async () => {
    const { client } = state.cluster;
    await scenario.prepare(client);
    await state.start();
    await createOperation(client, ns.name, "upgrade", scenario.spec());
    await waitForPhase(client, ns.name, "upgrade", "Running");
    await client.patch(APPLICATION_INSTANCE, "app", { type: "merge", body: { spec: { chart: { version: "1.2.0" } } } }, { namespace: ns.name });
    const failed = await waitForPhase(client, ns.name, "upgrade", "Failed");
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")?.message).toContain('changed to "1.2.0"');
    expect(await getOptional(client, APPLICATION_INSTANCE, "app", ns.name)).toBeDefined();
  });
});

describe("helm engine: lifecycle", () => {
  registerLifecycle(() => ns.name, () => scenario, state);
});
