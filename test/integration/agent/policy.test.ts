/**
 * The job write policy against the API server through the real agent and the reference control plane: intents
 * write only their pinned kind, an apiVersion that climbs out of its group is refused before any request,
 * job-written Flux objects run as the namespace's tenant and stay in it, Velero objects name only gated
 * namespaces, BackupStorageLocations need the operator flag, and condition messages leave redacted. Every
 * refusal is checked on the wire (outcome, errorCode) and in the cluster (the object was never written).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE, OPERATION } from "../../../src/api/groups";
import { HELM_RELEASE, HELM_REPOSITORY, OCI_REPOSITORY } from "../../../src/flux/types";
import type { ResourceType } from "../../../src/kube/types";
import { getCluster, type TestCluster } from "../../support/cluster";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { getIfPresent } from "../../support/objects";
import { applicationInstance, deleteClusters, finishAgentTest, registeredAgent, resultOf, type AgentRun } from "./harness";

const ns = useNamespace({ slug: "agent-policy" });
const velero = useNamespace({ slug: "agent-policy-velero", gated: false });
const ungated = useNamespace({ slug: "agent-policy-ungated", gated: false });
let cluster: TestCluster;
let plane: RefControlPlane;
let running: AgentRun | undefined;

const JOB: ResourceType = { group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true };
const RESTORE: ResourceType = { group: "velero.io", version: "v1", kind: "Restore", plural: "restores", namespaced: true };
const SCHEDULE: ResourceType = { group: "velero.io", version: "v1", kind: "Schedule", plural: "schedules", namespaced: true };
const BACKUP_STORAGE_LOCATION: ResourceType = { group: "velero.io", version: "v1", kind: "BackupStorageLocation", plural: "backupstoragelocations", namespaced: true };
const ESCAPING_API_VERSION = "apps.vworkspace.io/v1alpha1/../../ops.vworkspace.io/v1alpha1";

beforeAll(async () => {
  cluster = await getCluster();
  await deleteClusters(cluster.client);
  plane = await startRefControlPlane();
});

afterEach(async () => {
  const finished = running;
  running = undefined;
  await finishAgentTest(cluster, finished);
});

afterAll(async () => {
  await plane.stop();
});

async function startPolicyAgent(allowJobBackupStorageLocations = false): Promise<(kind: string, payload: unknown) => Promise<string>> {
  const agent = await registeredAgent(cluster, plane, ns.name, {}, { veleroNamespace: velero.name, allowJobBackupStorageLocations });
  running = agent.running;
  return async (kind, payload) => (await plane.admin.enqueueJob(agent.clusterId, { kind, payload })).id;
}

async function expectRefused(jobId: string, errorCode: string, type: ResourceType, name: string, namespace: string): Promise<void> {
  expect(await resultOf(plane, jobId)).toMatchObject({ outcome: "failed", errorCode });
  expect(await getIfPresent(cluster.client, type, name, namespace)).toBeUndefined();
}

function batchJob(name: string): Record<string, unknown> {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: ns.name },
    spec: { template: { spec: { restartPolicy: "Never", serviceAccountName: "default", containers: [{ name: "c", image: "busybox:1.36", command: ["true"] }] } } },
  };
}

function helmRelease(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace: ns.name },
    spec: { interval: "5m", chart: { spec: { chart: "demo", sourceRef: { kind: "HelmRepository", name: "charts" } } }, ...spec },
  };
}

function schedule(name: string, template: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name, namespace: velero.name }, spec: { schedule: "0 1 * * *", template } };
}

function backupStorageLocation(name: string): Record<string, unknown> {
  return { apiVersion: "velero.io/v1", kind: "BackupStorageLocation", metadata: { name, namespace: velero.name }, spec: { provider: "aws", objectStorage: { bucket: "elsewhere" } } };
}

describe("intents write only their pinned kind", () => {
  test("a batch/v1 Job or a Velero Restore inside an intent is KindNotAllowed and never written; the pinned kinds still are", async () => {
    const enqueue = await startPolicyAgent();
    const job = await enqueue("intent", { intent: "ensure-application-instance", applicationInstance: batchJob("payload-job") });
    await expectRefused(job, "KindNotAllowed", JOB, "payload-job", ns.name);

    const restoreObject = { apiVersion: "velero.io/v1", kind: "Restore", metadata: { name: "everything", namespace: velero.name }, spec: { backupName: "any" } };
    const restore = await enqueue("intent", { intent: "request-operation", operation: restoreObject });
    await expectRefused(restore, "KindNotAllowed", RESTORE, "everything", velero.name);

    // The right group with another kind, or the right kind in another version, is refused as well.
    const wrongKind = await enqueue("intent", { intent: "ensure-application-instance", applicationInstance: { ...applicationInstance(ns.name, "as-operation"), kind: "Operation", apiVersion: "ops.vworkspace.io/v1alpha1" } });
    await expectRefused(wrongKind, "KindNotAllowed", OPERATION, "as-operation", ns.name);
    const wrongVersion = await enqueue("intent", { intent: "ensure-application-instance", applicationInstance: { ...applicationInstance(ns.name, "other-version"), apiVersion: "apps.vworkspace.io/v1" } });
    await expectRefused(wrongVersion, "KindNotAllowed", APPLICATION_INSTANCE, "other-version", ns.name);

    // Absent type meta is filled with the pinned kind.
    const untyped = applicationInstance(ns.name, "untyped");
    delete untyped.apiVersion;
    delete untyped.kind;
    const filled = await resultOf(plane, await enqueue("intent", { intent: "ensure-application-instance", applicationInstance: untyped }));
    expect(filled).toMatchObject({ outcome: "succeeded", appliedRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "untyped" } });
    await cluster.client.delete(APPLICATION_INSTANCE, "untyped", { namespace: ns.name });
  });
});

describe("apiVersion validation", () => {
  test("an apiVersion with '..' segments is InvalidPayload for apply, delete and intents, and nothing is written or deleted", async () => {
    const enqueue = await startPolicyAgent();
    const operation = { apiVersion: ESCAPING_API_VERSION, kind: "Operation", metadata: { name: "escaped", namespace: ns.name }, spec: { type: "backup", target: { applicationInstance: "x" } } };
    await expectRefused(await enqueue("apply", operation), "InvalidPayload", OPERATION, "escaped", ns.name);
    const instance = { ...applicationInstance(ns.name, "escaped-intent"), apiVersion: ESCAPING_API_VERSION };
    await expectRefused(await enqueue("intent", { intent: "ensure-application-instance", applicationInstance: instance }), "InvalidPayload", APPLICATION_INSTANCE, "escaped-intent", ns.name);
    const operationIntent = { ...operation, metadata: { name: "escaped-operation", namespace: ns.name } };
    await expectRefused(await enqueue("intent", { intent: "request-operation", operation: operationIntent }), "InvalidPayload", OPERATION, "escaped-operation", ns.name);

    // A managed ApplicationInstance survives a delete job aimed at it through the escaping apiVersion.
    expect((await resultOf(plane, await enqueue("apply", applicationInstance(ns.name, "kept")))).outcome).toBe("succeeded");
    const deletion = await enqueue("delete", { apiVersion: ESCAPING_API_VERSION, kind: "ApplicationInstance", name: "kept", namespace: ns.name });
    expect(await resultOf(plane, deletion)).toMatchObject({ outcome: "failed", errorCode: "InvalidPayload" });
    expect(await getIfPresent(cluster.client, APPLICATION_INSTANCE, "kept", ns.name)).toBeDefined();

    // Names and namespaces with path characters never reach a request either.
    const slashName = await enqueue("delete", { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "../kept", namespace: ns.name });
    expect(await resultOf(plane, slashName)).toMatchObject({ outcome: "failed", errorCode: "InvalidPayload" });
    const slashNamespace = await enqueue("intent", { intent: "delete-application-instance", name: "kept", namespace: `${ns.name}/../${ns.name}` });
    expect(await resultOf(plane, slashNamespace)).toMatchObject({ outcome: "failed", errorCode: "InvalidPayload" });
    expect(await getIfPresent(cluster.client, APPLICATION_INSTANCE, "kept", ns.name)).toBeDefined();
    await cluster.client.delete(APPLICATION_INSTANCE, "kept", { namespace: ns.name });
  });
});

describe("Flux field policy", () => {
  test("each forbidden HelmRelease or source field is a ProtectedField and nothing is written; an allowed HelmRelease runs as the tenant", async () => {
    const enqueue = await startPolicyAgent();
    const forbidden: Array<[string, Record<string, unknown>]> = [
      ["other-sa", { serviceAccountName: "default" }],
      ["kubeconfig", { kubeConfig: { secretRef: { name: "remote-cluster" } } }],
      ["target-ns", { targetNamespace: "kube-system" }],
      ["storage-ns", { storageNamespace: "kube-system" }],
      ["source-ns", { chart: { spec: { chart: "demo", sourceRef: { kind: "HelmRepository", name: "charts", namespace: "flux-system" } } } }],
      ["chartref-ns", { chart: undefined, chartRef: { kind: "OCIRepository", name: "chart", namespace: "flux-system" } }],
      ["depends-ns", { dependsOn: [{ name: "base", namespace: "flux-system" }] }],
    ];
    const jobs = await Promise.all(forbidden.map(async ([name, spec]) => [name, await enqueue("apply", helmRelease(name, spec))] as const));
    for (const [name, id] of jobs) await expectRefused(id, "ProtectedField", HELM_RELEASE, name, ns.name);

    const accessFrom = { apiVersion: "source.toolkit.fluxcd.io/v1", kind: "HelmRepository", metadata: { name: "shared", namespace: ns.name }, spec: { url: "https://charts.example.com", interval: "5m", accessFrom: { namespaceSelectors: [{ matchLabels: {} }] } } };
    await expectRefused(await enqueue("apply", accessFrom), "ProtectedField", HELM_REPOSITORY, "shared", ns.name);
    const cloud = { apiVersion: "source.toolkit.fluxcd.io/v1", kind: "OCIRepository", metadata: { name: "cloud", namespace: ns.name }, spec: { url: "oci://registry.example.com/charts/demo", interval: "5m", provider: "aws" } };
    await expectRefused(await enqueue("apply", cloud), "ProtectedField", OCI_REPOSITORY, "cloud", ns.name);

    const allowed = await resultOf(plane, await enqueue("apply", helmRelease("tenant", { targetNamespace: ns.name, storageNamespace: ns.name })));
    expect(allowed.outcome).toBe("succeeded");
    const live = await getIfPresent(cluster.client, HELM_RELEASE, "tenant", ns.name);
    expect((live?.spec as Record<string, unknown> | undefined)?.serviceAccountName).toBe("vworkspace-tenant");
    await cluster.client.delete(HELM_RELEASE, "tenant", { namespace: ns.name });
  });

  test("a HelmRelease's status message reaches the control plane redacted", async () => {
    const enqueue = await startPolicyAgent();
    const id = await enqueue("apply", helmRelease("leaky"));
    expect((await resultOf(plane, id)).outcome).toBe("succeeded");
    const live = await cluster.client.get(HELM_RELEASE, "leaky", { namespace: ns.name });
    const now = new Date().toISOString().replace(/\.\d+Z/, "Z");
    const message = 'install failed: values {"password":"hunter2-value","replicas":2} apiKey=sk-live-0123';
    await cluster.client.patchStatus(HELM_RELEASE, "leaky", {
      type: "merge",
      body: {
        status: {
          observedGeneration: live.metadata.generation,
          conditions: [
            { type: "Ready", status: "False", reason: "InstallFailed", message, lastTransitionTime: now },
            { type: "Stalled", status: "True", reason: "InstallFailed", message, lastTransitionTime: now },
          ],
        },
      },
    }, { namespace: ns.name });
    const failed = await eventually(async () => (await plane.admin.job(id)).statuses.find((status) => status.phase === "Failed"), { what: "Failed status of the HelmRelease job" });
    const sent = JSON.stringify(failed.conditions);
    expect(sent).toContain("install failed");
    expect(sent).toContain("[REDACTED]");
    expect(sent).not.toContain("hunter2-value");
    expect(sent).not.toContain("sk-live-0123");
    await cluster.client.delete(HELM_RELEASE, "leaky", { namespace: ns.name });
  });
});

describe("Velero policy", () => {
  test("Schedules over '*', no list, an ungated namespace or cluster resources are refused; BackupStorageLocations are refused by default", async () => {
    const enqueue = await startPolicyAgent();
    await expectRefused(await enqueue("apply", schedule("all", { includedNamespaces: ["*"] })), "NamespaceNotGated", SCHEDULE, "all", velero.name);
    await expectRefused(await enqueue("apply", schedule("unlisted", { ttl: "24h0m0s" })), "NamespaceNotGated", SCHEDULE, "unlisted", velero.name);
    await expectRefused(await enqueue("apply", schedule("ungated", { includedNamespaces: [ns.name, ungated.name] })), "NamespaceNotGated", SCHEDULE, "ungated", velero.name);
    await expectRefused(await enqueue("apply", schedule("system", { includedNamespaces: ["kube-system"] })), "NamespaceNotGated", SCHEDULE, "system", velero.name);
    await expectRefused(await enqueue("apply", schedule("cluster-wide", { includedNamespaces: [ns.name], includeClusterResources: true })), "ProtectedField", SCHEDULE, "cluster-wide", velero.name);
    await expectRefused(await enqueue("apply", backupStorageLocation("exfiltrate")), "KindNotAllowed", BACKUP_STORAGE_LOCATION, "exfiltrate", velero.name);
    // Deleting one is a write too: a CP-labelled location an admin created survives the job.
    const existing = backupStorageLocation("admin-made");
    await cluster.client.create(BACKUP_STORAGE_LOCATION, { ...existing, metadata: { ...(existing.metadata as object), labels: { "app.vworkspace.io/managed-by": "control-plane" } } } as never);
    const deletion = await enqueue("delete", { apiVersion: "velero.io/v1", kind: "BackupStorageLocation", name: "admin-made", namespace: velero.name });
    expect(await resultOf(plane, deletion)).toMatchObject({ outcome: "failed", errorCode: "KindNotAllowed" });
    expect(await getIfPresent(cluster.client, BACKUP_STORAGE_LOCATION, "admin-made", velero.name)).toBeDefined();

    const gated = await resultOf(plane, await enqueue("apply", schedule("gated", { includedNamespaces: [ns.name] })));
    expect(gated.outcome).toBe("succeeded");
    expect(await getIfPresent(cluster.client, SCHEDULE, "gated", velero.name)).toBeDefined();
    await cluster.client.delete(SCHEDULE, "gated", { namespace: velero.name });
  });

  test("with --allow-job-backup-storage-locations a BackupStorageLocation job is written", async () => {
    const enqueue = await startPolicyAgent(true);
    expect((await resultOf(plane, await enqueue("apply", backupStorageLocation("permitted")))).outcome).toBe("succeeded");
    expect(await getIfPresent(cluster.client, BACKUP_STORAGE_LOCATION, "permitted", velero.name)).toBeDefined();
    await cluster.client.delete(BACKUP_STORAGE_LOCATION, "permitted", { namespace: velero.name });
  });
});
