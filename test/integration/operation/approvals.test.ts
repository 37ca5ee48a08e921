/** Approvals (docs/operations.md#approvals) as the reconciler applies them: checked before start only. */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { OPERATION } from "../../../src/api/groups";
import { issueClaim } from "../../../src/operations/approval-claim";
import { getCluster, type TestCluster } from "../../support/cluster";
import { useNamespace } from "../../support/namespace";
import {
  condition,
  createOperation,
  createRunnerAccount,
  createTarget,
  finishJob,
  operationSpec,
  startOperationController,
  waitForCondition,
  waitForPhase,
  type OperationHarness,
} from "../../support/operation";

const SECRET = "approval-secret-for-tests";
const ns = useNamespace({ slug: "op-approvals" });
let cluster: TestCluster;
let harness: OperationHarness | undefined;

beforeAll(async () => {
  cluster = await getCluster();
});

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
const claimFor = (op: string, overrides: Partial<{ exp: number; v: number; secret: string }> = {}) =>
  issueClaim({ at: new Date().toISOString(), by: "alice", exp: overrides.exp ?? nowSeconds() + 600, op, rid: 7, v: overrides.v ?? 1 }, overrides.secret ?? SECRET);

const approved = (claim?: string) =>
  operationSpec("app", "RunCommand", "job", { image: "busybox:1.36", runAsUser: 1000 }, { approvals: { required: true, ...(claim !== undefined ? { claim } : {}) } });

async function setup(secret = SECRET): Promise<void> {
  await createTarget(cluster.client, ns.name, "app", { capabilities: { runcommand: "job" } });
  await createRunnerAccount(cluster.client, ns.name);
  harness = await startOperationController(cluster, ns.name, { operations: { approvalClaimSecret: secret } });
}

const blockedMessage = async (name: string) => condition(await waitForCondition(cluster.client, ns.name, name, "Blocked", "True/AwaitingApproval"), "Blocked")?.message;

describe("approval before start", () => {
  test("required without a claim waits as AwaitingApproval; patching a valid claim starts it without a nudge", async () => {
    await setup();
    await createOperation(cluster.client, ns.name, "needs", approved());
    expect(await blockedMessage("needs")).toBe("approval claim required");
    const pending = await waitForPhase(cluster.client, ns.name, "needs", "Pending");
    expect(condition(pending, "Accepted")?.reason).toBe("AwaitingApproval");
    await cluster.client.patch(OPERATION, "needs", { type: "merge", body: { spec: { approvals: { claim: claimFor("needs") } } } }, { namespace: ns.name });
    await waitForPhase(cluster.client, ns.name, "needs", "Running");
  });

  test("a valid claim starts the Operation at once", async () => {
    await setup();
    await createOperation(cluster.client, ns.name, "ok", approved(claimFor("ok")));
    await waitForPhase(cluster.client, ns.name, "ok", "Running");
  });

  test.each([
    ["signed with another secret", (op: string) => claimFor(op, { secret: "other" }), "invalid approval claim: signature mismatch"],
    ["for another operation", () => claimFor("someone-else"), 'invalid approval claim: claim is for operation "someone-else"'],
    ["of version 2", (op: string) => claimFor(op, { v: 2 }), "invalid approval claim: unsupported claim version"],
    ["malformed", () => "vws1.only-two", "invalid approval claim: malformed claim"],
  ])("a claim %s blocks with its error", async (_what, make, message) => {
    await setup();
    await createOperation(cluster.client, ns.name, "bad", approved(make("bad")));
    expect(await blockedMessage("bad")).toBe(message);
  });

  test("an expired claim blocks with its expiry time", async () => {
    await setup();
    const exp = nowSeconds() - 1;
    await createOperation(cluster.client, ns.name, "late", approved(claimFor("late", { exp })));
    expect(await blockedMessage("late")).toBe(`invalid approval claim: claim expired at ${new Date(exp * 1000).toISOString().replace(/\.000Z$/, "Z")}`);
  });

  test("an operator without the secret blocks a claimed Operation with the configuration message", async () => {
    await setup("");
    await createOperation(cluster.client, ns.name, "nosecret", approved(claimFor("nosecret")));
    expect(await blockedMessage("nosecret")).toBe("approval claim present but operator approval-claim-secret is not configured");
  });

  test("a claim expiring while the Operation runs changes nothing; it still completes", async () => {
    await setup();
    const exp = nowSeconds() + 3;
    await createOperation(cluster.client, ns.name, "brief", approved(claimFor("brief", { exp })));
    await waitForPhase(cluster.client, ns.name, "brief", "Running");
    while (nowSeconds() <= exp + 1) await Bun.sleep(500); // the claim is now expired
    await finishJob(cluster.client, ns.name, `${ns.name}--brief`, "Complete");
    await waitForPhase(cluster.client, ns.name, "brief", "Succeeded");
  });

  test("restore.velero with approvals.required=false and no claim still waits (the template requires approval)", async () => {
    await createTarget(cluster.client, ns.name, "app", { capabilities: { restore: "velero" } });
    await cluster.client.create({ group: "velero.io", version: "v1", kind: "Backup", plural: "backups", namespaced: true }, {
      apiVersion: "velero.io/v1",
      kind: "Backup",
      metadata: { name: "nightly", namespace: ns.name, labels: { "ops.vworkspace.io/source-namespace": ns.name } },
      spec: {},
    });
    harness = await startOperationController(cluster, ns.name, { operations: { approvalClaimSecret: SECRET, veleroNamespace: ns.name } });
    await createOperation(cluster.client, ns.name, "restore", operationSpec("app", "Restore", "velero", { backupName: "nightly" }, { approvals: { required: false } }));
    expect(await blockedMessage("restore")).toBe("approval claim required");
  });
});
