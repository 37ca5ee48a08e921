/** The Cluster reconciler over in-memory dependencies: which calls, writes, events and driver changes each pass makes. */
import { describe, expect, test } from "bun:test";
import { CLUSTER } from "../../../../src/api/groups";
import type { Condition } from "../../../../src/kube/types";
import type { RegisterOutcome } from "../../../../src/controllers/cluster/registration";
import { clusterObject, secretObject, setup, TOKEN_SECRET } from "./harness";

const ENDPOINT = "http://cp.example:8080";
const REGISTERED: RegisterOutcome = { kind: "registered", response: { clusterId: "c-1", token: "agent-token", expiresAt: "2030-01-01T00:00:00Z" } as never };
const REFUSED: RegisterOutcome = { kind: "refused", status: 403, message: "registration refused by the control plane (403)" };
const registrable = { controlPlaneEndpoint: ENDPOINT, registrationTokenSecretRef: { name: TOKEN_SECRET, key: "registrationToken" } };
const tokenSecret = () => secretObject(TOKEN_SECRET, { registrationToken: "one-time-token" });
const credentialsSecret = (clusterId = "c-1") =>
  secretObject("vworkspace-agent-credentials", { "control-plane-base-url": ENDPOINT, "cluster-id": clusterId, token: "agent-token" });

function condition(status: Record<string, unknown> | undefined, type: string): string | undefined {
  const found = (status?.conditions as Condition[] | undefined)?.find((item) => item.type === type);
  return found && `${found.status}/${found.reason}`;
}

/** A registered pull Cluster switched to push whose hand-over failed in the pass that saw the switch. */
async function failedSwitchToPush() {
  const world = setup({ clusters: [clusterObject("main", "uid-a", registrable)], secrets: [credentialsSecret()] });
  await world.pass();
  world.failHandOvers(new Error("patch refused"));
  world.clusters[0] = { ...world.clusters[0]!, spec: { ...world.clusters[0]!.spec, connectivityMode: "push" } };
  await expect(world.pass()).rejects.toThrow("patch refused");
  return world;
}

describe("Cluster reconciler with in-memory dependencies", () => {
  test("a Cluster without endpoint or token: finalizer, keypair, Pending, no driver", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", {})] });
    await world.pass();
    expect(world.clusters[0]!.metadata.finalizers).toEqual([CLUSTER.finalizer!]);
    expect(world.secrets.has("vworkspace-operator-keypair")).toBe(true);
    const status = world.lastStatus("main");
    expect(status?.phase).toBe("Pending");
    expect(condition(status, "Authenticated")).toBe("False/CredentialMissing");
    expect(condition(status, "Ignored")).toBe("False/Honoured");
    expect((status?.publicKey as { kid?: string }).kid).toBeString();
    expect(world.drivers).toHaveLength(0);
    expect(world.registerCalls).toHaveLength(0);
  });

  test("the younger of two Clusters is marked Ignored with one DuplicateCluster event", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", {}), clusterObject("second", "uid-b", {}, "2026-02-01T00:00:00Z")] });
    await world.pass();
    expect(world.lastStatus("second")?.phase).toBe("Ignored");
    expect(condition(world.lastStatus("second"), "Ignored")).toBe("True/DuplicateCluster");
    expect(world.events.filter((event) => event.reason === "DuplicateCluster").map((event) => event.on)).toEqual(["second"]);
  });

  test("registration: one exchange, credentials Secret written, Cluster patched, the pull driver started", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", registrable)], secrets: [tokenSecret()], outcomes: [REGISTERED] });
    await world.pass();
    expect(world.registerCalls).toHaveLength(1);
    expect(world.registerCalls[0]!.endpoint).toBe(ENDPOINT);
    expect(world.secrets.get("vworkspace-agent-credentials")?.data?.["cluster-id"]).toBe(Buffer.from("c-1").toString("base64"));
    expect(world.clusters[0]!.spec.clusterId).toBe("c-1");
    const status = world.lastStatus("main");
    expect(status?.observedToken).toBeString();
    expect(status?.credentialStatus).toMatchObject({ registrationTokenConsumed: true, secretName: "vworkspace-agent-credentials" });
    expect(status?.connectivityMode).toBe("pull");
    expect(world.drivers.map((driver) => [driver.mode, driver.calls])).toEqual([["pull", ["start"]]]);
    expect(world.events.map((event) => event.reason)).toContain("Registered");
    expect(world.events.map((event) => event.reason)).toContain("InsecureControlPlaneEndpoint");

    // The next pass sees the Cluster at the version the exchange was made at (the cache lags): no second exchange.
    world.clusters[0] = { ...world.clusters[0]!, metadata: { ...world.clusters[0]!.metadata, resourceVersion: "1" } };
    await world.pass();
    expect(world.registerCalls).toHaveLength(1);
    expect(world.drivers[0]!.calls).toEqual(["start", "update"]);
    expect(world.lastStatus("main")?.observedToken).toBe(status?.observedToken);
    expect(world.events.filter((event) => event.reason === "InsecureControlPlaneEndpoint")).toHaveLength(1);
  });

  test("a refused registration is not retried with the same inputs; Error/RegistrationFailed", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", registrable)], secrets: [tokenSecret()], outcomes: [REFUSED] });
    await world.pass();
    await world.pass();
    expect(world.registerCalls).toHaveLength(1);
    expect(world.lastStatus("main")?.phase).toBe("Error");
    expect(condition(world.lastStatus("main"), "Authenticated")).toBe("False/RegistrationFailed");
    expect(world.events.filter((event) => event.reason === "RegistrationFailed")).toHaveLength(1);
  });

  test("a retry answer requeues sooner and keeps the phase Pending with RegistrationPending", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", registrable)], secrets: [tokenSecret()], outcomes: [{ kind: "retry", message: "control plane unreachable (network); retrying", retryAfterMs: 2_000 }] });
    expect(await world.pass()).toEqual({ requeueAfterMs: 2_000 });
    expect(world.lastStatus("main")?.phase).toBe("Pending");
    expect(condition(world.lastStatus("main"), "Connected")).toBe("False/RegistrationPending");
  });

  test("another honoured Cluster starts from fresh memory: the old driver stops, blocked inputs are tried again", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", registrable)], secrets: [tokenSecret(), credentialsSecret()], outcomes: [REFUSED] });
    await world.pass();
    expect(world.registerCalls).toHaveLength(1);
    expect(world.drivers).toHaveLength(1);
    world.clusters[0] = clusterObject("main", "uid-b", registrable);
    await world.pass();
    expect(world.registerCalls).toHaveLength(2);
    expect(world.drivers[0]!.calls).toEqual(["start", "stop"]);
    expect(world.drivers).toHaveLength(2);
  });

  test("the driver is chosen by spec.connectivityMode", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", { ...registrable, connectivityMode: "push" })], secrets: [credentialsSecret()] });
    await world.pass();
    expect(world.drivers.map((driver) => driver.mode)).toEqual(["push"]);
    expect(world.lastStatus("main")?.connectivityMode).toBe("push");
  });

  test("spec.rotateCredentials rotates once per generation; a failed one is tried again on a later pass", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", { ...registrable, rotateCredentials: true })], secrets: [credentialsSecret()] });
    await world.pass();
    const driver = world.drivers[0]!;
    driver.rotationResult = { ok: false, detail: "control plane unreachable" };
    expect(driver.rotations).toEqual(["spec"]);
    await world.pass();
    expect(driver.rotations).toEqual(["spec"]);
    world.clusters[0]!.metadata.generation = 2;
    await world.pass();
    expect(driver.rotations).toEqual(["spec", "spec"]);
    await Bun.sleep(0);
    await world.pass();
    expect(driver.rotations).toEqual(["spec", "spec", "spec"]);
  });

  test("a spec.clusterId other than the registered one pauses the driver: Error/CredentialRejected", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", { ...registrable, clusterId: "someone-else" })], secrets: [credentialsSecret("c-1")] });
    await world.pass();
    expect(world.drivers[0]!.paused).toBe("ClusterIdMismatch");
    expect(world.lastStatus("main")?.phase).toBe("Error");
    expect(condition(world.lastStatus("main"), "Authenticated")).toBe("False/CredentialRejected");
  });

  test("ControllersHealthy is checked once per interval and reaches the conditions", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", {})], health: { status: "False", reason: "ControllerMissing", message: "Deployment flux-system/helm-controller missing" } });
    await world.pass();
    await world.pass();
    expect(world.healthChecks()).toBe(1);
    expect(condition(world.lastStatus("main"), "ControllersHealthy")).toBe("False/ControllerMissing");
  });

  test("a mode switch stops the driver in place and starts the new mode's, emits ConnectivityModeChanged once, re-checks health for the new mode", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", registrable)], secrets: [credentialsSecret()] });
    await world.pass();
    world.clusters[0] = { ...world.clusters[0]!, metadata: { ...world.clusters[0]!.metadata, generation: 2 }, spec: { ...world.clusters[0]!.spec, connectivityMode: "push" } };
    await world.pass();
    await world.pass();
    expect(world.drivers.map((driver) => `${driver.mode}:${driver.calls.join(",")}`)).toEqual(["pull:start,stop", "push:start,update"]);
    expect(world.events.filter((event) => event.reason === "ConnectivityModeChanged").map((event) => `${event.type}: ${event.note}`)).toEqual(["Normal: connectivity mode changed from pull to push"]);
    expect(world.healthModes).toEqual(["pull", "push"]);
    expect(world.lastStatus("main")?.connectivityMode).toBe("push");
  });

  test("the new mode's driver is created only once the old one's graceful stop (job in hand, event flush) has finished", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", registrable)], secrets: [credentialsSecret()] });
    await world.pass();
    let driversWhenStopped = -1;
    world.drivers[0]!.stop = async () => {
      await Bun.sleep(20);
      driversWhenStopped = world.drivers.length;
    };
    world.clusters[0] = { ...world.clusters[0]!, spec: { ...world.clusters[0]!.spec, connectivityMode: "gitops" } };
    await world.pass();
    expect(driversWhenStopped).toBe(1);
    expect(world.drivers.map((driver) => driver.mode)).toEqual(["pull", "gitops"]);
  });

  test("after a restart the mode status recorded is the one switched from", async () => {
    const cluster = clusterObject("main", "uid-a", { connectivityMode: "gitops" });
    cluster.status = { connectivityMode: "pull" };
    const world = setup({ clusters: [cluster] });
    await world.pass();
    await world.pass();
    expect(world.events.filter((event) => event.reason === "ConnectivityModeChanged").map((event) => event.note)).toEqual(["connectivity mode changed from pull to gitops"]);
    expect(world.lastStatus("main")?.phase).toBe("Active");
  });

  test("pull → push → pull: the old driver stops (its job in hand done) before field ownership moves, the new one starts after; status shows the mode before the Event", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", registrable)], secrets: [credentialsSecret()] });
    await world.pass();
    world.timeline.splice(0);
    const switchTo = (mode: string) => {
      world.clusters[0] = { ...world.clusters[0]!, spec: { ...world.clusters[0]!.spec, connectivityMode: mode } } as never;
    };
    switchTo("push");
    await world.pass();
    await world.pass();
    switchTo("pull");
    await world.pass();
    expect(world.timeline).toEqual([
      "pull stop",
      "hand over vworkspace-agent→vworkspace-odoo",
      "push start",
      "status push",
      "event connectivity mode changed from pull to push",
      "status push",
      "push stop",
      "hand over vworkspace-odoo→vworkspace-agent",
      "pull start",
      "status pull",
      "event connectivity mode changed from push to pull",
    ]);
  });

  test("a failed hand-over fails the pass: no new driver, status keeps the mode in effect, no Event; the next pass finishes it once", async () => {
    const world = await failedSwitchToPush();
    expect(world.drivers.map((driver) => `${driver.mode}:${driver.calls.join(",")}`)).toEqual(["pull:start,stop"]);
    expect(world.lastStatus("main")?.connectivityMode).toBe("pull");
    expect(world.events.filter((event) => event.reason === "ConnectivityModeChanged")).toEqual([]);

    world.failHandOvers(undefined);
    await world.pass();
    await world.pass();
    expect(world.handOvers).toEqual(["vworkspace-agent→vworkspace-odoo"]);
    expect(world.lastStatus("main")?.connectivityMode).toBe("push");
    expect(world.events.filter((event) => event.reason === "ConnectivityModeChanged").map((event) => event.note)).toEqual(["connectivity mode changed from pull to push"]);
  });

  test("an interrupted hand-over switched back is reversed, with no Event: the mode in effect never changed", async () => {
    const world = await failedSwitchToPush();
    world.failHandOvers(undefined);
    world.clusters[0] = { ...world.clusters[0]!, spec: { ...world.clusters[0]!.spec, connectivityMode: "pull" } };
    await world.pass();
    expect(world.handOvers).toEqual(["vworkspace-odoo→vworkspace-agent"]);
    expect(world.drivers.map((driver) => driver.mode)).toEqual(["pull", "pull"]);
    expect(world.events.filter((event) => event.reason === "ConnectivityModeChanged")).toEqual([]);
  });

  test("after a restart mid-switch (status pull, spec push) the hand-over runs again; with the switch recorded, or to GitOps, none runs", async () => {
    const restarted = (spec: string, inEffect: string) => {
      const cluster = clusterObject("main", "uid-a", { connectivityMode: spec });
      cluster.status = { connectivityMode: inEffect as never };
      return setup({ clusters: [cluster] });
    };
    const midSwitch = restarted("push", "pull");
    await midSwitch.pass();
    expect(midSwitch.handOvers).toEqual(["vworkspace-agent→vworkspace-odoo"]);
    for (const [spec, inEffect] of [["push", "push"], ["gitops", "pull"], ["pull", "gitops"]] as const) {
      const world = restarted(spec, inEffect);
      await world.pass();
      expect(world.handOvers).toEqual([]);
    }
  });

  test("connectivity_state carries the mode in effect: none in Push without a status channel, the source state in GitOps", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", { connectivityMode: "push" })] });
    await world.pass();
    const gauge = async () => (await world.deps.metrics.connectivityState.get()).values.map((value) => `${value.labels.mode}=${value.value}`);
    expect(await gauge()).toEqual([]);
    world.clusters[0] = { ...world.clusters[0]!, spec: { ...world.clusters[0]!.spec, connectivityMode: "gitops" } };
    await world.pass();
    expect(await gauge()).toEqual(["gitops=0"]);
    world.clusters[0] = { ...world.clusters[0]!, spec: { ...world.clusters[0]!.spec, connectivityMode: "pull" } };
    await world.pass();
    expect(await gauge()).toEqual(["pull=-1"]);
  });

  test("status.managedNamespaces reports the Push RoleBinding per namespace", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", { connectivityMode: "push" })], pushAccess: ["team-b", "team-a"] });
    await world.pass();
    expect(world.lastStatus("main")?.managedNamespaces).toEqual([
      { name: "team-a", allowedOperationTypes: [], pushAccess: true },
      { name: "team-b", allowedOperationTypes: [], pushAccess: true },
    ]);
  });

  test("deletion stops the driver and removes the finalizer", async () => {
    const world = setup({ clusters: [clusterObject("main", "uid-a", registrable)], secrets: [credentialsSecret()] });
    await world.pass();
    world.clusters[0] = { ...world.clusters[0]!, metadata: { ...world.clusters[0]!.metadata, deletionTimestamp: "2026-03-01T00:00:00Z" } };
    await world.pass();
    expect(world.drivers[0]!.calls).toEqual(["start", "stop"]);
    expect(world.pushAccessRemovals()).toBe(1);
    expect(world.clusters[0]!.metadata.finalizers ?? []).toEqual([]);
    expect(world.lastStatus("main")?.phase).toBe("Terminating");
  });
});
