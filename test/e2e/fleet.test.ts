/**
 * The hybrid fleet (docs/connectivity.md#one-control-plane-three-modes, docs/connectivity.md#mixed-fleets-and-changing-mode):
 * one reference control plane, three private API servers with one operator each, in Pull, Push (no status
 * channel: the plane watches) and GitOps (real source-controller and kustomize-controller, a loopback Git
 * server, the agent's status channel; the plane signs its commits and the GitRepository verifies them), set
 * up by test/support/fleet.ts. The plane deploys the same ApplicationInstance to all three with the same
 * `enqueue --apply` and reads the same status vocabulary back from each. Then the Pull cluster moves to
 * Push and the Push cluster to Pull in the documented order, with no instance rewritten, no generation
 * changed, no SSA conflict, and nothing lost from the event stream; a change made through the new mode
 * reports back through the new path into the same stream. Prints a transcript of the run as it goes
 * (paths relative to .local/test-logs/fleet/, where transcript.txt keeps it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { APPLICATION_INSTANCE, CLUSTER } from "../../src/api/groups";
import { CONTROL_PLANE_SERVICE_ACCOUNT } from "../../src/api/push-access";
import type { Condition, KubeObject } from "../../src/kube/types";
import type { AgentEvent } from "../../src/protocol";
import { REPO_ROOT } from "../support/cluster";
import { runCli, type CliOutcome } from "../support/cli";
import type { RefControlPlane } from "../support/controlplane";
import { eventually } from "../support/eventually";
import { FLEET_CLUSTER_NAME as CLUSTER_NAME, FLEET_OPERATOR_NAMESPACE as OPERATOR_NAMESPACE, FLEET_TENANT as TENANT, fleetCluster, fleetRoleBinding, issuePushKubeconfig, startFleet, type Fleet, type FleetMember as Member, type FleetMode as Mode } from "../support/fleet";
import { gitOpsFluxBinaries } from "../support/flux-gitops";
import { gitAvailable, type GitRepo } from "../support/git-server";

const binaries = gitOpsFluxBinaries();
const INSTANCE = "shop";
const STEP_MS = 120_000;
const WORK_DIR = join(REPO_ROOT, ".local/test-logs/fleet");

const transcript: string[] = [];
const started = performance.now();
/** One line of the transcript: printed as it happens and again, whole, at the end. */
function say(line: string): void {
  const stamped = `[fleet ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line.replaceAll(`${WORK_DIR}/`, "")}`;
  transcript.push(stamped);
  console.info(stamped);
}

let fleet: Fleet | undefined;
let plane: RefControlPlane;
let repo: GitRepo;
let members: Record<Mode, Member>;

function instance(): KubeObject {
  return { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", metadata: { name: INSTANCE, namespace: TENANT }, spec: { appRef: { catalogId: "nextcloud" }, mode: "placeholder" } };
}

const adminFlags = () => [`--url=${plane.url}`, `--admin-token=${plane.adminToken}`];

async function cpCli(...args: string[]): Promise<CliOutcome> {
  const result = await runCli("control-plane", ...args, ...adminFlags());
  say(`$ vworkspace-operator control-plane ${args.join(" ")}`);
  for (const line of `${result.stdout}${result.stderr}`.trim().split("\n").filter((text) => text !== "")) say(`  ${line}`);
  return result;
}

const giveCredentials = (member: Member) => (fleet as Fleet).giveCredentials(member);
const clusterSpec = (mode: Mode, withChannel: boolean) => (fleet as Fleet).clusterSpec(mode, withChannel);
const clusterIn = (member: Member, match: Parameters<typeof fleetCluster>[1], what: string) => fleetCluster(member, match, what, STEP_MS);
const roleBinding = (member: Member, present: boolean) => fleetRoleBinding(member, present, STEP_MS);

async function issueKubeconfig(member: Member): Promise<string> {
  const issued = await issuePushKubeconfig(member, WORK_DIR);
  say(`$ vworkspace-operator push-kubeconfig --token-source=request --output=${member.id}.kubeconfig   (on ${member.id})`);
  say(`  ${issued.said.split("\n").join(" / ")}`);
  return issued.path;
}

async function liveInstance(member: Member): Promise<KubeObject & { status?: { conditions?: Condition[] } }> {
  return member.api.client.get(APPLICATION_INSTANCE, INSTANCE, { namespace: TENANT });
}

function managers(object: KubeObject): string[] {
  return [...new Set((object.metadata.managedFields ?? []).map((entry) => (entry as { manager?: string }).manager ?? ""))].sort();
}

async function instanceEvents(member: Member): Promise<(AgentEvent & { seq: number })[]> {
  return (await plane.admin.events({ clusterId: member.id, kind: "ApplicationInstance", name: INSTANCE })).events;
}

/** `Type=Status/Reason` of every ConditionTransition the plane holds for the instance: the status vocabulary. */
function vocabulary(events: AgentEvent[]): string[] {
  return [...new Set(events.flatMap((event) => (event.conditions ?? []).map((condition) => `${condition.type}=${condition.status}/${condition.reason}`)))].sort();
}

/** Every current condition of the live instance is in the plane's stream under its key. */
async function streamHoldsCurrentConditions(member: Member): Promise<boolean> {
  const live = await liveInstance(member);
  const keys = new Set((await instanceEvents(member)).map((event) => event.eventKey));
  const conditions = live.status?.conditions ?? [];
  return conditions.length > 0 && conditions.every((condition) => keys.has(`condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/${TENANT}/${INSTANCE}/${live.metadata.uid}/${condition.type}/${condition.status}@${live.metadata.generation}`));
}

describe.skipIf(!binaries || !gitAvailable())("hybrid fleet: one control plane, Pull, Push and GitOps clusters", () => {
  beforeAll(async () => {
    rmSync(WORK_DIR, { recursive: true, force: true });
    mkdirSync(WORK_DIR, { recursive: true });
    fleet = await startFleet({ workDir: WORK_DIR, binaries: binaries!, gitInterval: "5s", say, stepMs: STEP_MS });
    ({ plane, repo, members } = fleet);
  }, STEP_MS * 3);

  afterAll(async () => {
    writeFileSync(join(WORK_DIR, "transcript.txt"), `${transcript.join("\n")}\n`);
    await fleet?.stop();
  }, STEP_MS);

  test("the plane knows each cluster's mode", async () => {
    const pushKubeconfig = await issueKubeconfig(members.push);
    await cpCli("set-mode", `--cluster-id=${members.push.id}`, "--mode=push", `--kubeconfig=${pushKubeconfig}`);
    await cpCli("set-mode", `--cluster-id=${members.gitops.id}`, "--mode=gitops", `--git-remote=${repo.bareDir}`, "--git-branch=main");
    const listed = await cpCli("clusters");
    const modes = Object.fromEntries((await plane.admin.clusters()).map((cluster) => [cluster.clusterId, `${cluster.mode}/${cluster.statusSource}`]));
    expect(modes).toEqual({ "edge-pull": "pull/events", "edge-push": "push/watch", "edge-gitops": "gitops/events" });
    expect(listed.code).toBe(0);
  }, STEP_MS);

  test("the same enqueue --apply deploys the instance to all three, and each reports the same status vocabulary", async () => {
    const manifest = join(WORK_DIR, "shop.json");
    writeFileSync(manifest, JSON.stringify(instance()));
    for (const member of Object.values(members)) {
      const applied = await cpCli("enqueue", `--cluster-id=${member.id}`, `--apply=${manifest}`, "--wait-result=60s");
      expect(applied.code).toBe(0);
    }
    const vocabularies: Record<string, string[]> = {};
    for (const member of Object.values(members)) {
      await eventually(async () => (await liveInstance(member).catch(() => undefined)) !== undefined, { what: `${member.id}: the instance exists`, timeoutMs: STEP_MS });
      await eventually(() => streamHoldsCurrentConditions(member), { what: `${member.id}: the plane's stream holds the instance's current conditions`, timeoutMs: STEP_MS });
      const live = await liveInstance(member);
      vocabularies[member.id] = vocabulary(await instanceEvents(member));
      say(`${member.id}: instance ${TENANT}/${INSTANCE} generation ${live.metadata.generation}, written by ${managers(live).join(", ")}; status: ${vocabularies[member.id]!.join(", ")}`);
    }
    expect(vocabularies["edge-push"]).toEqual(vocabularies["edge-pull"]!);
    expect(vocabularies["edge-gitops"]).toEqual(vocabularies["edge-pull"]!);
    expect(vocabularies["edge-pull"]).toContain("Ready=True/Placeholder");
  }, STEP_MS * 2);

  /** What the switch must leave alone: the instance's identity and generation, and every event already stored. */
  async function before(member: Member): Promise<{ uid: string; generation: number; seqs: number[] }> {
    const live = await liveInstance(member);
    return { uid: live.metadata.uid as string, generation: live.metadata.generation as number, seqs: (await instanceEvents(member)).map((event) => event.seq) };
  }

  async function expectUntouched(member: Member, earlier: { uid: string; generation: number; seqs: number[] }): Promise<void> {
    const live = await liveInstance(member);
    expect({ uid: live.metadata.uid, generation: live.metadata.generation }).toEqual({ uid: earlier.uid, generation: earlier.generation });
    const seqs = new Set((await instanceEvents(member)).map((event) => event.seq));
    expect(earlier.seqs.filter((seq) => !seqs.has(seq))).toEqual([]);
    await eventually(() => streamHoldsCurrentConditions(member), { what: `${member.id}: the stream holds the current conditions after the switch`, timeoutMs: STEP_MS });
    say(`${member.id}: instance uid and generation ${live.metadata.generation} unchanged; ${earlier.seqs.length} earlier events kept, ${seqs.size} now; written by ${managers(live).join(", ")}`);
  }

  /** The same `enqueue --apply` through the new mode: no conflict, no new generation, and the new writer owns the fields. */
  async function applyAgain(member: Member, generation: number, managersNow: { writer: string; previous: string }): Promise<void> {
    const applied = await cpCli("enqueue", `--cluster-id=${member.id}`, `--apply=${join(WORK_DIR, "shop.json")}`, "--wait-result=60s");
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout.trim().split("\n")[1] as string)).toMatchObject({ outcome: "succeeded", appliedRef: { generation } });
    const owners = managers(await liveInstance(member));
    expect(owners).toContain(managersNow.writer);
    expect(owners).not.toContain(managersNow.previous);
  }

  /** A deliberate change through the new mode: its status comes back through the new path, into the same stream. */
  async function changeThroughNewMode(member: Member): Promise<void> {
    const suspended = { ...instance(), spec: { ...(instance().spec as Record<string, unknown>), suspend: true } };
    const manifest = join(WORK_DIR, `shop-suspended-${member.id}.json`);
    writeFileSync(manifest, JSON.stringify(suspended));
    expect((await cpCli("enqueue", `--cluster-id=${member.id}`, `--apply=${manifest}`, "--wait-result=60s")).code).toBe(0);
    // Only conditions whose status, reason or message changed are sent again (docs/connectivity.md#events).
    const latest = await eventually(async () => {
      const live = await liveInstance(member);
      const changed = (await instanceEvents(member)).filter((event) => event.resourceRef.generation === live.metadata.generation);
      return vocabulary(changed).includes("Suspended=True/ManuallySuspended") ? { generation: live.metadata.generation, changed } : undefined;
    }, { what: `${member.id}: Suspended=True of the new generation in the stream`, timeoutMs: STEP_MS });
    say(`${member.id}: spec.suspend=true → generation ${latest.generation}; new in the stream: ${vocabulary(latest.changed).join(", ")} @${latest.generation}`);
  }

  async function switchCluster(member: Member, spec: Record<string, unknown>, mode: Mode): Promise<void> {
    await member.api.client.patch(CLUSTER, CLUSTER_NAME, { type: "merge", body: { spec } });
    say(`${member.id}: kubectl patch cluster ${CLUSTER_NAME} ${JSON.stringify({ spec })}`);
    await clusterIn(member, (cluster) => cluster.status?.connectivityMode === mode, `status.connectivityMode ${mode}`);
    say(`${member.id}: status.connectivityMode=${mode}`);
  }

  test("Pull → Push: switch the mode, issue the kubeconfig, the plane writes; nothing rewritten, no conflict, no event lost", async () => {
    const pull = members.pull;
    const earlier = await before(pull);
    await switchCluster(pull, { connectivityMode: "push" }, "push");
    await roleBinding(pull, true);
    await expectUntouched(pull, earlier);
    const kubeconfig = await issueKubeconfig(pull);
    await cpCli("set-mode", `--cluster-id=${pull.id}`, "--mode=push", `--kubeconfig=${kubeconfig}`);
    await applyAgain(pull, earlier.generation, { writer: "vworkspace-odoo", previous: "vworkspace-agent" });
    await expectUntouched(pull, earlier);
    await changeThroughNewMode(pull);
  }, STEP_MS * 2);

  test("Push → Pull: credentials first, the plane stops writing, switch the mode, revoke the token; the agent's apply does not conflict", async () => {
    const push = members.push;
    const earlier = await before(push);
    await giveCredentials(push);
    await switchCluster(push, clusterSpec("push", true), "push");
    await clusterIn(push, (cluster) => cluster.spec.clusterId === push.id, "registered: the status channel runs");
    await cpCli("set-mode", `--cluster-id=${push.id}`, "--mode=pull");
    await switchCluster(push, { connectivityMode: "pull" }, "pull");
    await roleBinding(push, false);
    // Revoking the ServiceAccount's token: a new ServiceAccount (another uid) invalidates every token of the old one.
    await push.api.client.delete({ group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true }, CONTROL_PLANE_SERVICE_ACCOUNT, { namespace: OPERATOR_NAMESPACE });
    say(`${push.id}: ServiceAccount ${OPERATOR_NAMESPACE}/${CONTROL_PLANE_SERVICE_ACCOUNT} deleted: its tokens are revoked`);
    await expectUntouched(push, earlier);
    await applyAgain(push, earlier.generation, { writer: "vworkspace-agent", previous: "vworkspace-odoo" });
    await expectUntouched(push, earlier);
    await changeThroughNewMode(push);
    await cpCli("clusters");
  }, STEP_MS * 2);
});

