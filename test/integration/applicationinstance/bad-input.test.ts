/**
 * Bad input of issue 3 on the real API server: a missing values Secret, a chart source deleted by hand,
 * Flux objects another owner controls, a HelmRelease stripped of its ownership by hand. Each ends in a
 * clear condition, the controller goes quiet afterwards, and nothing it does not own is written or deleted.
 */
import { describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import { HELM_RELEASE, HELM_REPOSITORY, OCI_REPOSITORY, type HelmRelease } from "../../../src/flux/types";
import { isWrite, type ApiCall } from "../../../src/kube/api-calls";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { eventually } from "../../support/eventually";
import { metricSum } from "../../support/metrics";
import { useNamespace } from "../../support/namespace";
import { getIfPresent } from "../../support/objects";
import { condition, getInstance, instance, listEvents, setHelmReleaseStatus, summary, waitForCondition, useHarness } from "./harness";

const CONFIG_MAPS: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const SECRETS: ResourceType = { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true };
/** A quiet window: long enough for a hot requeue loop to show, far shorter than the 10 min resync. */
const QUIET_WINDOW_MS = 3_000;

const ns = useNamespace({ slug: "ai-bad-input" });
const ai = useHarness(ns);

/** Reconcile passes and status writes during a quiet window; a hot requeue loop would make them grow without bound. */
async function workWhileQuiet(): Promise<{ passes: number; statusWrites: number }> {
  const metricsUrl = ai.harness.running.operator.metricsUrl!;
  const read = async () => ({
    passes: await metricSum(metricsUrl, "vworkspace_operator_reconcile_total"),
    statusWrites: await metricSum(metricsUrl, "vworkspace_operator_status_writes_total"),
  });
  // Events the test itself just caused (a watch event still in flight on a loaded machine) are let through
  // first: the count must hold still for a second, at most 15 s; a hot loop never holds still and still shows.
  let settled = await read();
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    await Bun.sleep(1_000);
    const now = await read();
    if (now.passes === settled.passes) break;
    settled = now;
  }
  const before = await read();
  await Bun.sleep(QUIET_WINDOW_MS);
  const after = await read();
  return { passes: after.passes - before.passes, statusWrites: after.statusWrites - before.statusWrites };
}

/** Starts the operator (no resync inside a test) and creates `name` with its values from Secret `<name>-values`. */
async function startWithSecretValues(name: string): Promise<void> {
  await ai.start({ resyncPeriodMs: 3_600_000 });
  const values = { source: "secretRef", secretRef: { name: `${name}-values`, key: "values.yaml" } };
  await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, name, { values }));
}

/** Plays helm-controller failing to compose values (ValuesError: stamped with g, og not advanced), with its own message. */
async function simulateValuesError(name: string, message: string): Promise<void> {
  const { metadata } = await ai.client.get<HelmRelease>(HELM_RELEASE, name, { namespace: ns.name });
  const stamp = { lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"), observedGeneration: metadata.generation };
  const conditions = [
    { type: "Reconciling", status: "True", reason: "Progressing", message: "Fulfilling prerequisites", ...stamp },
    { type: "Ready", status: "False", reason: "ValuesError", message, ...stamp },
  ];
  await ai.client.patchStatus(HELM_RELEASE, name, { type: "merge", body: { status: { conditions } } }, { namespace: ns.name });
}

/** Successful writes (not refused ones) to one object. */
const writesTo = (type: ResourceType, name: string) => (call: ApiCall) =>
  isWrite(call) && call.resource?.plural === type.plural && call.resource.name === name && typeof call.code === "number" && call.code < 300;

const identity = (object: KubeObject | undefined) => object && { uid: object.metadata.uid, resourceVersion: object.metadata.resourceVersion };

describe("bad input", () => {
  test("a missing values Secret: valuesFrom is still written, Flux's ValuesError is passed through with one Warning, then quiet", async () => {
    await startWithSecretValues("absent");
    await waitForCondition(ai.client, ns.name, "absent", "Ready", "Unknown/Reconciling");
    const release = await ai.client.get<HelmRelease>(HELM_RELEASE, "absent", { namespace: ns.name });
    expect(release.spec?.valuesFrom).toEqual([{ kind: "Secret", name: "absent-values", valuesKey: "values.yaml" }]);

    const flux = `could not resolve Secret chart values reference '${ns.name}/absent-values' with key 'values.yaml': secrets "absent-values" not found`;
    await simulateValuesError("absent", flux);
    const failed = await waitForCondition(ai.client, ns.name, "absent", "Ready", "False/ValuesError");
    expect(condition(failed, "Ready")?.message).toBe(flux);
    expect(summary(failed, "Reconciling")).toBe("True/Progressing");
    expect(summary(failed, "Blocked")).toBe("False/Unblocked");
    const warnings = await eventually(async () => {
      const found = (await listEvents(ai.client, ns.name)).filter((event) => event.regarding.name === "absent" && event.reason === "ValuesError");
      return found.length > 0 ? found : undefined;
    }, { what: "ValuesError Event" });
    expect(warnings.map((event) => `${event.type} ${event.note}`)).toEqual([`Warning Ready=False: ${flux}`]);

    const quiet = await workWhileQuiet();
    expect(quiet.statusWrites).toBe(0);
    expect(quiet.passes).toBeLessThanOrEqual(1);

    // Creating the Secret is helm-controller's business; the operator follows its verdict and still never reads it.
    await ai.client.create(SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name: "absent-values", namespace: ns.name }, stringData: { "values.yaml": "value: b" } } as KubeObject);
    await setHelmReleaseStatus(ai.client, ns.name, "absent", "current", "Ready=True/InstallSucceeded");
    await waitForCondition(ai.client, ns.name, "absent", "Ready", "True/HelmReleaseReady");
    expect(ai.harness.calls.callsTo("secrets")).toEqual([]);
  });

  test("a chart source deleted by hand is re-created as it was, without re-applying the HelmRelease, then quiet", async () => {
    await ai.start({ resyncPeriodMs: 3_600_000 });
    await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "resource"));
    await waitForCondition(ai.client, ns.name, "resource", "Ready", "Unknown/Reconciling");
    const original = await ai.client.get(HELM_REPOSITORY, "resource-source", { namespace: ns.name });
    const releaseApplies = () => ai.harness.calls.callsTo("helmreleases", ["apply"]).length;
    const appliesBefore = releaseApplies();
    const sourceApplies = () => ai.harness.calls.callsTo("helmrepositories", ["apply"]).length;
    const sourceAppliesBefore = sourceApplies();

    await ai.client.delete(HELM_REPOSITORY, "resource-source", { namespace: ns.name });
    const recreated = await eventually(async () => {
      const current = await getIfPresent(ai.client, HELM_REPOSITORY, "resource-source", ns.name);
      return current && current.metadata.uid !== original.metadata.uid ? current : undefined;
    }, { what: "HelmRepository re-created" });
    expect(recreated.metadata.ownerReferences).toEqual(original.metadata.ownerReferences!);
    expect(recreated.metadata.labels).toEqual(original.metadata.labels!);
    expect(recreated.spec).toEqual(original.spec);
    expect(releaseApplies()).toBe(appliesBefore);
    // The API server answers the test's GET before the operator's apply call has returned and been recorded.
    await eventually(() => sourceApplies() > sourceAppliesBefore, { what: "the re-creating apply recorded" });

    const quiet = await workWhileQuiet();
    expect(quiet.passes).toBeLessThanOrEqual(1);
    expect(sourceApplies()).toBe(sourceAppliesBefore + 1);
    expect(summary(await getInstance(ai.client, ns.name, "resource"), "Ready")).toBe("Unknown/Reconciling");
  });

  test("a HelmRelease another object controls is never rewritten or deleted; the refused apply is reported and retried with backoff", async () => {
    const owner = await ai.client.create<KubeObject>(CONFIG_MAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "claimed-owner", namespace: ns.name } });
    const foreign = await ai.client.create<HelmRelease>(HELM_RELEASE, {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: {
        name: "claimed",
        namespace: ns.name,
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "claimed-owner", uid: owner.metadata.uid!, controller: true }],
      },
      spec: {
        interval: "1m0s",
        chart: { spec: { chart: "theirs", version: "2.0.0", sourceRef: { kind: "HelmRepository", name: "theirs" } } },
        values: { team: "theirs" },
      },
    }, { fieldManager: "another-controller" });
    await startWithSecretValues("claimed");

    const refused = await waitForCondition(ai.client, ns.name, "claimed", "Ready", "False/HelmReleaseFailed");
    expect(condition(refused, "Ready")?.message).toBe(`HelmRelease claimed is controlled by ConfigMap claimed-owner (uid ${owner.metadata.uid}), not by this instance; it is left untouched`);
    expect(summary(refused, "Blocked")).toBe("False/Unblocked");
    await eventually(async () => (await listEvents(ai.client, ns.name)).some((event) => event.reason === "HelmReleaseFailed" && event.type === "Warning"), { what: "HelmReleaseFailed Warning" });
    const quiet = await workWhileQuiet();
    expect(quiet.statusWrites).toBe(0);
    // Retries back off from 1 s: a few fit in the window, a hot loop would be hundreds.
    expect(quiet.passes).toBeLessThanOrEqual(4);

    await ai.client.delete(APPLICATION_INSTANCE, "claimed", { namespace: ns.name });
    await eventually(async () => (await getInstance(ai.client, ns.name, "claimed")) === undefined, { what: "instance deleted" });
    const after = await ai.client.get<HelmRelease>(HELM_RELEASE, "claimed", { namespace: ns.name });
    expect(identity(after)).toEqual(identity(foreign));
    expect(after.spec?.values).toEqual({ team: "theirs" });
    expect(ai.harness.calls.filter(writesTo(HELM_RELEASE, "claimed"))).toEqual([]);
    // The source it did create was its own, so it went with the instance.
    expect(await getIfPresent(ai.client, HELM_REPOSITORY, "claimed-source", ns.name)).toBeUndefined();
  });

  test("instances claiming another instance's release write nothing of it and delete nothing of it", async () => {
    await ai.start({ resyncPeriodMs: 3_600_000 });
    const created = await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, "first"));
    await waitForCondition(ai.client, ns.name, "first", "Ready", "Unknown/Reconciling");
    const release = await ai.client.get<HelmRelease>(HELM_RELEASE, "first", { namespace: ns.name });
    const source = await ai.client.get(HELM_REPOSITORY, "first-source", { namespace: ns.name });

    // Same manager, so the API server would not refuse the apply: it would hand the children to the claimer.
    const claimed = { name: "first", namespace: ns.name };
    const oci = { sourceType: "oci", url: "oci://ghcr.io/org/charts", name: "demo", version: "1.0.0" };
    const claimers = [
      { name: "second", spec: { release: claimed }, refused: "HelmRepository first-source" },
      { name: "third", spec: { release: claimed, chart: oci }, refused: "HelmRelease first" },
    ];
    for (const claimer of claimers) {
      await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, claimer.name, claimer.spec));
      const refused = await waitForCondition(ai.client, ns.name, claimer.name, "Ready", "False/HelmReleaseFailed");
      const expected = `${claimer.refused} is controlled by ApplicationInstance first (uid ${created.metadata.uid}), not by this instance; it is left untouched`;
      expect(condition(refused, "Ready")?.message).toBe(expected);
      expect(refused.status?.helmReleaseRef).toBeUndefined();
    }
    // The third's own chart source was its to create.
    expect((await ai.client.get(OCI_REPOSITORY, "first-source", { namespace: ns.name })).metadata.labels?.["app.vworkspace.io/application-instance"]).toBe("third");

    for (const claimer of claimers) await ai.client.delete(APPLICATION_INSTANCE, claimer.name, { namespace: ns.name });
    for (const claimer of claimers) {
      await eventually(async () => (await getInstance(ai.client, ns.name, claimer.name)) === undefined, { what: `${claimer.name} deleted` });
    }
    expect(identity(await getIfPresent(ai.client, HELM_RELEASE, "first", ns.name))).toEqual(identity(release));
    expect(identity(await getIfPresent(ai.client, HELM_REPOSITORY, "first-source", ns.name))).toEqual(identity(source));
    expect(await getIfPresent(ai.client, OCI_REPOSITORY, "first-source", ns.name)).toBeUndefined();
    expect(summary(await getInstance(ai.client, ns.name, "first"), "Ready")).toBe("Unknown/Reconciling");
  });

  test("a HelmRelease stripped by hand of its label, ownerReference and valuesFrom is restored, then quiet", async () => {
    await startWithSecretValues("tamper");
    await waitForCondition(ai.client, ns.name, "tamper", "Ready", "Unknown/Reconciling");
    const applied = await ai.client.get<HelmRelease>(HELM_RELEASE, "tamper", { namespace: ns.name });
    const reasons = async () => (await listEvents(ai.client, ns.name)).map((event) => event.reason).sort();
    const eventsBefore = await eventually(async () => {
      const found = await reasons();
      // Ready=Unknown and Reconciling=True start together with one message: one Event, reason Reconciling.
      return found.includes("Reconciling") ? found : undefined;
    }, { what: "the first transition Event" });

    const writesBefore = ai.harness.calls.filter(writesTo(HELM_RELEASE, "tamper")).length;
    // Without the instance label the HR leaves the operator's label-selected watch: the watch reports it deleted.
    const edit = { metadata: { labels: { "app.vworkspace.io/application-instance": null }, ownerReferences: null }, spec: { valuesFrom: null } };
    await ai.client.patch(HELM_RELEASE, "tamper", { type: "merge", body: edit }, { namespace: ns.name, fieldManager: "kubectl-edit" });
    const restored = await eventually(async () => {
      const current = await ai.client.get<HelmRelease>(HELM_RELEASE, "tamper", { namespace: ns.name });
      return current.metadata.labels?.["app.vworkspace.io/application-instance"] === "tamper" && current.spec?.valuesFrom ? current : undefined;
    }, { what: "HelmRelease restored" });
    expect(restored.metadata.uid).toBe(applied.metadata.uid!);
    expect(restored.metadata.ownerReferences).toEqual(applied.metadata.ownerReferences!);
    expect(restored.spec?.valuesFrom).toEqual(applied.spec!.valuesFrom!);

    const quiet = await workWhileQuiet();
    expect(quiet.passes).toBeLessThanOrEqual(1);
    expect(ai.harness.calls.filter(writesTo(HELM_RELEASE, "tamper")).slice(writesBefore).map((call) => call.verb)).toEqual(["apply"]);
    // Restoring is not a condition transition, and docs/operations.md#kubernetes-events names no Event for it.
    expect(await reasons()).toEqual(eventsBefore);
  });
});
