/**
 * Mode switches with the field-ownership hand-over against the real API server and the reference control
 * plane (docs/connectivity.md#mixed-fleets-and-changing-mode, docs/connectivity.md#field-ownership-hand-over):
 * the job in hand at a switch to push is finished and reported before the poller stops, what the agent
 * wrote passes to `vworkspace-odoo` and the control plane's non-forced apply through its own ServiceAccount
 * succeeds; back in pull, what the control plane pushed passes to `vworkspace-agent` and the next pull job
 * applies it without a conflict. No switch changes a generation. An operator restarted in the middle of a
 * switch finishes the hand-over, and a rename racing a write of the old writer is retried, not lost. Uses
 * the fixed Cluster name of the agent suite: run alone.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Cluster } from "../../../src/api/cluster";
import { APPLICATION_INSTANCE, CLUSTER } from "../../../src/api/groups";
import { CONTROL_PLANE_ROLE_BINDING, CONTROL_PLANE_SERVICE_ACCOUNT, PUSH_FIELD_MANAGER } from "../../../src/api/push-access";
import { clusterController } from "../../../src/controllers/cluster/controller";
import { pushAccessController } from "../../../src/controllers/pushaccess/controller";
import { handOverFieldOwnership, type HandOverClient } from "../../../src/controllers/cluster/handover";
import { handOverPatch } from "../../../src/controllers/cluster/handover-plan";
import { ROLE_BINDING } from "../../../src/controllers/tenant/desired";
import { applyObject } from "../../../src/kube/apply";
import { KubeClient, type Patch, type PatchOptions } from "../../../src/kube/client";
import { resolveKubeConfig } from "../../../src/kube/config";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { createLogger } from "../../../src/observability/logger";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { getIfPresent } from "../../support/objects";
import { installPushAccess, type PushAccess } from "../../support/push-access";
import { applicationInstance, clusterEvents, clusterObject, CLUSTER_NAME, createTokenSecret, getClusterObject, resultOf, startAgent, useAgentSuite, waitForPhase } from "../agent/harness";

const AGENT = "vworkspace-agent";

const ns = useNamespace({ slug: "cluster-handover" });
const suite = useAgentSuite();
let pushAccess: PushAccess | undefined;

afterEach(async () => {
  await pushAccess?.remove();
  pushAccess = undefined;
});

/** The Cluster (pull or push) registered against the plane, with the Cluster and Push access controllers running. */
async function registered(mode: "pull" | "push"): Promise<{ clusterId: string; uid: string }> {
  pushAccess = await installPushAccess(suite.cluster.client, ns.name, { tokenSecret: false });
  const { token } = await suite.plane.admin.createRegistrationToken();
  await createTokenSecret(suite.cluster.client, ns.name, token);
  suite.running = await startAgent(suite.cluster, ns.name, {}, {}, [clusterController, pushAccessController]);
  await suite.cluster.client.create(CLUSTER, clusterObject(suite.plane, { connectivityMode: mode }));
  const connected = await waitForPhase(suite.cluster.client, "Connected");
  return { clusterId: connected.spec.clusterId!, uid: connected.metadata.uid! };
}

/** The control plane as it writes in Push mode: its own ServiceAccount, allowed only by the operator's RoleBinding. */
function controlPlaneClient(): KubeClient {
  const resolved = resolveKubeConfig({ kubeconfigPath: suite.cluster.kubeconfigPath, env: {} });
  return KubeClient.fromKubeConfig({ ...resolved, impersonation: { "Impersonate-User": `system:serviceaccount:${ns.name}:${CONTROL_PLANE_SERVICE_ACCOUNT}` } });
}

/** An instance as the control plane declares it, with the labels every mode puts on it. */
function declared(name: string, value: string, clusterId: string): KubeObject {
  const body = applicationInstance(ns.name, name) as KubeObject;
  const labels = { "app.vworkspace.io/managed-by": "control-plane", "app.vworkspace.io/cluster-id": clusterId };
  return { ...body, metadata: { ...body.metadata, labels }, spec: { ...(body.spec as object), values: { source: "inline", inline: { value } } } };
}

const switchMode = (mode: string) => suite.cluster.client.patch(CLUSTER, CLUSTER_NAME, { type: "merge", body: { spec: { connectivityMode: mode } } });
const instance = (name: string) => suite.cluster.client.get(APPLICATION_INSTANCE, name, { namespace: ns.name });
const binding = () => getIfPresent(suite.cluster.client, ROLE_BINDING, CONTROL_PLANE_ROLE_BINDING, ns.name);
/** `manager/operation` of every managedFields entry, in order. */
const managers = (object: KubeObject) => (object.metadata.managedFields as Array<{ manager: string; operation: string }>).map((entry) => `${entry.manager}/${entry.operation}`);

async function modeInEffect(mode: string): Promise<Cluster> {
  return eventually(async () => {
    const found = await getClusterObject(suite.cluster.client);
    return found?.status?.connectivityMode === mode ? found : undefined;
  }, { what: `status.connectivityMode ${mode}` });
}

async function modeEvents(uid: string): Promise<string[]> {
  return (await clusterEvents(suite.cluster.client, uid)).filter((event) => event.reason === "ConnectivityModeChanged").map((event) => `${event.type}: ${event.note}`);
}

async function ownedBy(name: string, manager: string): Promise<KubeObject> {
  return eventually(async () => {
    const found = await instance(name);
    return managers(found).some((entry) => entry.startsWith(`${manager}/`)) ? found : undefined;
  }, { what: `ApplicationInstance ${name} owned by ${manager}` });
}

describe("field-ownership hand-over", () => {
  test("pull → push: the job in hand finishes and is reported, polling stops, the RoleBinding appears, vworkspace-agent's fields become vworkspace-odoo's and its non-forced apply succeeds", async () => {
    const { clusterId, uid } = await registered("pull");
    const first = await suite.plane.admin.enqueueJob(clusterId, { kind: "apply", payload: declared("web", "a", clusterId) });
    expect((await resultOf(suite.plane, first.id)).outcome).toBe("succeeded");

    // The plane holds the next result for 5 s, so that job is still in the agent's hands when the mode flips.
    await suite.plane.admin.injectFault({ endpoint: "result", clusterId, delayMs: 5_000, count: 1 });
    const inHand = await suite.plane.admin.enqueueJob(clusterId, { kind: "apply", payload: declared("in-hand", "a", clusterId) });
    await eventually(async () => (await suite.plane.admin.job(inHand.id)).state === "acked", { what: "job in hand acknowledged" });
    const later = await suite.plane.admin.enqueueJob(clusterId, { kind: "apply", payload: declared("later", "a", clusterId) });
    expect(await suite.plane.admin.jobResult(inHand.id)).toBeUndefined();
    const before = await Promise.all(["web", "in-hand"].map(instance));
    expect(before.map(managers)).toEqual([[`${AGENT}/Apply`], [`${AGENT}/Apply`]]);
    await switchMode("push");

    expect((await resultOf(suite.plane, inHand.id)).outcome).toBe("succeeded");
    await eventually(binding, { what: "Push RoleBinding" });
    await modeInEffect("push");
    const polls = (await suite.plane.admin.requests(clusterId, "jobs")).length;
    const after = await Promise.all(["web", "in-hand"].map((name) => ownedBy(name, PUSH_FIELD_MANAGER)));
    expect(after.map(managers)).toEqual([[`${PUSH_FIELD_MANAGER}/Apply`], [`${PUSH_FIELD_MANAGER}/Apply`]]);
    expect(after.map((object) => object.metadata.generation)).toEqual(before.map((object) => object.metadata.generation));
    expect(await modeEvents(uid)).toEqual(["Normal: connectivity mode changed from pull to push"]);

    const changed = await applyObject(controlPlaneClient(), APPLICATION_INSTANCE, declared("web", "b", clusterId), { fieldManager: PUSH_FIELD_MANAGER });
    expect((changed.spec as { values: { inline: { value: string } } }).values.inline.value).toBe("b");
    expect(managers(changed)).toEqual([`${PUSH_FIELD_MANAGER}/Apply`]);
    expect(await suite.plane.admin.job(later.id)).toMatchObject({ state: "pending", deliveries: 0 });
    expect((await suite.plane.admin.requests(clusterId, "jobs")).length).toBe(polls);
  });

  test("push → pull: the RoleBinding goes, vworkspace-odoo's fields become vworkspace-agent's, and the next pull apply of the pushed object succeeds without a conflict", async () => {
    const { clusterId, uid } = await registered("push");
    await eventually(binding, { what: "Push RoleBinding" });
    const pushed = await applyObject(controlPlaneClient(), APPLICATION_INSTANCE, declared("pushed", "a", clusterId), { fieldManager: PUSH_FIELD_MANAGER });
    expect(managers(pushed)).toEqual([`${PUSH_FIELD_MANAGER}/Apply`]);

    await switchMode("pull");
    await eventually(async () => (await binding()) === undefined, { what: "Push RoleBinding removed" });
    await modeInEffect("pull");
    const handedOver = await ownedBy("pushed", AGENT);
    expect(managers(handedOver)).toEqual([`${AGENT}/Apply`]);
    expect(handedOver.metadata.generation).toBe(pushed.metadata.generation);
    expect(await modeEvents(uid)).toEqual(["Normal: connectivity mode changed from push to pull"]);

    const job = await suite.plane.admin.enqueueJob(clusterId, { kind: "apply", payload: declared("pushed", "c", clusterId) });
    expect(await resultOf(suite.plane, job.id)).toMatchObject({ outcome: "succeeded" });
    const applied = await instance("pushed");
    expect((applied.spec as { values: { inline: { value: string } } }).values.inline.value).toBe("c");
    expect(managers(applied)).toEqual([`${AGENT}/Apply`]);
  });

  test("a restart in the middle of a switch finishes the hand-over: the spec flipped to push while the operator was down, one object already renamed", async () => {
    const { clusterId, uid } = await registered("pull");
    for (const name of ["one", "two"]) {
      const job = await suite.plane.admin.enqueueJob(clusterId, { kind: "apply", payload: declared(name, "a", clusterId) });
      expect((await resultOf(suite.plane, job.id)).outcome).toBe("succeeded");
    }
    const first = suite.running!;
    suite.running = undefined;
    await first.stop();
    // As a hand-over cut short after its first object leaves it.
    const one = await instance("one");
    await suite.cluster.client.patch(APPLICATION_INSTANCE, "one", { type: "json", ops: handOverPatch(one, { from: AGENT, to: PUSH_FIELD_MANAGER })! }, { namespace: ns.name });
    await switchMode("push");
    const before = await Promise.all(["one", "two"].map(instance));
    expect(before.map(managers)).toEqual([[`${PUSH_FIELD_MANAGER}/Apply`], [`${AGENT}/Apply`]]);

    suite.running = await startAgent(suite.cluster, ns.name, {}, {}, [clusterController, pushAccessController]);
    await modeInEffect("push");
    const after = await Promise.all(["one", "two"].map(instance));
    expect(after.map(managers)).toEqual([[`${PUSH_FIELD_MANAGER}/Apply`], [`${PUSH_FIELD_MANAGER}/Apply`]]);
    expect(after.map((object) => object.metadata.generation)).toEqual(before.map((object) => object.metadata.generation));
    expect(await modeEvents(uid)).toEqual(["Normal: connectivity mode changed from pull to push"]);
  });

  test("an entry the old writer changes between the read and the patch fails the patch's test; the object is read again and all it owns then moves", async () => {
    const created = await applyObject(suite.cluster.client, APPLICATION_INSTANCE, declared("raced", "a", "c-raced"), { fieldManager: AGENT });
    const late = declared("raced", "a", "c-raced");
    late.metadata.annotations = { "example.com/late": "1" };
    const answers: string[] = [];
    const client = suite.cluster.client;
    // The real API server; the old writer's late apply lands just before the hand-over's first patch.
    const racing: HandOverClient = {
      listAll: (type, options) => client.listAll(type, options),
      get: (type, name, options) => client.get(type, name, options),
      patch: async <T extends KubeObject>(type: ResourceType, name: string, patch: Patch, options?: PatchOptions) => {
        if (answers.length === 0) await applyObject(client, APPLICATION_INSTANCE, late, { fieldManager: AGENT });
        try {
          const written = await client.patch<T>(type, name, patch, options);
          answers.push("200");
          return written;
        } catch (err) {
          answers.push(String((err as { status?: number }).status));
          throw err;
        }
      },
    };
    const moved = await handOverFieldOwnership(racing, [ns.name], { from: AGENT, to: PUSH_FIELD_MANAGER }, new AbortController().signal, createLogger({ level: "silent" }));
    expect(moved).toBe(1);
    expect(answers).toEqual(["422", "200"]);
    const after = await instance("raced");
    expect(managers(after)).toEqual([`${PUSH_FIELD_MANAGER}/Apply`]);
    const fields = (after.metadata.managedFields![0] as { fieldsV1: { "f:metadata": Record<string, unknown> } }).fieldsV1["f:metadata"];
    expect(fields["f:annotations"]).toEqual({ "f:example.com/late": {} });
    expect(after.metadata.generation).toBe(created.metadata.generation);
  });
});
