/**
 * The job pipeline against the reference control plane and the API server (docs/connectivity.md#job-pipeline, docs/connectivity.md#write-rules, docs/connectivity.md#results-and-progress): every
 * job kind and intent, the write rules, real SSA conflicts, expiry, idempotency and replay, progress, the
 * order kept while one answer's jobs overlap, and a graceful stop that finishes the job in hand.
 */
import { describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE, CLUSTER } from "../../../src/api/groups";
import { CONFIG_MAP } from "../../../src/agent/jobs/ledger-store";
import { classifyError } from "../../../src/kube/errors";
import type { KubeObject } from "../../../src/kube/types";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { applicationInstance, CLUSTER_NAME, configMap, getClusterObject, registeredAgent, resultOf, startAgent, useAgentSuite } from "./harness";

const ns = useNamespace({ slug: "agent-jobs" });
const ungated = useNamespace({ slug: "agent-jobs-ungated", gated: false });
const suite = useAgentSuite();

async function exists(type: typeof CONFIG_MAP, name: string, namespace?: string): Promise<KubeObject | undefined> {
  try {
    return await suite.cluster.client.get(type, name, namespace ? { namespace } : {});
  } catch (err) {
    if (classifyError(err) === "notFound") return undefined;
    throw err;
  }
}

describe("job pipeline", () => {
  test("apply, delete and every intent; write rules refuse what they must", async () => {
    const agent = await registeredAgent(suite.cluster, suite.plane, ns.name);
    suite.running = agent.running;
    const enqueue = async (kind: string, payload: unknown, extra: Record<string, unknown> = {}) => (await suite.plane.admin.enqueueJob(agent.clusterId, { kind, payload, ...extra })).id;

    // apply of a ConfigMap: written with the CP labels by vworkspace-agent, result after the write.
    const applied = await enqueue("apply", configMap(ns.name, "settings", { a: "1" }), { idempotencyKey: "configmap/settings@1" });
    const appliedResult = await resultOf(suite.plane, applied);
    expect(appliedResult.outcome).toBe("succeeded");
    const written = await exists(CONFIG_MAP, "settings", ns.name);
    expect(written?.metadata.labels?.["app.vworkspace.io/managed-by"]).toBe("control-plane");
    expect(written?.metadata.labels?.["app.vworkspace.io/cluster-id"]).toBe(agent.clusterId);
    expect(appliedResult.appliedRef?.uid).toBe(written!.metadata.uid!);

    // The same idempotency key again: noop without error.
    const repeated = await resultOf(suite.plane, await enqueue("apply", configMap(ns.name, "settings", { a: "2" }), { idempotencyKey: "configmap/settings@1" }));
    expect(repeated.outcome).toBe("noop");
    expect(repeated.error).toBeUndefined();
    expect(((await exists(CONFIG_MAP, "settings", ns.name)) as { data?: Record<string, string> }).data?.a).toBe("1");

    // Expired: noop with error exactly "expired", nothing written.
    const expired = await resultOf(suite.plane, await enqueue("apply", configMap(ns.name, "late", { a: "1" }), { expiresAt: new Date(Date.now() - 60_000).toISOString() }));
    expect(expired).toMatchObject({ outcome: "noop", error: "expired", errorCode: "JobExpired" });
    expect(await exists(CONFIG_MAP, "late", ns.name)).toBeUndefined();

    // Disallowed kind, ungated and missing namespaces, unmanaged existing object.
    const secret = await resultOf(suite.plane, await enqueue("apply", { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: ns.name }, data: {} }));
    expect(secret).toMatchObject({ outcome: "failed", errorCode: "KindNotAllowed" });
    const notGated = await resultOf(suite.plane, await enqueue("apply", configMap(ungated.name, "x", { a: "1" })));
    expect(notGated).toMatchObject({ outcome: "failed", errorCode: "NamespaceNotGated" });
    const missingNs = `t-missing-${Date.now().toString(36)}`;
    const missing = await resultOf(suite.plane, await enqueue("apply", configMap(missingNs, "x", { a: "1" })));
    expect(missing).toMatchObject({ outcome: "failed", errorCode: "NamespaceNotFound" });
    expect(await exists({ group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false }, missingNs)).toBeUndefined();
    await suite.cluster.client.create(CONFIG_MAP, configMap(ns.name, "local", { a: "1" }) as KubeObject);
    const unmanaged = await resultOf(suite.plane, await enqueue("apply", configMap(ns.name, "local", { a: "2" })));
    expect(unmanaged).toMatchObject({ outcome: "failed", errorCode: "NotManaged" });

    // A real field-manager conflict: another manager owns data.a with a different value.
    await suite.cluster.client.patch(CONFIG_MAP, "settings", { type: "apply", body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: ns.name }, data: { a: "other" } } }, { namespace: ns.name, fieldManager: "someone-else", force: true });
    const conflict = await resultOf(suite.plane, await enqueue("apply", configMap(ns.name, "settings", { a: "3" })));
    expect(conflict.outcome).toBe("conflict");
    expect(conflict.errorCode).toBe("FieldManagerConflict");
    expect(conflict.conflicts?.[0]?.manager).toBe("someone-else");
    expect(((await exists(CONFIG_MAP, "settings", ns.name)) as { data?: Record<string, string> }).data?.a).toBe("other");

    // Cluster guard.
    const protectedField = await resultOf(suite.plane, await enqueue("apply", { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: CLUSTER_NAME }, spec: { security: { payloadSigning: { mode: "disabled" } } } }));
    expect(protectedField).toMatchObject({ outcome: "failed", errorCode: "ProtectedField" });
    const interval = await resultOf(suite.plane, await enqueue("apply", { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: CLUSTER_NAME }, spec: { heartbeatIntervalSeconds: 45 } }));
    expect(interval.outcome).toBe("succeeded");
    expect((await getClusterObject(suite.cluster.client))?.spec.heartbeatIntervalSeconds).toBe(45);
    const deleteCluster = await resultOf(suite.plane, await enqueue("delete", { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", name: CLUSTER_NAME, namespace: "" }));
    expect(deleteCluster).toMatchObject({ outcome: "failed", errorCode: "ProtectedField" });
    expect(await exists(CLUSTER, CLUSTER_NAME)).toBeDefined();

    // Intents.
    const ensured = await resultOf(suite.plane, await enqueue("intent", { intent: "ensure-application-instance", applicationInstance: applicationInstance(ns.name, "shop") }));
    expect(ensured.outcome).toBe("succeeded");
    expect(ensured.appliedRef).toMatchObject({ kind: "ApplicationInstance", name: "shop", namespace: ns.name });
    const instance = await exists(APPLICATION_INSTANCE, "shop", ns.name);
    expect(instance?.metadata.managedFields?.some((entry) => (entry as { manager?: string }).manager === "vworkspace-agent")).toBe(true);
    const operation = await resultOf(suite.plane, await enqueue("intent", { intent: "request-operation", operation: { metadata: { name: "backup-1", namespace: ns.name }, spec: { type: "backup", target: { applicationInstance: "shop" } } } }));
    expect(["succeeded", "failed"]).toContain(operation.outcome);
    if (operation.outcome === "failed") expect(operation.errorCode).toBe("ApplyFailed");
    const removed = await resultOf(suite.plane, await enqueue("intent", { intent: "delete-application-instance", name: "shop", namespace: ns.name }));
    expect(removed.outcome).toBe("succeeded");
    const gone = await resultOf(suite.plane, await enqueue("intent", { intent: "delete-application-instance", name: "never-existed", namespace: ns.name }));
    expect(gone.outcome).toBe("succeeded");
    expect(gone.appliedRef).toMatchObject({ name: "never-existed", namespace: ns.name });
    const unknownIntent = await resultOf(suite.plane, await enqueue("intent", { intent: "launch-rockets" }));
    expect(unknownIntent).toMatchObject({ outcome: "failed", errorCode: "UnsupportedIntent", error: 'UnsupportedIntent: unsupported intent "launch-rockets"' });
    const missingNamespace = await resultOf(suite.plane, await enqueue("intent", { intent: "delete-application-instance", name: "x" }));
    expect(missingNamespace).toMatchObject({ outcome: "failed", errorCode: "InvalidPayload" });

    // Delete of the managed ConfigMap; NotFound is success.
    const deleted = await resultOf(suite.plane, await enqueue("delete", { apiVersion: "v1", kind: "ConfigMap", name: "late", namespace: ns.name }));
    expect(deleted.outcome).toBe("succeeded");

    // Replay of a completed job id is answered noop/JobReplayed without a write (the plane redelivers an id).
    const replayed = await suite.plane.admin.enqueueJob(agent.clusterId, { kind: "apply", payload: configMap(ns.name, "replay", { a: "1" }), id: `replay-${Date.now()}` });
    expect((await resultOf(suite.plane, replayed.id)).outcome).toBe("succeeded");
    await suite.cluster.client.delete(CONFIG_MAP, "replay", { namespace: ns.name });
    const ledger = await eventually(async () => {
      const stored = (await exists(CONFIG_MAP, "vworkspace-applied-jobs", ns.name)) as { data?: Record<string, string> } | undefined;
      return stored?.data?.["processed-jobs.json"]?.includes(replayed.id) ? stored : undefined;
    }, { what: "ledger records the job" });
    expect(JSON.parse(ledger.data!["processed-jobs.json"]!)[replayed.id].state).toBe("done");
    expect(JSON.parse(ledger.data!["applied-keys.json"]!)["configmap/settings@1"]).toBeTruthy();
  });

  test("a succeeded ApplicationInstance job reports progress until Ready", async () => {
    const agent = await registeredAgent(suite.cluster, suite.plane, ns.name);
    suite.running = agent.running;
    const { id } = await suite.plane.admin.enqueueJob(agent.clusterId, { kind: "apply", payload: applicationInstance(ns.name, "web") });
    expect((await resultOf(suite.plane, id)).outcome).toBe("succeeded");
    await eventually(async () => (await suite.plane.admin.job(id)).statuses.some((status) => status.phase === "Progressing"), { what: "Progressing status" });
    // No ApplicationInstance controller runs here: write the Ready state the controller would.
    const live = await suite.cluster.client.get(APPLICATION_INSTANCE, "web", { namespace: ns.name });
    await suite.cluster.client.patchStatus(APPLICATION_INSTANCE, "web", {
      type: "merge",
      body: { status: { observedGeneration: live.metadata.generation, conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "ok", lastTransitionTime: new Date().toISOString().replace(/\.\d+Z/, "Z") }] } },
    }, { namespace: ns.name });
    const record = await eventually(async () => {
      const found = await suite.plane.admin.job(id);
      return found.statuses.some((status) => status.phase === "Ready") ? found : undefined;
    }, { what: "Ready status" });
    expect(record.statuses.map((status) => status.phase)).toEqual(["Progressing", "Ready"]);
    await suite.cluster.client.delete(APPLICATION_INSTANCE, "web", { namespace: ns.name });
  });
});

describe("overlapped jobs of one answer", () => {
  test("writes of one object land in the order sent while other objects' jobs overlap them", async () => {
    const agent = await registeredAgent(suite.cluster, suite.plane, ns.name);
    // Queued while no agent polls, so they arrive in one answer.
    await agent.running.stop();
    const enqueue = async (kind: string, payload: unknown, extra: Record<string, unknown> = {}) => (await suite.plane.admin.enqueueJob(agent.clusterId, { kind, payload, ...extra })).id;
    const removeKept = { apiVersion: "v1", kind: "ConfigMap", name: "kept", namespace: ns.name };
    const removeDropped = { apiVersion: "v1", kind: "ConfigMap", name: "dropped", namespace: ns.name };
    const ids: string[] = [];
    for (let round = 1; round <= 4; round++) {
      ids.push(await enqueue("apply", configMap(ns.name, "kept", { round: String(round) })));
      ids.push(await enqueue("apply", configMap(ns.name, `other-${round}`, { a: "1" })));
      ids.push(await enqueue("apply", configMap(ns.name, "dropped", { round: String(round) })));
      if (round < 4) ids.push(await enqueue("delete", removeKept));
      ids.push(await enqueue("delete", removeDropped));
    }
    // The same idempotency key on two objects: the second job sees the first one's key and writes nothing.
    ids.push(await enqueue("apply", configMap(ns.name, "keyed-first", { a: "1" }), { idempotencyKey: "overlap/keyed" }));
    const keyedSecond = await enqueue("apply", configMap(ns.name, "keyed-second", { a: "1" }), { idempotencyKey: "overlap/keyed" });

    suite.running = await startAgent(suite.cluster, ns.name, { jobConcurrency: 8 });
    for (const id of ids) expect((await resultOf(suite.plane, id)).outcome).toBe("succeeded");
    expect(await resultOf(suite.plane, keyedSecond)).toMatchObject({ outcome: "noop" });
    expect(((await exists(CONFIG_MAP, "kept", ns.name)) as { data?: Record<string, string> } | undefined)?.data).toEqual({ round: "4" });
    expect(await exists(CONFIG_MAP, "dropped", ns.name)).toBeUndefined();
    expect(await exists(CONFIG_MAP, "keyed-second", ns.name)).toBeUndefined();
    expect(await exists(CONFIG_MAP, "other-4", ns.name)).toBeDefined();
  });
});

describe("graceful shutdown", () => {
  test("stopping while a job is in hand still writes it and posts its result; the next job is left for redelivery", async () => {
    const agent = await registeredAgent(suite.cluster, suite.plane, ns.name);
    suite.running = agent.running;
    // The plane holds the first result for 5 s, so the job is still in the agent's hands when the stop begins.
    await suite.plane.admin.injectFault({ endpoint: "result", clusterId: agent.clusterId, delayMs: 5_000, count: 1 });
    const inHand = await suite.plane.admin.enqueueJob(agent.clusterId, { kind: "apply", payload: configMap(ns.name, "in-hand", { a: "1" }) });
    await eventually(async () => (await suite.plane.admin.job(inHand.id)).state === "acked", { what: "job in hand acknowledged" });
    const waiting = await suite.plane.admin.enqueueJob(agent.clusterId, { kind: "apply", payload: configMap(ns.name, "waiting", { a: "1" }) });
    expect(await suite.plane.admin.jobResult(inHand.id)).toBeUndefined();

    await suite.running.stop();
    expect((await suite.plane.admin.jobResult(inHand.id))?.outcome).toBe("succeeded");
    expect(await exists(CONFIG_MAP, "in-hand", ns.name)).toBeDefined();
    expect(await suite.plane.admin.job(waiting.id)).toMatchObject({ state: "pending", deliveries: 0 });
    expect(await exists(CONFIG_MAP, "waiting", ns.name)).toBeUndefined();
  });
});
