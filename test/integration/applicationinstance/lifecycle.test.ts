/** Gate, cluster identity, placeholder and deletion of ApplicationInstances (docs/concepts.md#namespace-gate, docs/concepts.md#cluster-identity, docs/applications.md#placeholder-mode, docs/applications.md#deletion). */
import { describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import { HELM_RELEASE, HELM_REPOSITORY, OCI_REPOSITORY, type HelmRelease } from "../../../src/flux/types";
import type { ApiCall } from "../../../src/kube/api-calls";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { eventually } from "../../support/eventually";
import { GATE_LABEL, useNamespace } from "../../support/namespace";
import { getIfPresent } from "../../support/objects";
import { getInstance, instance, listEvents, setHelmReleaseStatus, summary, waitForCondition, useHarness } from "./harness";

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const FOREIGN_FINALIZER = "finalizers.fluxcd.io";

const ns = useNamespace({ slug: "ai-lifecycle" });
const ai = useHarness(ns);

async function setGate(value: string | null): Promise<void> {
  await ai.client.patch(NAMESPACES, ns.name, { type: "merge", body: { metadata: { labels: { [GATE_LABEL.key]: value } } } });
}

/** Flux's finalizer, so a child outlives its delete request until the test lets it go. */
async function hold(type: ResourceType, name: string): Promise<void> {
  await ai.client.patch(type, name, { type: "merge", body: { metadata: { finalizers: [FOREIGN_FINALIZER] } } }, { namespace: ns.name });
}

async function letGo(type: ResourceType, name: string): Promise<void> {
  await ai.client.patch(type, name, { type: "merge", body: { metadata: { finalizers: null } } }, { namespace: ns.name });
}

const gone = (type: ResourceType, name: string) => async () => (await getIfPresent(ai.client, type, name, ns.name)) === undefined;
const deleting = (type: ResourceType, name: string) => async () => (await getIfPresent<KubeObject>(ai.client, type, name, ns.name))?.metadata.deletionTimestamp !== undefined;

const addresses = (call: ApiCall, type: ResourceType, name: string) => call.resource?.plural === type.plural && call.resource.name === name && !call.resource.subresource;
/** During deletion the controller patches the instance itself (not its status) only to remove its finalizer. */
const isFinalizerRemoval = (call: ApiCall) => call.verb === "patch" && addresses(call, APPLICATION_INSTANCE, "order");

describe("namespace gate and cluster identity", () => {
  test("ungated namespace: Blocked=True/NamespaceNotGated, no finalizer, no child; gating it lets the instance proceed", async () => {
    await setGate(null);
    await ai.start();
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "outside"));
    const blocked = await waitForCondition(ai.client, ns.name, "outside", "Blocked", "True/NamespaceNotGated");
    expect(summary(blocked, "Ready")).toBe("False/NamespaceNotGated");
    expect(blocked.metadata.finalizers ?? []).toEqual([]);
    expect(await getIfPresent(ai.client, HELM_RELEASE, "outside", ns.name)).toBeUndefined();
    expect(await getIfPresent(ai.client, HELM_REPOSITORY, "outside-source", ns.name)).toBeUndefined();
    expect(ai.harness.calls.callsTo("namespaces").filter((call) => !["get", "list", "watch"].includes(call.verb))).toEqual([]);

    await setGate("vworkspace");
    await waitForCondition(ai.client, ns.name, "outside", "Blocked", "False/Unblocked");
    expect(await getIfPresent(ai.client, HELM_RELEASE, "outside", ns.name)).toBeDefined();
  });

  test("removing the gate label flips a Ready instance to Blocked, leaves the HR untouched, and deletion still completes", async () => {
    await ai.start();
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "ungate"));
    await waitForCondition(ai.client, ns.name, "ungate", "Reconciling", "True/HelmReleaseInstalling");
    await setHelmReleaseStatus(ai.client, ns.name, "ungate", "current", "Ready=True/InstallSucceeded");
    await waitForCondition(ai.client, ns.name, "ungate", "Ready", "True/HelmReleaseReady");
    const before = await ai.client.get<HelmRelease>(HELM_RELEASE, "ungate", { namespace: ns.name });

    await setGate(null);
    await waitForCondition(ai.client, ns.name, "ungate", "Blocked", "True/NamespaceNotGated");
    const after = await ai.client.get<HelmRelease>(HELM_RELEASE, "ungate", { namespace: ns.name });
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion!);

    await ai.client.delete(APPLICATION_INSTANCE, "ungate", { namespace: ns.name });
    await eventually(async () => (await getInstance(ai.client, ns.name, "ungate")) === undefined, { what: "instance deleted" });
    expect(await getIfPresent(ai.client, HELM_RELEASE, "ungate", ns.name)).toBeUndefined();
  });

  test("cluster id a vs label b → ClusterMismatch and nothing created; no label → admitted", async () => {
    await ai.start({ clusterId: "a" });
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "foreign", {}, { "app.vworkspace.io/cluster-id": "b" }));
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "local"));
    const blocked = await waitForCondition(ai.client, ns.name, "foreign", "Blocked", "True/ClusterMismatch");
    expect(blocked.metadata.finalizers ?? []).toEqual([]);
    expect(await getIfPresent(ai.client, HELM_RELEASE, "foreign", ns.name)).toBeUndefined();
    await waitForCondition(ai.client, ns.name, "local", "Blocked", "False/Unblocked");
    const release = await ai.client.get<HelmRelease>(HELM_RELEASE, "local", { namespace: ns.name });
    expect(release.metadata.labels?.["app.vworkspace.io/cluster-id"]).toBe("a");
  });
});

describe("placeholder", () => {
  test("Ready=True/Placeholder, no Flux object, stale refs cleared; deletion needs no Flux call", async () => {
    await ai.start();
    await ai.client.create(APPLICATION_INSTANCE, { ...instance(ns.name, "empty"), spec: { appRef: { catalogId: "demo" }, mode: "placeholder" } });
    await ai.client.patchStatus(APPLICATION_INSTANCE, "empty", { type: "merge", body: { status: { endpoints: [{ name: "web", url: "https://x" }] } } }, { namespace: ns.name });
    const ready = await waitForCondition(ai.client, ns.name, "empty", "Ready", "True/Placeholder");
    expect(summary(ready, "Blocked")).toBe("False/Unblocked");
    await eventually(async () => (await getInstance(ai.client, ns.name, "empty"))?.status?.endpoints === undefined, { what: "endpoints cleared" });
    const flux = ai.harness.calls.filter((call) => call.resource?.group.endsWith("toolkit.fluxcd.io") === true || call.path.includes("fluxcd.io"));
    expect(flux).toEqual([]);
    await ai.client.delete(APPLICATION_INSTANCE, "empty", { namespace: ns.name });
    await eventually(async () => (await getInstance(ai.client, ns.name, "empty")) === undefined, { what: "placeholder deleted" });
    expect(ai.harness.calls.filter((call) => call.path.includes("fluxcd.io"))).toEqual([]);
  });
});

describe("deletion", () => {
  test("the finalizer stays while the HR exists; a suspended HR is resumed after the delete; then sources go", async () => {
    await ai.start();
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "bye", { suspend: true }));
    await waitForCondition(ai.client, ns.name, "bye", "Suspended", "True/ManuallySuspended");
    await hold(HELM_RELEASE, "bye");

    await ai.client.delete(APPLICATION_INSTANCE, "bye", { namespace: ns.name });
    const deleting = await waitForCondition(ai.client, ns.name, "bye", "Deleting", "True/WaitingForChildResources");
    expect(summary(deleting, "Ready")).toBe("False/Deleting");
    const held = await eventually(async () => {
      const release = await ai.client.get<HelmRelease>(HELM_RELEASE, "bye", { namespace: ns.name });
      return release.metadata.deletionTimestamp && release.spec?.suspend === false ? release : undefined;
    }, { what: "HR deleting and resumed" });
    expect(held.metadata.finalizers).toEqual([FOREIGN_FINALIZER]);
    expect(await getIfPresent(ai.client, HELM_REPOSITORY, "bye-source", ns.name)).toBeDefined();
    expect((await getInstance(ai.client, ns.name, "bye"))?.metadata.finalizers).toContain("apps.vworkspace.io/finalizer");

    await letGo(HELM_RELEASE, "bye");
    await eventually(async () => (await getInstance(ai.client, ns.name, "bye")) === undefined, { what: "instance gone after the HR" });
    expect(await gone(HELM_REPOSITORY, "bye-source")()).toBe(true);
    expect(await gone(OCI_REPOSITORY, "bye-source")()).toBe(true);
  });

  test("the uninstall timeout removes the finalizer with one UninstallTimedOut Warning", async () => {
    await ai.start({ uninstallTimeoutMs: 1_000 });
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "stuck"));
    await waitForCondition(ai.client, ns.name, "stuck", "Reconciling", "True/HelmReleaseInstalling");
    await hold(HELM_RELEASE, "stuck");
    await ai.client.delete(APPLICATION_INSTANCE, "stuck", { namespace: ns.name });
    await eventually(async () => (await getInstance(ai.client, ns.name, "stuck")) === undefined, { what: "instance gone after the timeout" });
    const events = await eventually(async () => {
      const found = (await listEvents(ai.client, ns.name)).filter((event) => event.reason === "UninstallTimedOut");
      return found.length > 0 ? found : undefined;
    }, { what: "UninstallTimedOut Event" });
    expect(events.map((event) => event.type)).toEqual(["Warning"]);
    expect(events[0]?.note).toContain("HelmRelease stuck");
    // The leftover HR keeps its ownerReference for the garbage collector; the test lets it go.
    await letGo(HELM_RELEASE, "stuck");
    await eventually(gone(HELM_RELEASE, "stuck"), { what: "leftover HR collected" });
  });

  test("recorded calls: HR deleted, seen gone (404), then sources deleted and seen gone, and only then the finalizer removed", async () => {
    await ai.start();
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "order"));
    await waitForCondition(ai.client, ns.name, "order", "Reconciling", "True/HelmReleaseInstalling");
    await hold(HELM_RELEASE, "order");
    await hold(HELM_REPOSITORY, "order-source");
    ai.harness.calls.clear();

    await ai.client.delete(APPLICATION_INSTANCE, "order", { namespace: ns.name });
    await eventually(deleting(HELM_RELEASE, "order"), { what: "HR deletion requested" });
    await waitForCondition(ai.client, ns.name, "order", "Deleting", "True/WaitingForChildResources");
    expect(await deleting(HELM_REPOSITORY, "order-source")()).toBe(false);
    expect(ai.harness.calls.filter(isFinalizerRemoval)).toEqual([]);

    await letGo(HELM_RELEASE, "order");
    await eventually(deleting(HELM_REPOSITORY, "order-source"), { what: "source deletion requested after the HR is gone" });
    expect(ai.harness.calls.filter(isFinalizerRemoval)).toEqual([]);
    expect((await getInstance(ai.client, ns.name, "order"))?.metadata.finalizers).toContain("apps.vworkspace.io/finalizer");

    await letGo(HELM_REPOSITORY, "order-source");
    await eventually(async () => (await getInstance(ai.client, ns.name, "order")) === undefined, { what: "instance gone after its children" });
    const calls = ai.harness.calls.calls;
    const removal = calls.findIndex(isFinalizerRemoval);
    const before = calls.slice(0, removal);
    const first = (verb: ApiCall["verb"], type: ResourceType, name: string) => before.findIndex((call) => call.verb === verb && addresses(call, type, name));
    const lastGet = (type: ResourceType, name: string) => before.findLast((call) => call.verb === "get" && addresses(call, type, name));
    expect(removal).toBeGreaterThan(-1);
    expect(first("delete", HELM_RELEASE, "order")).toBeGreaterThan(-1);
    expect(first("delete", HELM_REPOSITORY, "order-source")).toBeGreaterThan(first("delete", HELM_RELEASE, "order"));
    expect(first("delete", HELM_REPOSITORY, "order-source")).toBeGreaterThan(before.findIndex((call) => call.verb === "get" && addresses(call, HELM_RELEASE, "order") && call.code === 404));
    for (const [type, name] of [[HELM_RELEASE, "order"], [HELM_REPOSITORY, "order-source"], [OCI_REPOSITORY, "order-source"]] as const) {
      expect(`${type.kind} ${name}: ${lastGet(type, name)?.code}`).toBe(`${type.kind} ${name}: 404`);
    }
    expect(calls.slice(removal + 1).filter((call) => call.verb !== "get" && call.verb !== "list")).toEqual([]);
  });
});
