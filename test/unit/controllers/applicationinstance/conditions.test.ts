import { describe, expect, test } from "bun:test";
import { mapConditions, type Situation } from "../../../../src/controllers/applicationinstance/conditions";
import { redactMessage } from "../../../../src/api/redact";
import { transitionEvents } from "../../../../src/controllers/applicationinstance/status";
import type { HelmRelease } from "../../../../src/flux/types";
import type { Condition } from "../../../../src/kube/types";

const NOW = Date.UTC(2030, 0, 1);
const EARLIER = "2029-12-31T00:00:00Z";
const G = 7;

type Summary = Record<string, string>;

/** HR at generation g with the given observedGeneration and conditions `type=status/reason@generation`. */
function hr(g: number, og: number | undefined, ...conditions: string[]): HelmRelease {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: "shop", namespace: "team-a", generation: g },
    status: {
      ...(og === undefined ? {} : { observedGeneration: og }),
      conditions: conditions.map((text) => {
        const [, type, status, reason, at] = /^(\w+)=(\w+)\/(\w+)(?:@(\d+))?$/.exec(text)!;
        return { type: type!, status: status as Condition["status"], reason: reason!, message: `flux says ${reason}`, lastTransitionTime: EARLIER, observedGeneration: at ? Number(at) : g };
      }),
    },
  };
}

function summary(conditions: Condition[]): Summary {
  return Object.fromEntries(conditions.map((c) => [c.type, `${c.status}/${c.reason}`]));
}

function map(situation: Situation, options: { suspend?: boolean; previous?: Condition[] } = {}): Condition[] {
  return mapConditions({ situation, previous: options.previous, generation: G, suspend: options.suspend ?? false, now: NOW });
}

const live = { Blocked: "False/Unblocked", Suspended: "False/Active", Degraded: "False/Recovered" };
const previous: Condition[] = [
  { type: "Degraded", status: "True", reason: "RetriesExceeded", message: "", lastTransitionTime: EARLIER, observedGeneration: 6 },
  { type: "Suspended", status: "True", reason: "ManuallySuspended", message: "", lastTransitionTime: EARLIER, observedGeneration: 6 },
];

describe("status mapping (docs/applications.md#status-mapping), one row per case", () => {
  test.each<[string, Situation, boolean, Summary]>([
    ["Deleting", { row: "Deleting", message: "waiting" }, false, { Ready: "False/Deleting", Deleting: "True/WaitingForChildResources", Degraded: "True/RetriesExceeded", Suspended: "True/ManuallySuspended" }],
    ["DeletingTimeout", { row: "DeletingTimeout", message: "gone" }, false, { Ready: "False/Deleting", Deleting: "True/UninstallTimeout", Degraded: "True/RetriesExceeded", Suspended: "True/ManuallySuspended" }],
    ["DeletingPlaceholder", { row: "DeletingPlaceholder" }, false, { Deleting: "True/Deleting", Degraded: "True/RetriesExceeded", Suspended: "True/ManuallySuspended" }],
    ...(["NamespaceNotGated", "ClusterMismatch", "ValidationFailed", "MissingDependencies"] as const).map((reason): [string, Situation, boolean, Summary] => [
      reason,
      { row: "Blocked", reason, message: "m" },
      false,
      { Ready: `False/${reason}`, Reconciling: "False/Stable", Blocked: `True/${reason}`, Degraded: "True/RetriesExceeded", Suspended: "True/ManuallySuspended" },
    ]),
    ["Placeholder", { row: "Placeholder" }, false, { Ready: "True/Placeholder", Reconciling: "False/Stable", ...live }],
    ["ApplyFailed keeps Degraded", { row: "ApplyFailed", message: "boom" }, false, { Ready: "False/HelmReleaseFailed", Reconciling: "False/Stable", Blocked: "False/Unblocked", Suspended: "False/Active", Degraded: "True/RetriesExceeded" }],
    ["SuspendedReady ignores generation", { row: "HelmRelease", helmRelease: hr(G, G - 1, "Ready=True/InstallSucceeded@6") }, true, { Ready: "True/HelmReleaseReady", Reconciling: "False/Stable", ...live, Suspended: "True/ManuallySuspended" }],
    ["SuspendedFailed", { row: "HelmRelease", helmRelease: hr(G, G, "Ready=False/UpgradeFailed") }, true, { Ready: "False/UpgradeFailed", Reconciling: "False/Stable", ...live, Suspended: "True/ManuallySuspended" }],
    ["SuspendedOther", { row: "HelmRelease", helmRelease: undefined }, true, { Ready: "Unknown/ManuallySuspended", Reconciling: "False/Stable", ...live, Suspended: "True/ManuallySuspended" }],
    ["Ready at og = g", { row: "HelmRelease", helmRelease: hr(G, G, "Ready=True/UpgradeSucceeded") }, false, { Ready: "True/HelmReleaseReady", Reconciling: "False/Stable", ...live }],
    ["Failed stamped with g", { row: "HelmRelease", helmRelease: hr(G, G, "Ready=False/UpgradeFailed") }, false, { Ready: "False/UpgradeFailed", Reconciling: "False/Stable", ...live }],
    ["Failed before a release attempt (og = g-1)", { row: "HelmRelease", helmRelease: hr(G, G - 1, "Ready=False/SourceNotReady") }, false, { Ready: "False/SourceNotReady", Reconciling: "False/Stable", ...live }],
    ["Failed while Flux reconciles", { row: "HelmRelease", helmRelease: hr(G, G, "Ready=False/InstallFailed", "Reconciling=True/ProgressingWithRetry") }, false, { Ready: "False/InstallFailed", Reconciling: "True/ProgressingWithRetry", ...live }],
    ["Stalled → Degraded", { row: "HelmRelease", helmRelease: hr(G, G, "Ready=False/UpgradeFailed", "Stalled=True/RetriesExceeded") }, false, { Ready: "False/UpgradeFailed", Reconciling: "False/Stable", ...live, Degraded: "True/RetriesExceeded" }],
    ["Waiting: HR absent", { row: "HelmRelease", helmRelease: undefined }, false, { Ready: "Unknown/Reconciling", Reconciling: "True/HelmReleaseInstalling", ...live }],
    ["Waiting: HR without Ready", { row: "HelmRelease", helmRelease: hr(G, undefined) }, false, { Ready: "Unknown/Reconciling", Reconciling: "True/HelmReleaseInstalling", ...live }],
    ["Progressing: Ready=True with og < g", { row: "HelmRelease", helmRelease: hr(G, G - 1, "Ready=True/InstallSucceeded@6") }, false, { Ready: "Unknown/Progressing", Reconciling: "True/Progressing", ...live }],
    ["Progressing: Ready=False stamped g-1", { row: "HelmRelease", helmRelease: hr(G, G - 1, "Ready=False/UpgradeFailed@6") }, false, { Ready: "Unknown/Progressing", Reconciling: "True/Progressing", ...live }],
    ["Progressing: Ready=Unknown with Flux's Reconciling reason", { row: "HelmRelease", helmRelease: hr(G, G - 1, "Ready=Unknown/Progressing", "Reconciling=True/ProgressingWithRetry") }, false, { Ready: "Unknown/ProgressingWithRetry", Reconciling: "True/ProgressingWithRetry", ...live }],
  ])("%s", (_name, situation, suspend, expected) => {
    const conditions = map(situation, { suspend, previous });
    expect(summary(conditions)).toEqual(expected);
    for (const condition of conditions.filter((c) => !previous.includes(c))) expect(condition.observedGeneration).toBe(G);
  });

  test("Ready carries Flux's message; Ready=True is never reported while og ≠ g outside suspension", () => {
    const [ready] = map({ row: "HelmRelease", helmRelease: hr(G, G, "Ready=True/UpgradeSucceeded") });
    expect(ready?.message).toBe("flux says UpgradeSucceeded");
    for (const og of [undefined, G - 1, G + 1]) {
      expect(summary(map({ row: "HelmRelease", helmRelease: hr(G, og, "Ready=True/UpgradeSucceeded") })).Ready).not.toBe("True/HelmReleaseReady");
    }
  });

  test("a reason-only change keeps lastTransitionTime; a status change moves it", () => {
    const before = map({ row: "HelmRelease", helmRelease: hr(G, G, "Ready=False/InstallFailed") }).map((c) => ({ ...c, lastTransitionTime: EARLIER }));
    const reasonOnly = mapConditions({ situation: { row: "HelmRelease", helmRelease: hr(G, G, "Ready=False/UpgradeFailed") }, previous: before, generation: G, suspend: false, now: NOW });
    expect(reasonOnly.find((c) => c.type === "Ready")).toMatchObject({ reason: "UpgradeFailed", lastTransitionTime: EARLIER });
    const flipped = mapConditions({ situation: { row: "HelmRelease", helmRelease: hr(G, G, "Ready=True/UpgradeSucceeded") }, previous: before, generation: G, suspend: false, now: NOW });
    expect(flipped.find((c) => c.type === "Ready")).toMatchObject({ status: "True", lastTransitionTime: "2030-01-01T00:00:00Z" });
  });

  test("Flux messages are redacted and truncated", () => {
    const release = hr(G, G, "Ready=False/InstallFailed");
    release.status!.conditions![0]!.message = `template failed: -----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY----- ${"x".repeat(2000)}`;
    const ready = map({ row: "HelmRelease", helmRelease: release }).find((c) => c.type === "Ready")!;
    expect(ready.message.startsWith("template failed: [REDACTED] xxx")).toBe(true);
    expect(ready.message).not.toContain("MIIE");
    expect(Array.from(ready.message)).toHaveLength(1024);
    expect(ready.message.endsWith("…")).toBe(true);
  });
});

describe("redactMessage", () => {
  test.each([
    ["PEM block", "a -----BEGIN PRIVATE KEY-----\nQQ==\n-----END PRIVATE KEY----- b", "a [REDACTED] b"],
    ["PEM block cut by truncation", "a -----BEGIN EC PRIVATE KEY-----\nQQ", "a [REDACTED]"],
    ["sensitive keys", 'db password: hunter2, "apiKey":"k1" token=t0 adminSecret=s', 'db password: [REDACTED], "apiKey":[REDACTED] token=[REDACTED] adminSecret=[REDACTED]'],
    ["reference names are not secret", "existingSecret: db-creds tlsSecretName=web-tls", "existingSecret: db-creds tlsSecretName=web-tls"],
    ["idempotent", "password: [REDACTED]", "password: [REDACTED]"],
    ["plain text untouched", "install retries exhausted", "install retries exhausted"],
  ])("%s", (_name, input, expected) => {
    expect(redactMessage(input)).toBe(expected);
  });
});

describe("transition Events (docs/operations.md#kubernetes-events)", () => {
  const first = map({ row: "HelmRelease", helmRelease: hr(G, G, "Ready=True/UpgradeSucceeded") });

  test("a new instance gets no Blocked/Degraded/Suspended Event; Ready and Reconciling are reported", () => {
    expect(transitionEvents(undefined, first).map((e) => `${e.type} ${e.action} ${e.reason}`)).toEqual(["Normal Ready HelmReleaseReady", "Normal Reconciling Stable"]);
  });

  test("a new instance whose install starts gets one Event: Ready and Reconciling say the same thing", () => {
    const installing = map({ row: "HelmRelease", helmRelease: undefined });
    expect(installing.filter((c) => c.type === "Ready" || c.type === "Reconciling").map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual(["Ready=Unknown/Reconciling", "Reconciling=True/HelmReleaseInstalling"]);
    expect(transitionEvents(undefined, installing).map((e) => `${e.type} ${e.action} ${e.reason}`)).toEqual(["Normal Ready Reconciling"]);
  });

  test("of conditions changing together with one message, the Warning is the one reported", () => {
    const at = "2030-01-01T00:00:00Z";
    const after = [
      { type: "Reconciling", status: "True" as const, reason: "Progressing", message: "same words", lastTransitionTime: at },
      { type: "Ready", status: "False" as const, reason: "InstallFailed", message: "same words", lastTransitionTime: at },
    ];
    expect(transitionEvents(undefined, after)).toEqual([{ type: "Warning", reason: "InstallFailed", action: "Ready", note: "Ready=False: same words" }]);
  });

  test("Ready True → False/UpgradeFailed is exactly one Warning; a message-only change is none", () => {
    const failed = mapConditions({ situation: { row: "HelmRelease", helmRelease: hr(G, G, "Ready=False/UpgradeFailed") }, previous: first, generation: G, suspend: false, now: NOW });
    expect(transitionEvents(first, failed)).toEqual([{ type: "Warning", reason: "UpgradeFailed", action: "Ready", note: "Ready=False: flux says UpgradeFailed" }]);
    const reworded = failed.map((c) => (c.type === "Ready" ? { ...c, message: "other words" } : c));
    expect(transitionEvents(failed, reworded)).toEqual([]);
  });
});
