import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { KubeClient } from "../../../src/kube/client";
import { LEASE_TYPE, LeaderElector, type Lease } from "../../../src/kube/leader";
import { getCluster } from "../../support/cluster";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";

const ns = useNamespace({ slug: "kube-leader" });
let client: KubeClient;
const electors: LeaderElector[] = [];

beforeAll(async () => {
  client = (await getCluster()).client;
});

afterEach(async () => {
  for (const elector of electors.splice(0)) await elector.stop({ release: false });
});

function elector(identity: string, log: string[]): LeaderElector {
  const created = new LeaderElector({
    client,
    namespace: ns.name,
    name: "vworkspace-operator",
    identity,
    leaseDurationMs: 3_000,
    renewDeadlineMs: 2_000,
    retryPeriodMs: 500,
    onStartedLeading: () => log.push(`${identity} started`),
    onStoppedLeading: () => log.push(`${identity} stopped`),
  });
  electors.push(created);
  return created;
}

async function leaseHolder(): Promise<string | undefined> {
  const lease = await client.get<Lease>(LEASE_TYPE, "vworkspace-operator", { namespace: ns.name });
  return lease.spec?.holderIdentity ?? undefined;
}

describe("leader election on a Lease", () => {
  test("one of two candidates leads; a graceful stop hands over at once", async () => {
    const log: string[] = [];
    const a = elector("a", log);
    const b = elector("b", log);
    a.start();
    await eventually(() => a.isLeader(), { what: "a leads" });
    b.start();
    await eventually(async () => b.holder() === "a", { what: "b observes a as holder" });
    expect(b.isLeader()).toBe(false);
    expect(await leaseHolder()).toBe("a");

    await a.stop();
    expect(a.isLeader()).toBe(false);
    await eventually(() => b.isLeader(), { what: "b takes over after a released the lease" });
    expect(await leaseHolder()).toBe("b");
    expect(log).toEqual(["a started", "a stopped", "b started"]);
    const lease = await client.get<Lease>(LEASE_TYPE, "vworkspace-operator", { namespace: ns.name });
    expect(lease.spec?.leaseTransitions).toBe(1);
  });

  test("a holder that stops renewing without releasing is replaced after the lease expires", async () => {
    const log: string[] = [];
    const a = elector("a", log);
    const b = elector("b", log);
    a.start();
    await eventually(() => a.isLeader(), { what: "a leads" });
    b.start();
    await eventually(() => b.holder() === "a", { what: "b observes a" });
    await a.stop({ release: false }); // like a killed process: the lease keeps naming a
    expect(await leaseHolder()).toBe("a");
    await eventually(() => b.isLeader(), { what: "b takes over after expiry" });
    expect(await leaseHolder()).toBe("b");
  });
});
