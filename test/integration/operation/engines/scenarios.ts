/**
 * The lifecycle every engine must pass (issue 6, docs/development.md#real-flux-end-to-end, docs/development.md#engines-that-cannot-run-here), registered once per engine file:
 * success (then terminal stays terminal), failure, timeout, cancel, and an operator restart while
 * Running that must leave exactly one child. Each engine file adds the tests of its own child shape.
 */
import { afterEach, beforeAll, expect, test } from "bun:test";
import { OPERATION } from "../../../../src/api/groups";
import type { Operation } from "../../../../src/api/operation";
import type { KubeClient } from "../../../../src/kube/client";
import type { KubeObject, ResourceType } from "../../../../src/kube/types";
import { getCluster, type TestCluster } from "../../../support/cluster";
import { eventually } from "../../../support/eventually";
import { metricSum } from "../../../support/metrics";
import {
  conditionTable,
  createOperation,
  getOperation,
  startOperationController,
  waitForPhase,
  type OperationHarness,
  type OperationHarnessOptions,
} from "../../../support/operation";
import { actAsEngine, childrenOf } from "./act";

export interface ChildLocation {
  type: ResourceType;
  namespace: string;
  name: string;
}

export interface EngineScenario {
  /** Creates the target and whatever the engine checks before start (runner account, PVCs, classes…). */
  prepare(client: KubeClient): Promise<void>;
  /** `spec` of an Operation that starts this engine. */
  spec(extra?: Record<string, unknown>): Record<string, unknown>;
  harnessOptions(): OperationHarnessOptions;
  /** Where the child of Operation `name` is (the first one, for engines with several). */
  child(operationName: string): ChildLocation;
  /** Plays the engine: every child of the Operation finishes successfully / fails. */
  succeed(client: KubeClient, operation: Operation): Promise<void>;
  fail(client: KubeClient, operation: Operation): Promise<void>;
  reasons: { progress: string; success: string; failure: string };
  /** What cancellation or timeout left behind, checked until it holds. */
  cancelled(client: KubeClient, operation: Operation): Promise<boolean>;
  /** What a failure left behind (a kept child, a paused mover…). */
  failedChildKept(client: KubeClient, operation: Operation): Promise<boolean>;
  /** Takes the children away (or the target, for the helm engine): no news for a finished Operation. */
  removeChildren(client: KubeClient, operation: Operation): Promise<void>;
}

export interface ScenarioState {
  cluster: TestCluster;
  harness: OperationHarness | undefined;
  start(): Promise<OperationHarness>;
}

/** Per-file state: the cluster, and the harness started by the current test (stopped after it). */
export function useScenarioState(namespace: () => string, scenario: () => EngineScenario): ScenarioState {
  const state: ScenarioState = {
    cluster: undefined as unknown as TestCluster,
    harness: undefined,
    async start() {
      state.harness = await startOperationController(state.cluster, namespace(), scenario().harnessOptions());
      return state.harness;
    },
  };
  beforeAll(async () => {
    state.cluster = await getCluster();
  });
  afterEach(async () => {
    await state.harness?.stop();
    state.harness = undefined;
  });
  return state;
}

async function runningOperation(state: ScenarioState, namespace: string, scenario: EngineScenario, name: string, extra: Record<string, unknown> = {}): Promise<Operation> {
  const { client } = state.cluster;
  await scenario.prepare(client);
  await state.start();
  await createOperation(client, namespace, name, scenario.spec(extra));
  return waitForPhase(client, namespace, name, "Running");
}

/** Waits until the operator has run at least one more reconcile pass than `before`. */
async function reconciledSince(harness: OperationHarness, before: number): Promise<void> {
  const url = harness.running.operator.metricsUrl;
  if (!url) throw new Error("the harness operator serves no metrics");
  await eventually(async () => (await metricSum(url, "vworkspace_operator_reconcile_total")) > before, { what: "another reconcile pass" });
}

export function registerLifecycle(namespace: () => string, scenario: () => EngineScenario, state: ScenarioState): void {
  test("success: Running → Succeeded with the engine's reasons; removing its children later never moves a terminal Operation", async () => {
    const s = scenario();
    const { client } = state.cluster;
    const running = await runningOperation(state, namespace(), s, "lifecycle-ok");
    expect(conditionTable(running)).toEqual({ Accepted: "True/AdmissionPassed", Running: `True/${s.reasons.progress}`, Blocked: "False/Unblocked" });
    await s.succeed(client, running);
    const done = await waitForPhase(client, namespace(), "lifecycle-ok", "Succeeded");
    expect(conditionTable(done)).toMatchObject({ Running: "False/EngineFinished", Succeeded: `True/${s.reasons.success}` });

    const harness = state.harness!;
    const writesBefore = harness.calls.statusWrites("operations").length;
    const passesBefore = await metricSum(harness.running.operator.metricsUrl!, "vworkspace_operator_reconcile_total");
    await s.removeChildren(client, done);
    await client.patch(OPERATION, "lifecycle-ok", { type: "merge", body: { metadata: { annotations: { "test.vworkspace.io/nudge": "1" } } } }, { namespace: namespace() });
    await reconciledSince(harness, passesBefore);
    const after = await getOperation(client, namespace(), "lifecycle-ok");
    expect(after?.status).toEqual(done.status);
    expect(harness.calls.statusWrites("operations").length).toBe(writesBefore);
  });

  test("failure: Failed with the engine's failure reason; the child is kept for inspection", async () => {
    const s = scenario();
    const { client } = state.cluster;
    const running = await runningOperation(state, namespace(), s, "lifecycle-bad");
    await s.fail(client, running);
    const failed = await waitForPhase(client, namespace(), "lifecycle-bad", "Failed");
    expect(conditionTable(failed)).toMatchObject({ Running: "False/EngineFinished", Failed: `True/${s.reasons.failure}` });
    await eventually(() => s.failedChildKept(client, failed), { what: "failed child kept" });
  });

  test("timeout: Failed/Timeout and the engine's cancel action ran", async () => {
    const s = scenario();
    const { client } = state.cluster;
    const running = await runningOperation(state, namespace(), s, "lifecycle-slow", { timeoutSeconds: 2 });
    const failed = await waitForPhase(client, namespace(), "lifecycle-slow", "Failed");
    expect(conditionTable(failed)).toMatchObject({ Running: "False/EngineFinished", Failed: "True/Timeout" });
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")?.message).toBe("operation exceeded its timeout of 2s");
    await eventually(() => s.cancelled(client, running), { what: "child cancelled after timeout" });
  });

  test("cancel annotation: the engine's cancel action runs, then Cancelled/UserCancelled", async () => {
    const s = scenario();
    const { client } = state.cluster;
    const running = await runningOperation(state, namespace(), s, "lifecycle-stop");
    await client.patch(OPERATION, "lifecycle-stop", { type: "merge", body: { metadata: { annotations: { "ops.vworkspace.io/cancel": "True" } } } }, { namespace: namespace() });
    const cancelled = await waitForPhase(client, namespace(), "lifecycle-stop", "Cancelled");
    expect(conditionTable(cancelled)).toMatchObject({ Running: "False/EngineFinished", Cancelled: "True/UserCancelled" });
    expect(await s.cancelled(client, running)).toBe(true);
  });

  test("operator restart while Running: exactly one child, and the new operator finishes the Operation", async () => {
    const s = scenario();
    const { client } = state.cluster;
    const running = await runningOperation(state, namespace(), s, "lifecycle-restart");
    await state.harness!.running.stop();
    const location = s.child("lifecycle-restart");
    const before = await childrenOf(client, location.type, location.namespace, running.metadata.uid!);
    await state.start();
    // The new operator's first pass sees the Running Operation; force one and wait for it.
    const passesBefore = await metricSum(state.harness!.running.operator.metricsUrl!, "vworkspace_operator_reconcile_total");
    await client.patch(OPERATION, "lifecycle-restart", { type: "merge", body: { metadata: { annotations: { "test.vworkspace.io/nudge": "1" } } } }, { namespace: namespace() });
    await reconciledSince(state.harness!, passesBefore);
    const after = await childrenOf(client, location.type, location.namespace, running.metadata.uid!);
    expect(after.map(uidOf)).toEqual(before.map(uidOf));
    await s.succeed(client, running);
    await waitForPhase(client, namespace(), "lifecycle-restart", "Succeeded");
    expect(state.harness!.calls.filter((call) => call.verb === "create" && call.resource?.plural === location.type.plural)).toEqual([]);
  });
}

const uidOf = (object: KubeObject) => object.metadata.uid;

export { actAsEngine, childrenOf };
