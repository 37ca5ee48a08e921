/**
 * Credential rotation (docs/connectivity.md#credential-rotation): by spec flag and by intent, confirmed with the new token, the
 * previous token dropped, every loop on the new token, a unique CredentialRotated event per rotation.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { CLUSTER } from "../../../src/api/groups";
import { credentialsFromSecret } from "../../../src/agent/credentials/credentials";
import { SECRET } from "../../../src/controllers/cluster/secrets";
import { getCluster, type TestCluster } from "../../support/cluster";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { CLUSTER_NAME, clusterEvents, configMap, deleteClusters, finishAgentTest, getClusterObject, registeredAgent, resultOf, type AgentRun } from "./harness";

const ns = useNamespace({ slug: "agent-rotation" });
let cluster: TestCluster;
let plane: RefControlPlane;
let running: AgentRun | undefined;

beforeAll(async () => {
  cluster = await getCluster();
  await deleteClusters(cluster.client);
  plane = await startRefControlPlane({ settings: { rotationGraceMs: 0 } });
});

afterEach(async () => {
  const finished = running;
  running = undefined;
  await finishAgentTest(cluster, finished);
});

afterAll(async () => {
  await plane.stop();
});

async function credentials() {
  return credentialsFromSecret(await cluster.client.get(SECRET, "vworkspace-agent-credentials", { namespace: ns.name }) as never);
}

describe("rotation", () => {
  test("spec flag and intent each rotate once; the old token is dead at once and nothing stalls", async () => {
    const agent = await registeredAgent(cluster, plane, ns.name);
    running = agent.running;
    const original = (await credentials())!;

    await cluster.client.patch(CLUSTER, CLUSTER_NAME, { type: "merge", body: { spec: { rotateCredentials: true } } });
    const rotated = await eventually(async () => {
      const found = await getClusterObject(cluster.client);
      if (found?.spec.rotateCredentials === false && found.status?.credentialStatus?.lastRotatedAt) return found;
      throw new Error(`rotateCredentials=${found?.spec.rotateCredentials} credentialStatus=${JSON.stringify(found?.status?.credentialStatus)} phase=${found?.status?.phase}`);
    }, { what: "rotation confirmed and the spec flag reset" });
    const afterSpec = (await credentials())!;
    expect(afterSpec.token).not.toBe(original.token);
    expect(afterSpec.previousToken).toBeUndefined();
    expect(rotated.status?.phase).toBe("Connected");

    // With a grace of 0 the old token is already rejected: the poller must be on the new one.
    const { id } = await plane.admin.enqueueJob(agent.clusterId, { kind: "apply", payload: configMap(ns.name, "after-rotation", { a: "1" }) });
    expect((await resultOf(plane, id)).outcome).toBe("succeeded");

    const intent = await plane.admin.enqueueJob(agent.clusterId, { kind: "intent", payload: { intent: "rotate-operator-credentials" } });
    const result = await resultOf(plane, intent.id);
    expect(result.outcome).toBe("succeeded");
    expect(result.appliedRef).toMatchObject({ kind: "Cluster", name: CLUSTER_NAME, uid: rotated.metadata.uid! });
    const afterIntent = (await credentials())!;
    expect(afterIntent.token).not.toBe(afterSpec.token);

    const keys = await eventually(async () => {
      const { events } = await plane.admin.events({ clusterId: agent.clusterId, eventKind: "CredentialRotated" });
      return events.length >= 2 ? events.map((event) => event.eventKey) : undefined;
    }, { what: "two CredentialRotated events" });
    expect(new Set(keys).size).toBe(2);
    expect(keys.every((key) => key?.startsWith(`CredentialRotated/${rotated.metadata.uid}/Authenticated/`))).toBe(true);
    await eventually(async () => (await clusterEvents(cluster.client, rotated.metadata.uid!)).some((event) => event.reason === "CredentialRotated"), { what: "CredentialRotated Kubernetes Event" });
    const rotations = await running.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_credential_rotations_total");
    expect(rotations).toContain('trigger="spec",result="confirmed"} 1');
    expect(rotations).toContain('trigger="intent",result="confirmed"} 1');
    expect((await getClusterObject(cluster.client))?.status?.phase).toBe("Connected");
  });
});
