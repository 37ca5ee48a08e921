/** Gate, cluster identity, placeholder and deletion of ApplicationInstances (api.md §4.5, §4.6, §6.11, §6.12). */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import { HELM_RELEASE, HELM_REPOSITORY, OCI_REPOSITORY, type HelmRelease } from "../../../src/flux/types";
import type { ResourceType } from "../../../src/kube/types";
import { getCluster, type TestCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { GATE_LABEL, useNamespace } from "../../support/namespace";
import { getInstance, getOptional, instance, listEvents, setHelmReleaseStatus, startController, summary, waitForCondition, type Harness } from "./harness";

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const FOREIGN_FINALIZER = "finalizers.fluxcd.io";

const ns = useNamespace({ slug: "ai-lifecycle" });
let cluster: TestCluster;
let harness: Harness | undefined;

beforeAll(async () => {
  cluster = await getCluster();
});

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function setGate(value: string | null): Promise<void> {
  await cluster.client.patch(NAMESPACES, ns.name, { type: "merge", body: { metadata: { labels: { [GATE_LABEL.key]: value } } } });
}

/** helm-controller's finalizer, so the HR outlives its delete request until the test lets it go. */
async function holdHelmRelease(name: string): Promise<void> {
  await cluster.client.patch(HELM_RELEASE, name, { type: "merge", body: { metadata: { finalizers: [FOREIGN_FINALIZER] } } }, { namespace: ns.name });
}

async function releaseHelmRelease(name: string): Promise<void> {
  await cluster.client.patch(HELM_RELEASE, name, { type: "merge", body: { metadata: { finalizers: null } } }, { namespace: ns.name });
}

const gone = (type: ResourceType, name: string) => async () => (await getOptional(cluster.client, type, name, ns.name)) === undefined;

describe("namespace gate and cluster identity", () => {
  test("ungated namespace: Blocked=True/NamespaceNotGated, no finalizer, no child; gating it lets the instance proceed", async () => {
    await setGate(null);
    harness = await startController(cluster, ns.name);
    await cluster.client.create(APPLICATION_INSTANCE, instance(ns.name, "outside"));
    const blocked = await waitForCondition(cluster.client, ns.name, "outside", "Blocked", "True/NamespaceNotGated");
    expect(summary(blocked, "Ready")).toBe("False/NamespaceNotGated");
    expect(blocked.metadata.finalizers ?? []).toEqual([]);
    expect(await getOptional(cluster.client, HELM_RELEASE, "outside", ns.name)).toBeUndefined();
    expect(await getOptional(cluster.client, HELM_REPOSITORY, "outside-source", ns.name)).toBeUndefined();
    expect(harness.calls.callsTo("namespaces").filter((call) => !["get", "list", "watch"].includes(call.verb))).toEqual([]);

    await setGate("vworkspace");
    await waitForCondition(cluster.client, ns.name, "outside", "Blocked", "False/Unblocked");
    expect(await getOptional(cluster.client, HELM_RELEASE, "outside", ns.name)).toBeDefined();
  });

  test("removing the gate label flips a Ready instance to Blocked, leaves the HR untouched, and deletion still completes", async () => {
    harness = await startController(cluster, ns.name);
    await cluster.client.create(APPLICATION_INSTANCE, instance(ns.name, "ungate"));
    await waitForCondition(cluster.client, ns.name, "ungate", "Reconciling", "True/HelmReleaseInstalling");
    await setHelmReleaseStatus(cluster.client, ns.name, "ungate", "current", "Ready=True/InstallSucceeded");
    await waitForCondition(cluster.client, ns.name, "ungate", "Ready", "True/HelmReleaseReady");
    const before = await cluster.client.get<HelmRelease>(HELM_RELEASE, "ungate", { namespace: ns.name });

    await setGate(null);
    await waitForCondition(cluster.client, ns.name, "ungate", "Blocked", "True/NamespaceNotGated");
    const after = await cluster.client.get<HelmRelease>(HELM_RELEASE, "ungate", { namespace: ns.name });
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion!);

    await cluster.client.delete(APPLICATION_INSTANCE, "ungate", { namespace: ns.name });
    await eventually(async () => (await getInstance(cluster.client, ns.name, "ungate")) === undefined, { what: "instance deleted" });
    expect(await getOptional(cluster.client, HELM_RELEASE, "ungate", ns.name)).toBeUndefined();
  });

  test("cluster id a vs label b → ClusterMismatch and nothing created; no label → admitted", async () => {
    harness = await startController(cluster, ns.name, { clusterId: "a" });
    await cluster.client.create(APPLICATION_INSTANCE, instance(ns.name, "foreign", {}, { "app.vworkspace.io/cluster-id": "b" }));
    await cluster.client.create(APPLICATION_INSTANCE, instance(ns.name, "local"));
    const blocked = await waitForCondition(cluster.client, ns.name, "foreign", "Blocked", "True/ClusterMismatch");
    expect(blocked.metadata.finalizers ?? []).toEqual([]);
    expect(await getOptional(cluster.client, HELM_RELEASE, "foreign", ns.name)).toBeUndefined();
    await waitForCondition(cluster.client, ns.name, "local", "Blocked", "False/Unblocked");
    const release = await cluster.client.get<HelmRelease>(HELM_RELEASE, "local", { namespace: ns.name });
    expect(release.metadata.labels?.["app.vworkspace.io/cluster-id"]).toBe("a");
  });
});

describe("placeholder", () => {
  test("Ready=True/Placeholder, no Flux object, stale refs cleared; deletion needs no Flux call", async () => {
    harness = await startController(cluster, ns.name);
    await cluster.client.create(APPLICATION_INSTANCE, { ...instance(ns.name, "empty"), spec: { appRef: { catalogId: "demo" }, mode: "placeholder" } });
    await cluster.client.patchStatus(APPLICATION_INSTANCE, "empty", { type: "merge", body: { status: { endpoints: [{ name: "web", url: "https://x" }] } } }, { namespace: ns.name });
    const ready = await waitForCondition(cluster.client, ns.name, "empty", "Ready", "True/Placeholder");
    expect(summary(ready, "Blocked")).toBe("False/Unblocked");
    await eventually(async () => (await getInstance(cluster.client, ns.name, "empty"))?.status?.endpoints === undefined, { what: "endpoints cleared" });
    const flux = harness.calls.filter((call) => call.resource?.group.endsWith("toolkit.fluxcd.io") === true || call.path.includes("fluxcd.io"));
    expect(flux).toEqual([]);
    await cluster.client.delete(APPLICATION_INSTANCE, "empty", { namespace: ns.name });
    await eventually(async () => (await getInstance(cluster.client, ns.name, "empty")) === undefined, { what: "placeholder deleted" });
    expect(harness.calls.filter((call) => call.path.includes("fluxcd.io"))).toEqual([]);
  });
});

describe("deletion", () => {
  test("the finalizer stays while the HR exists; a suspended HR is resumed after the delete; then sources go", async () => {
    harness = await startController(cluster, ns.name);
    await cluster.client.create(APPLICATION_INSTANCE, instance(ns.name, "bye", { suspend: true }));
    await waitForCondition(cluster.client, ns.name, "bye", "Suspended", "True/ManuallySuspended");
    await holdHelmRelease("bye");

    await cluster.client.delete(APPLICATION_INSTANCE, "bye", { namespace: ns.name });
    const deleting = await waitForCondition(cluster.client, ns.name, "bye", "Deleting", "True/WaitingForChildResources");
    expect(summary(deleting, "Ready")).toBe("False/Deleting");
    const held = await eventually(async () => {
      const release = await cluster.client.get<HelmRelease>(HELM_RELEASE, "bye", { namespace: ns.name });
      return release.metadata.deletionTimestamp && release.spec?.suspend === false ? release : undefined;
    }, { what: "HR deleting and resumed" });
    expect(held.metadata.finalizers).toEqual([FOREIGN_FINALIZER]);
    expect(await getOptional(cluster.client, HELM_REPOSITORY, "bye-source", ns.name)).toBeDefined();
    expect((await getInstance(cluster.client, ns.name, "bye"))?.metadata.finalizers).toContain("apps.vworkspace.io/finalizer");

    await releaseHelmRelease("bye");
    await eventually(async () => (await getInstance(cluster.client, ns.name, "bye")) === undefined, { what: "instance gone after the HR" });
    expect(await gone(HELM_REPOSITORY, "bye-source")()).toBe(true);
    expect(await gone(OCI_REPOSITORY, "bye-source")()).toBe(true);
  });

  test("the uninstall timeout removes the finalizer with one UninstallTimedOut Warning", async () => {
    harness = await startController(cluster, ns.name, { uninstallTimeoutMs: 1_000 });
    await cluster.client.create(APPLICATION_INSTANCE, instance(ns.name, "stuck"));
    await waitForCondition(cluster.client, ns.name, "stuck", "Reconciling", "True/HelmReleaseInstalling");
    await holdHelmRelease("stuck");
    await cluster.client.delete(APPLICATION_INSTANCE, "stuck", { namespace: ns.name });
    await eventually(async () => (await getInstance(cluster.client, ns.name, "stuck")) === undefined, { what: "instance gone after the timeout" });
    const events = await eventually(async () => {
      const found = (await listEvents(cluster.client, ns.name)).filter((event) => event.reason === "UninstallTimedOut");
      return found.length > 0 ? found : undefined;
    }, { what: "UninstallTimedOut Event" });
    expect(events.map((event) => event.type)).toEqual(["Warning"]);
    expect(events[0]?.note).toContain("HelmRelease stuck");
    // The leftover HR keeps its ownerReference for the garbage collector; the test lets it go.
    await releaseHelmRelease("stuck");
    await eventually(gone(HELM_RELEASE, "stuck"), { what: "leftover HR collected" });
  });
});
