/** The conflict queue of docs/operations.md#concurrency through the real API server, with every engine's child. */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { OPERATION_TYPES, type OperationType } from "../../../src/api/operation";
import type { ResourceType } from "../../../src/kube/types";
import { issueClaim } from "../../../src/operations/approval-claim";
import { conflicts } from "../../../src/operations/conflicts";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import {
  condition,
  createOperation,
  createRunnerAccount,
  createTarget,
  finishJob,
  getOperation,
  operationSpec,
  patchChildStatus,
  startOperationController,
  summary,
  waitForCondition,
  waitForPhase,
  type OperationHarness,
} from "../../support/operation";

const SECRET = "concurrency-secret";
const VELERO_BACKUP: ResourceType = { group: "velero.io", version: "v1", kind: "Backup", plural: "backups", namespaced: true };
const VELERO_RESTORE: ResourceType = { group: "velero.io", version: "v1", kind: "Restore", plural: "restores", namespaced: true };
const CAPABILITIES = { backup: "velero", restore: "velero", upgrade: "helm", migration: "helmHookJob", runcommand: "job", runbook: "workflow" };

const ns = useNamespace({ slug: "op-concurrency" });
let cluster: TestCluster;
let harness: OperationHarness | undefined;

beforeAll(async () => {
  cluster = await getCluster();
});

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** A spec of `type` against `target` that passes every precondition in this namespace. */
function specOf(type: OperationType, target: string, name: string): Record<string, unknown> {
  const claim = () => ({ approvals: { claim: issueClaim({ at: "2026-01-01T00:00:00Z", by: "t", exp: Math.floor(Date.now() / 1000) + 3600, op: name, rid: 1, v: 1 }, SECRET) } });
  switch (type) {
    case "Backup":
      return operationSpec(target, type, "velero");
    case "Restore":
      return operationSpec(target, type, "velero", { backupName: "nightly" }, claim());
    case "Upgrade":
      return operationSpec(target, type, "helm", { targetVersion: "1.1.0" });
    case "Migration":
      return operationSpec(target, type, "helmHookJob", { hookName: "migrate", image: "busybox:1.36", runAsUser: 1000 });
    case "RunCommand":
      return operationSpec(target, type, "job", { image: "busybox:1.36", runAsUser: 1000 });
    case "Runbook":
      return operationSpec(target, type, "workflow", { template: "maintenance" });
  }
}

async function setup(targets: string[]): Promise<void> {
  await createRunnerAccount(cluster.client, ns.name);
  await cluster.client.create(VELERO_BACKUP, {
    apiVersion: "velero.io/v1",
    kind: "Backup",
    metadata: { name: "nightly", namespace: ns.name, labels: { "ops.vworkspace.io/source-namespace": ns.name } },
    spec: {},
  });
  await Promise.all(targets.map((target) => createTarget(cluster.client, ns.name, target, { managed: true, capabilities: CAPABILITIES })));
}

const start = (options: { workers?: number } = {}) =>
  startOperationController(cluster, ns.name, { operations: { approvalClaimSecret: SECRET, veleroNamespace: ns.name }, ...(options.workers ? { config: { workers: options.workers } } : {}) });

/** Plays Velero: the Operation's child (by its engineRef) reaches `phase`. */
async function finishVelero(op: string, phase = "Completed"): Promise<void> {
  const ref = (await getOperation(cluster.client, ns.name, op))?.status?.engineRef;
  if (!ref) throw new Error(`operation ${op} has no engineRef`);
  await patchChildStatus(cluster.client, ref.kind === "Restore" ? VELERO_RESTORE : VELERO_BACKUP, ref.namespace ?? ns.name, ref.name, { phase });
}

describe("conflict matrix", () => {
  test("every cell, both directions, with the first Operation Running", async () => {
    const pairs = OPERATION_TYPES.flatMap((a) => OPERATION_TYPES.map((b) => ({ a, b, target: `t-${a}-${b}`.toLowerCase() })));
    await setup(pairs.map((pair) => pair.target));
    harness = await start();
    for (const { a, target } of pairs) await createOperation(cluster.client, ns.name, `${target}-1`, specOf(a, target, `${target}-1`));
    for (const { target } of pairs) await waitForPhase(cluster.client, ns.name, `${target}-1`, "Running");
    for (const { b, target } of pairs) await createOperation(cluster.client, ns.name, `${target}-2`, specOf(b, target, `${target}-2`));
    for (const { a, b, target } of pairs) {
      const second = `${target}-2`;
      if (conflicts(a, b)) {
        const held = await waitForCondition(cluster.client, ns.name, second, "Blocked", "True/ConflictingOperation");
        expect(held.status?.phase).toBe("Pending");
        expect(condition(held, "Blocked")?.message).toBe(`conflicts with operation "${target}-1" (${a})`);
        expect(summary(held, "Accepted")).toBe("False/ConflictingOperation");
      } else {
        await waitForPhase(cluster.client, ns.name, second, "Running");
      }
    }
  });
});

describe("queue order", () => {
  test("Restore, Backup, Backup: the Restore runs, both Backups wait, then run together", async () => {
    await setup(["app"]);
    harness = await start();
    await createOperation(cluster.client, ns.name, "r", specOf("Restore", "app", "r"));
    await waitForPhase(cluster.client, ns.name, "r", "Running");
    await createOperation(cluster.client, ns.name, "b1", specOf("Backup", "app", "b1"));
    await createOperation(cluster.client, ns.name, "b2", specOf("Backup", "app", "b2"));
    await waitForCondition(cluster.client, ns.name, "b1", "Blocked", "True/ConflictingOperation");
    await waitForCondition(cluster.client, ns.name, "b2", "Blocked", "True/ConflictingOperation");
    await finishVelero("r");
    await waitForPhase(cluster.client, ns.name, "r", "Succeeded");
    await waitForPhase(cluster.client, ns.name, "b1", "Running");
    await waitForPhase(cluster.client, ns.name, "b2", "Running");
  });

  test("two Pending conflicting Upgrades created a second apart: the older starts first", async () => {
    await setup(["app"]);
    await createOperation(cluster.client, ns.name, "z-older", specOf("Upgrade", "app", "z-older"));
    const older = await getOperation(cluster.client, ns.name, "z-older");
    await eventually(() => Date.now() >= Date.parse(older?.metadata.creationTimestamp ?? "") + 1_100, { what: "one second passed" });
    await createOperation(cluster.client, ns.name, "a-newer", specOf("Upgrade", "app", "a-newer"));
    harness = await start();
    await waitForPhase(cluster.client, ns.name, "z-older", "Running");
    const newer = await waitForCondition(cluster.client, ns.name, "a-newer", "Blocked", "True/ConflictingOperation");
    expect(condition(newer, "Blocked")?.message).toBe('conflicts with operation "z-older" (Upgrade)');
  });

  test("a Restore blocked on AwaitingApproval does not hold a later Backup", async () => {
    await setup(["app"]);
    harness = await start();
    await createOperation(cluster.client, ns.name, "r", operationSpec("app", "Restore", "velero", { backupName: "nightly" }));
    await waitForCondition(cluster.client, ns.name, "r", "Blocked", "True/AwaitingApproval");
    await createOperation(cluster.client, ns.name, "b", specOf("Backup", "app", "b"));
    await waitForPhase(cluster.client, ns.name, "b", "Running");
  });

  test("three mutually conflicting Operations run one after another in creation order (no deadlock)", async () => {
    await setup(["app"]);
    for (const [name, type] of [["m", "Migration"], ["r", "Restore"], ["u", "Upgrade"]] as const) {
      await createOperation(cluster.client, ns.name, name, specOf(type, "app", name));
      await Bun.sleep(1_100); // distinct creation timestamps (second precision)
    }
    harness = await start();
    await waitForPhase(cluster.client, ns.name, "m", "Running");
    await waitForCondition(cluster.client, ns.name, "r", "Blocked", "True/ConflictingOperation");
    await waitForCondition(cluster.client, ns.name, "u", "Blocked", "True/ConflictingOperation");
    await finishJob(cluster.client, ns.name, `${ns.name}--m`, "Complete");
    await waitForPhase(cluster.client, ns.name, "r", "Running");
    expect((await getOperation(cluster.client, ns.name, "u"))?.status?.phase).toBe("Pending");
    await finishVelero("r");
    await waitForPhase(cluster.client, ns.name, "u", "Running");
  });

  test("ten conflicting Upgrades reconciled by eight workers at once: exactly one child is written", async () => {
    await setup(["app"]);
    const names = Array.from({ length: 10 }, (_, index) => `u${index}`);
    await Promise.all(names.map((name) => createOperation(cluster.client, ns.name, name, specOf("Upgrade", "app", name))));
    harness = await start({ workers: 8 });
    const settled = await eventually(async () => {
      const ops = await Promise.all(names.map((name) => getOperation(cluster.client, ns.name, name)));
      const running = ops.filter((op) => op?.status?.phase === "Running");
      const held = ops.filter((op) => summary(op, "Blocked") === "True/ConflictingOperation");
      return running.length + held.length === names.length ? { running, held } : undefined;
    }, { what: "all upgrades decided" });
    expect(settled.running.length).toBe(1);
    const writes = harness.calls.calls.filter((call) => call.verb === "patch" && call.path.includes("/applicationinstances/app") && !call.path.endsWith("/status"));
    expect(writes.length).toBe(1);
  });
});
