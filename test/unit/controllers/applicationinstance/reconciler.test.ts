/** The reconcile flow's early exits (docs/applications.md#reconcile-flow steps 3–8) with in-memory deps: which writes each step makes. */
import { describe, expect, test } from "bun:test";
import { applicationInstanceReconciler } from "../../../../src/controllers/applicationinstance/reconciler";
import type { ReconcilerDeps } from "../../../../src/controllers/applicationinstance/pass";
import { KubeApiError } from "../../../../src/kube/errors";
import { ManualClock } from "../../../../src/kube/clock";
import { AppliedObjects } from "../../../../src/kube/applied";
import { ReleasedFinalizers } from "../../../../src/kube/released-finalizers";
import type { Condition, KubeObject, ResourceType } from "../../../../src/kube/types";
import { createLogger } from "../../../../src/observability/logger";
import { applicationInstanceObject } from "../../api/fixtures";

interface Recorded {
  calls: string[];
  status: Array<Record<string, unknown>>;
}

interface SetupOptions {
  gated?: boolean;
  fluxServed?: boolean;
  clusterId?: string;
  spec?: Record<string, unknown>;
  deleting?: boolean;
  /** HelmReleases committed to Git are authoritative; these are in the cache of committed ones. */
  committed?: KubeObject[];
}

function setup(options: SetupOptions = {}) {
  let object = applicationInstanceObject(options.spec ?? {}) as unknown as KubeObject;
  const cache = new Map<string, KubeObject>();
  object.metadata.uid = "uid-1";
  object.metadata.resourceVersion = "1";
  if (options.deleting) {
    object.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
    object.metadata.finalizers = ["apps.vworkspace.io/finalizer"];
  }
  const recorded: Recorded = { calls: [], status: [] };
  const namespaceLabels: Record<string, string> = {};
  const client = {
    get: async (type: { kind: string }, name: string) => {
      recorded.calls.push(`get ${type.kind} ${name}`);
      throw new KubeApiError(404, { reason: "NotFound", message: `${name} not found` }, { verb: "GET", path: `/${name}` });
    },
    patch: async (type: ResourceType, name: string, patch: { type: string; body?: KubeObject }) => {
      recorded.calls.push(`${patch.type} ${type.kind} ${name}`);
      if (patch.type === "apply" && patch.body) {
        // The API server's answer; the informer sees it too.
        const applied = { ...patch.body, metadata: { ...patch.body.metadata, uid: `uid-${name}`, generation: 1 } };
        cache.set(`${type.plural}/${name}`, applied);
        return applied;
      }
      object = { ...object, metadata: { ...object.metadata, finalizers: ["apps.vworkspace.io/finalizer"] } };
      return object;
    },
    delete: async (type: { kind: string }, name: string) => {
      recorded.calls.push(`delete ${type.kind} ${name}`);
      return { kind: "Status" as const };
    },
  };
  const write = async (_type: unknown, current: KubeObject, desired: Record<string, unknown>) => {
    recorded.status.push(desired);
    return { written: true, object: current };
  };
  const deps = {
    client,
    instances: { get: () => object },
    children: { get: (type: ResourceType, key: string) => cache.get(`${type.plural}/${key.split("/")[1]}`), hasSynced: () => true },
    applied: new AppliedObjects(),
    released: new ReleasedFinalizers(),
    gate: { isGated: () => options.gated ?? true, labels: () => namespaceLabels },
    clusterId: () => options.clusterId ?? "c1",
    fluxServed: async () => options.fluxServed ?? true,
    helmReleasesAuthoritative: () => options.committed !== undefined,
    committedHelmRelease: (namespace: string, name: string) => options.committed?.find((hr) => hr.metadata.namespace === namespace && hr.metadata.name === name),
    status: { apply: write, mergePatch: write },
    events: { record: () => undefined },
    clock: new ManualClock(),
    settings: { helmReleaseIntervalMs: 300_000, helmReleaseTimeoutMs: 600_000, sourceIntervalMs: 600_000, uninstallTimeoutMs: 600_000, dependencyRecheckMs: 30_000 },
  } as unknown as ReconcilerDeps;
  const reconcile = applicationInstanceReconciler(deps);
  const run = () => reconcile({ key: "team-a/shop", signal: new AbortController().signal, logger: createLogger({ level: "silent" }) });
  const appliedHelmRelease = () => cache.get("helmreleases/shop") as (KubeObject & { spec: Record<string, unknown> }) | undefined;
  /** What the informer shows next: the stored object with `changes` to its metadata. */
  const observe = (changes: Partial<KubeObject["metadata"]>) => {
    object = { ...object, metadata: { ...object.metadata, ...changes } };
  };
  return { recorded, run, namespaceLabels, appliedHelmRelease, observe };
}

function summary(status: Record<string, unknown> | undefined, type: string): string | undefined {
  const found = (status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);
  return found && `${found.status}/${found.reason}`;
}

describe("reconcile flow early exits", () => {
  test.each<[string, SetupOptions, string, string[]]>([
    ["ungated namespace: no finalizer, no child", { gated: false }, "True/NamespaceNotGated", []],
    ["cluster id mismatch: no finalizer, no child", { clusterId: "other" }, "True/ClusterMismatch", []],
    ["validation failure after the finalizer", { spec: { chart: undefined } }, "True/ValidationFailed", ["json ApplicationInstance shop"]],
    ["Flux APIs missing after the finalizer", { fluxServed: false }, "True/MissingDependencies", ["json ApplicationInstance shop"]],
  ])("%s", async (_name, options, blocked, calls) => {
    const { recorded, run } = setup(options);
    await run();
    expect(recorded.calls).toEqual(calls);
    expect(recorded.status).toHaveLength(1);
    expect(summary(recorded.status[0], "Blocked")).toBe(blocked);
    expect(recorded.status[0]?.observedGeneration).toBe(3);
  });

  test("placeholder: finalizer, Ready=True/Placeholder, refs cleared, no Flux call", async () => {
    const { recorded, run } = setup({ spec: { mode: "placeholder", chart: undefined, values: undefined, release: undefined } });
    await run();
    expect(recorded.calls).toEqual(["json ApplicationInstance shop"]);
    expect(summary(recorded.status[0], "Ready")).toBe("True/Placeholder");
    expect(recorded.status[0]?.helmReleaseRef).toBeUndefined();
  });
});

describe("applies that would change nothing", () => {
  test("a second pass over unchanged children sends no request", async () => {
    const { recorded, run } = setup();
    await run();
    expect(recorded.calls).toEqual(["json ApplicationInstance shop", "apply HelmRepository shop-source", "get HelmRelease shop", "apply HelmRelease shop"]);
    recorded.calls.length = 0;
    await run();
    expect(recorded.calls).toEqual([]);
  });
});

describe("the HelmRelease's ServiceAccount follows the namespace's Flux tenant label", () => {
  test("vworkspace-tenant by default; a relabelled namespace re-applies the HelmRelease with the named one", async () => {
    const { recorded, run, namespaceLabels, appliedHelmRelease } = setup();
    await run();
    expect(appliedHelmRelease()?.spec.serviceAccountName).toBe("vworkspace-tenant");
    recorded.calls.length = 0;
    namespaceLabels["apps.vworkspace.io/tenant-service-account"] = "team-deployer";
    await run();
    expect(recorded.calls).toEqual(["apply HelmRelease shop"]);
    expect(appliedHelmRelease()?.spec.serviceAccountName).toBe("team-deployer");
  });

  test("a label value that is no ServiceAccount name falls back to vworkspace-tenant", async () => {
    const { run, namespaceLabels, appliedHelmRelease } = setup();
    namespaceLabels["apps.vworkspace.io/tenant-service-account"] = "Not_A_Name";
    await run();
    expect(appliedHelmRelease()?.spec.serviceAccountName).toBe("vworkspace-tenant");
  });
});

describe("deletion once the children are gone", () => {
  test("the finalizer is removed once; a pass over the cache's pre-removal copy writes nothing; a newer copy is finalized again", async () => {
    const { recorded, run, observe } = setup({ deleting: true });
    observe({ resourceVersion: "7" });
    await run();
    expect(recorded.calls.filter((call) => !call.startsWith("get "))).toEqual(["json ApplicationInstance shop"]);
    recorded.calls.length = 0;
    observe({ resourceVersion: "7", finalizers: ["apps.vworkspace.io/finalizer"] });
    await run();
    expect(recorded.calls).toEqual([]);
    observe({ resourceVersion: "9", finalizers: ["apps.vworkspace.io/finalizer"] });
    await run();
    expect(recorded.calls.filter((call) => !call.startsWith("get "))).toEqual(["json ApplicationInstance shop"]);
  });
});

describe("HelmRelease-authoritative GitOps (docs/connectivity.md#helmrelease-authoritative-gitops)", () => {
  const committed = (conditions: Condition[], observedGeneration = 4): KubeObject => ({
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: "shop", namespace: "team-a", generation: 4, labels: { "app.vworkspace.io/managed-by": "control-plane" } },
    status: { observedGeneration, conditions },
  });
  const ready = { type: "Ready", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded" } as Condition;

  test("no source and no HelmRelease is written; the instance mirrors the committed HelmRelease of its release name", async () => {
    const { recorded, run } = setup({ committed: [committed([ready])] });
    await run();
    expect(recorded.calls).toEqual(["json ApplicationInstance shop"]);
    expect(summary(recorded.status[0], "Ready")).toBe("True/HelmReleaseReady");
    expect(summary(recorded.status[0], "Reconciling")).toBe("False/Stable");
  });

  test("a committed HelmRelease helm-controller has not caught up with leaves the instance progressing", async () => {
    const { recorded, run } = setup({ committed: [committed([ready], 3)] });
    await run();
    expect(recorded.calls).toEqual(["json ApplicationInstance shop"]);
    expect(summary(recorded.status[0], "Ready")).toBe("Unknown/Progressing");
  });

  test("without a committed HelmRelease the instance waits for one and writes none", async () => {
    const { recorded, run, appliedHelmRelease } = setup({ committed: [] });
    await run();
    expect(recorded.calls).toEqual(["json ApplicationInstance shop"]);
    expect(appliedHelmRelease()).toBeUndefined();
    expect(summary(recorded.status[0], "Ready")).toBe("Unknown/Reconciling");
  });

  test("the gate still applies: an ungated namespace blocks the instance before any read", async () => {
    const { recorded, run } = setup({ gated: false, committed: [committed([ready])] });
    await run();
    expect(recorded.calls).toEqual([]);
    expect(summary(recorded.status[0], "Blocked")).toBe("True/NamespaceNotGated");
  });
});
