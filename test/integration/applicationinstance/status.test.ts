/**
 * The status mapping of docs/applications.md#status-mapping driven by simulated HelmRelease status (patched on the status
 * subresource): every HR-reading row, HR watch → instance status without any timer, write discipline.
 */
import { describe, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../../src/api/groups";
import { HELM_RELEASE, type HelmRelease } from "../../../src/flux/types";
import { isWrite } from "../../../src/kube/api-calls";
import { eventually } from "../../support/eventually";
import { metricSum } from "../../support/metrics";
import { useNamespace } from "../../support/namespace";
import { condition, getInstance, instance, listEvents, setHelmReleaseStatus, summary, waitForCondition, useHarness } from "./harness";

const ns = useNamespace({ slug: "ai-status" });
const ai = useHarness(ns);

/** An instance whose HelmRelease exists at generation 1, the operator running on a long resync. */
async function withHelmRelease(name: string, spec: Record<string, unknown> = {}): Promise<HelmRelease> {
  await ai.start({ resyncPeriodMs: 3_600_000 });
  await ai.client.create(APPLICATION_INSTANCE, instance(ns.name, name, spec));
  await waitForCondition(ai.client, ns.name, name, "Reconciling", spec.suspend ? "False/Stable" : "True/HelmReleaseInstalling");
  return ai.client.get<HelmRelease>(HELM_RELEASE, name, { namespace: ns.name });
}

/** Bumps the HR generation the way a foreign spec edit would (reverted by the operator right after). */
async function bumpHelmReleaseGeneration(name: string): Promise<number> {
  const before = await ai.client.get<HelmRelease>(HELM_RELEASE, name, { namespace: ns.name });
  await ai.client.patch(HELM_RELEASE, name, { type: "merge", body: { spec: { timeout: "11m0s" } } }, { namespace: ns.name, fieldManager: "kubectl-edit" });
  return eventually(async () => {
    const current = await ai.client.get<HelmRelease>(HELM_RELEASE, name, { namespace: ns.name });
    return current.spec?.timeout === "10m0s" && (current.metadata.generation ?? 0) > (before.metadata.generation ?? 0) + 1 ? current.metadata.generation : undefined;
  }, { what: "foreign edit reverted" });
}

describe("status mapping against simulated HelmRelease status", () => {
  test("Ready at og = g, then Failed stamped with g → one Warning Event, then Stalled → Degraded", async () => {
    await withHelmRelease("rows");
    await setHelmReleaseStatus(ai.client, ns.name, "rows", "current", "Ready=True/InstallSucceeded");
    const ready = await waitForCondition(ai.client, ns.name, "rows", "Ready", "True/HelmReleaseReady");
    expect(condition(ready, "Ready")?.message).toBe("simulated InstallSucceeded");
    expect(summary(ready, "Reconciling")).toBe("False/Stable");
    expect(summary(ready, "Blocked")).toBe("False/Unblocked");
    expect(summary(ready, "Suspended")).toBe("False/Active");
    expect(summary(ready, "Degraded")).toBe("False/Recovered");
    for (const c of ready.status?.conditions ?? []) expect(c.observedGeneration).toBe(ready.metadata.generation!);

    await setHelmReleaseStatus(ai.client, ns.name, "rows", "current", "Ready=False/UpgradeFailed", "Reconciling=True/ProgressingWithRetry");
    const failed = await waitForCondition(ai.client, ns.name, "rows", "Ready", "False/UpgradeFailed");
    expect(summary(failed, "Reconciling")).toBe("True/ProgressingWithRetry");
    await eventually(async () => (await listEvents(ai.client, ns.name)).some((e) => e.reason === "UpgradeFailed"), { what: "UpgradeFailed Event" });
    const events = await listEvents(ai.client, ns.name);
    expect(events.filter((e) => e.reason === "UpgradeFailed").map((e) => e.type)).toEqual(["Warning"]);
    expect(events.filter((e) => ["Blocked", "Degraded", "Suspended"].includes(e.reason) || e.reason === "Unblocked" || e.reason === "Active" || e.reason === "Recovered")).toEqual([]);

    await setHelmReleaseStatus(ai.client, ns.name, "rows", "current", "Ready=False/UpgradeFailed", "Stalled=True/RetriesExceeded");
    const stalled = await waitForCondition(ai.client, ns.name, "rows", "Degraded", "True/RetriesExceeded");
    expect(summary(stalled, "Reconciling")).toBe("False/Stable");
  });

  test("Progressing while og ≠ g; a current Ready=False before a release attempt is passed through", async () => {
    await withHelmRelease("gen");
    await setHelmReleaseStatus(ai.client, ns.name, "gen", "current", "Ready=True/InstallSucceeded");
    await waitForCondition(ai.client, ns.name, "gen", "Ready", "True/HelmReleaseReady");
    const g = await bumpHelmReleaseGeneration("gen");

    await setHelmReleaseStatus(ai.client, ns.name, "gen", g - 2, `Ready=True/InstallSucceeded@${g - 2}`);
    await waitForCondition(ai.client, ns.name, "gen", "Ready", "Unknown/Progressing");
    await setHelmReleaseStatus(ai.client, ns.name, "gen", g - 1, `Ready=False/UpgradeFailed@${g - 1}`);
    // Stamped with an older generation: still Progressing (and the write above is the sync point).
    await eventually(async () => (await ai.client.get<HelmRelease>(HELM_RELEASE, "gen", { namespace: ns.name })).status?.observedGeneration === g - 1, { what: "HR status stored" });
    await setHelmReleaseStatus(ai.client, ns.name, "gen", g - 1, "Ready=False/SourceNotReady");
    const current = await waitForCondition(ai.client, ns.name, "gen", "Ready", "False/SourceNotReady");
    expect(summary(current, "Reconciling")).toBe("False/Stable");
  });

  test("Ready=Unknown with Flux's Reconciling reason, then Waiting when Ready disappears", async () => {
    await withHelmRelease("unknown");
    await setHelmReleaseStatus(ai.client, ns.name, "unknown", 0, "Ready=Unknown/Progressing", "Reconciling=True/Progressing");
    const progressing = await waitForCondition(ai.client, ns.name, "unknown", "Ready", "Unknown/Progressing");
    expect(summary(progressing, "Reconciling")).toBe("True/Progressing");
    await setHelmReleaseStatus(ai.client, ns.name, "unknown", 0, "Reconciling=True/ProgressingWithRetry");
    await waitForCondition(ai.client, ns.name, "unknown", "Reconciling", "True/HelmReleaseInstalling");
  });

  test("suspend: HR suspended, Suspended=True, SuspendedReady ignores the generation, SuspendedFailed passes the reason", async () => {
    const release = await withHelmRelease("paused", { suspend: true });
    expect(release.spec?.suspend).toBe(true);
    const other = await waitForCondition(ai.client, ns.name, "paused", "Ready", "Unknown/ManuallySuspended");
    expect(summary(other, "Suspended")).toBe("True/ManuallySuspended");
    await setHelmReleaseStatus(ai.client, ns.name, "paused", 0, "Ready=True/InstallSucceeded@0");
    await waitForCondition(ai.client, ns.name, "paused", "Ready", "True/HelmReleaseReady");
    await setHelmReleaseStatus(ai.client, ns.name, "paused", 0, "Ready=False/InstallFailed@0");
    await waitForCondition(ai.client, ns.name, "paused", "Ready", "False/InstallFailed");

    await ai.client.patch(APPLICATION_INSTANCE, "paused", { type: "merge", body: { spec: { suspend: false } } }, { namespace: ns.name });
    const resumed = await waitForCondition(ai.client, ns.name, "paused", "Suspended", "False/Active");
    expect(summary(resumed, "Ready")).toBe("Unknown/Progressing");
    expect((await ai.client.get<HelmRelease>(HELM_RELEASE, "paused", { namespace: ns.name })).spec?.suspend).toBe(false);
  });

  test("an unchanged re-reconcile writes no status; a Flux message with a PEM key is redacted", async () => {
    await withHelmRelease("quiet");
    await setHelmReleaseStatus(ai.client, ns.name, "quiet", "current", "Ready=True/InstallSucceeded");
    await waitForCondition(ai.client, ns.name, "quiet", "Ready", "True/HelmReleaseReady");
    const metricsUrl = ai.harness.running.operator.metricsUrl!;
    const writes = await metricSum(metricsUrl, "vworkspace_operator_status_writes_total");
    const passes = await metricSum(metricsUrl, "vworkspace_operator_reconcile_total");

    await ai.client.patch(APPLICATION_INSTANCE, "quiet", { type: "merge", body: { metadata: { labels: { touched: "yes" } } } }, { namespace: ns.name });
    await eventually(async () => (await metricSum(metricsUrl, "vworkspace_operator_reconcile_total")) > passes, { what: "a pass after the label change" });
    expect(await metricSum(metricsUrl, "vworkspace_operator_status_writes_total")).toBe(writes);

    const release = await ai.client.get<HelmRelease>(HELM_RELEASE, "quiet", { namespace: ns.name });
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecretmaterial\n-----END RSA PRIVATE KEY-----";
    const status = { observedGeneration: release.metadata.generation, conditions: [{ type: "Ready", status: "False", reason: "InstallFailed", message: `render failed: ${pem}`, lastTransitionTime: "2030-01-01T00:00:00Z", observedGeneration: release.metadata.generation }] };
    await ai.client.patchStatus(HELM_RELEASE, "quiet", { type: "merge", body: { status } }, { namespace: ns.name });
    const failed = await waitForCondition(ai.client, ns.name, "quiet", "Ready", "False/InstallFailed");
    expect(condition(failed, "Ready")?.message).toBe("render failed: [REDACTED]");
    expect(JSON.stringify(await listEvents(ai.client, ns.name))).not.toContain("MIIEsecretmaterial");
    expect(JSON.stringify(await getInstance(ai.client, ns.name, "quiet"))).not.toContain("MIIEsecretmaterial");
  });

  test("a HelmRelease status change alone (no instance edit, no resync) reaches the instance with one status write", async () => {
    await withHelmRelease("follow");
    const before = (await getInstance(ai.client, ns.name, "follow"))!;
    const metricsUrl = ai.harness.running.operator.metricsUrl!;
    const writes = await metricSum(metricsUrl, "vworkspace_operator_status_writes_total");
    ai.harness.calls.clear();

    await setHelmReleaseStatus(ai.client, ns.name, "follow", "current", "Ready=True/InstallSucceeded");
    const ready = await waitForCondition(ai.client, ns.name, "follow", "Ready", "True/HelmReleaseReady");
    expect(ready.metadata.generation).toBe(before.metadata.generation!);
    expect(ready.metadata.labels).toEqual(before.metadata.labels);
    expect(await metricSum(metricsUrl, "vworkspace_operator_status_writes_total")).toBe(writes + 1);
    // The HR watch event alone drove the pass: nothing was re-applied and nothing but status written.
    expect(ai.harness.calls.filter((call) => isWrite(call) && call.resource?.subresource !== "status")).toEqual([]);
  });

  test("HelmRelease updates that keep Ready=True never write a Ready transition", async () => {
    await withHelmRelease("steady");
    await setHelmReleaseStatus(ai.client, ns.name, "steady", "current", "Ready=True/InstallSucceeded");
    const ready = await waitForCondition(ai.client, ns.name, "steady", "Ready", "True/HelmReleaseReady");
    const readyEvents = async () => (await listEvents(ai.client, ns.name)).filter((event) => event.regarding.name === "steady" && event.action === "Ready");
    const eventsBefore = await eventually(async () => {
      const found = await readyEvents();
      return found.some((event) => event.reason === "HelmReleaseReady") ? found : undefined;
    }, { what: "the Ready=True transition Event" });
    const metricsUrl = ai.harness.running.operator.metricsUrl!;
    const writes = await metricSum(metricsUrl, "vworkspace_operator_status_writes_total");

    // What helm-controller does to a healthy release: fresh timestamps, more conditions, a new success reason.
    await setHelmReleaseStatus(ai.client, ns.name, "steady", "current", "Ready=True/InstallSucceeded", "Released=True/InstallSucceeded");
    await setHelmReleaseStatus(ai.client, ns.name, "steady", "current", "Ready=True/InstallSucceeded", "Released=True/InstallSucceeded", "TestSuccess=True/TestSucceeded");
    await setHelmReleaseStatus(ai.client, ns.name, "steady", "current", "Ready=True/UpgradeSucceeded", "Released=True/UpgradeSucceeded");
    // Watch events arrive in order, so the last update's message proves the earlier ones were handled.
    const after = await eventually(async () => {
      const current = await getInstance(ai.client, ns.name, "steady");
      return condition(current, "Ready")?.message === "simulated UpgradeSucceeded" ? current : undefined;
    }, { what: "the last HR update reflected" });

    expect(summary(after, "Ready")).toBe("True/HelmReleaseReady");
    expect(condition(after, "Ready")?.lastTransitionTime).toBe(condition(ready, "Ready")!.lastTransitionTime);
    expect(await metricSum(metricsUrl, "vworkspace_operator_status_writes_total")).toBe(writes + 1);
    expect(await readyEvents()).toEqual(eventsBefore);
  });
});
