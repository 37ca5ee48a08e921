/**
 * Registration (docs/connectivity.md#registration, docs/connectivity.md#identity-and-selection): token exchange, the credentials Secret and its owner, reuse of the
 * same token without a second exchange, a refused token not retried, adoption, and only the oldest Cluster
 * honoured.
 */
import { describe, expect, test } from "bun:test";
import { CLUSTER } from "../../../src/api/groups";
import { credentialsFromSecret, encodeSecretData } from "../../../src/agent/credentials/credentials";
import { SECRET } from "../../../src/controllers/cluster/secrets";
import type { KubeObject } from "../../../src/kube/types";
import { tokenFingerprint } from "../../../src/security";
import { registerCluster } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { CLUSTER_NAME, clusterEvents, clusterObject, condition, createTokenSecret, getClusterObject, startAgent, waitForPhase, useAgentSuite } from "./harness";

const ns = useNamespace({ slug: "agent-registration" });
const suite = useAgentSuite();

describe("registration", () => {
  test("exchanges the token once, writes an owned credentials Secret and connects", async () => {
    const { token } = await suite.plane.admin.createRegistrationToken();
    await createTokenSecret(suite.cluster.client, ns.name, token);
    suite.running = await startAgent(suite.cluster, ns.name);
    await suite.cluster.client.create(CLUSTER, clusterObject(suite.plane));
    const connected = await waitForPhase(suite.cluster.client, "Connected");

    const secret = await suite.cluster.client.get(SECRET, "vworkspace-agent-credentials", { namespace: ns.name });
    const credentials = credentialsFromSecret(secret as never);
    expect(credentials?.clusterId).toBe(connected.spec.clusterId!);
    expect(credentials?.baseUrl).toBe(suite.plane.url);
    expect(secret.metadata.ownerReferences?.[0]?.uid).toBe(connected.metadata.uid!);
    const keypair = await suite.cluster.client.get(SECRET, "vworkspace-operator-keypair", { namespace: ns.name });
    expect(keypair.metadata.ownerReferences?.[0]?.uid).toBe(connected.metadata.uid!);
    expect(connected.status?.publicKey?.kid).toBeTruthy();
    expect(JSON.stringify(connected.status?.publicKey)).not.toContain('"d"');
    expect(condition(connected, "Authenticated")?.status).toBe("True");
    expect(condition(connected, "Connected")?.reason).toBe("RoundTripOK");
    expect(condition(connected, "Ignored")?.reason).toBe("Honoured");
    expect(connected.metadata.finalizers).toContain(CLUSTER.finalizer);

    const [registered] = (await suite.plane.admin.clusters()).filter((entry) => entry.clusterId === credentials?.clusterId);
    expect(registered?.publicKey?.kid).toBe(connected.status!.publicKey!.kid!);
    const events = await eventually(async () => {
      const found = await clusterEvents(suite.cluster.client, connected.metadata.uid!);
      return found.some((event) => event.reason === "Registered") ? found : undefined;
    }, { what: "Registered event" });
    expect(events.map((event) => event.reason)).toContain("InsecureControlPlaneEndpoint");

    // The same token again (operator restart): no second exchange, the single-use token is not replayed.
    await suite.running.stop();
    suite.running = await startAgent(suite.cluster, ns.name);
    await eventually(async () => (await getClusterObject(suite.cluster.client))?.status?.lastHeartbeat !== connected.status?.lastHeartbeat, { what: "heartbeat after restart" });
    const after = await getClusterObject(suite.cluster.client);
    expect(after?.status?.phase).toBe("Connected");
    expect(condition(after, "Authenticated")?.status).toBe("True");
    const metrics = await suite.running.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_agent_requests_total");
    expect(metrics).not.toContain('endpoint="register"');
  });

  test("an unknown token is refused with 401 once and not retried until the token Secret changes", async () => {
    await createTokenSecret(suite.cluster.client, ns.name, "vwksp-reg-unknown-token-0000");
    suite.running = await startAgent(suite.cluster, ns.name);
    await suite.cluster.client.create(CLUSTER, clusterObject(suite.plane));
    const failed = await waitForPhase(suite.cluster.client, "Error");
    expect(condition(failed, "Authenticated")?.reason).toBe("RegistrationFailed");
    // More reconciles (gate flips, heartbeats of the controller) must not resend the token.
    await suite.cluster.client.patch(CLUSTER, CLUSTER_NAME, { type: "merge", body: { metadata: { labels: { touched: "1" } } } });
    await eventually(async () => (await getClusterObject(suite.cluster.client))?.metadata.labels?.touched === "1", { what: "label seen" });
    const count = async () => {
      const text = await suite.running!.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_agent_requests_total");
      return Number(/endpoint="register",code="401"} (\d+)/.exec(text)?.[1] ?? "0");
    };
    expect(await count()).toBe(1);

    // A new valid token in the Secret is picked up.
    const { token } = await suite.plane.admin.createRegistrationToken();
    await suite.cluster.client.patch(SECRET, "registration", { type: "merge", body: { data: { registrationToken: Buffer.from(token).toString("base64") } } }, { namespace: ns.name });
    await waitForPhase(suite.cluster.client, "Connected");
  });

  test("an unbound token naming a cluster id the control plane already has is refused (409) once, not retried", async () => {
    const existing = await registerCluster(suite.plane);
    const { token } = await suite.plane.admin.createRegistrationToken();
    await createTokenSecret(suite.cluster.client, ns.name, token);
    suite.running = await startAgent(suite.cluster, ns.name);
    await suite.cluster.client.create(CLUSTER, clusterObject(suite.plane, { clusterId: existing.clusterId }));
    const failed = await waitForPhase(suite.cluster.client, "Error");
    expect(condition(failed, "Authenticated")?.reason).toBe("RegistrationFailed");
    await suite.cluster.client.patch(CLUSTER, CLUSTER_NAME, { type: "merge", body: { metadata: { labels: { touched: "1" } } } });
    await eventually(async () => (await getClusterObject(suite.cluster.client))?.metadata.labels?.touched === "1", { what: "label seen" });
    const text = await suite.running.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_agent_requests_total");
    expect(Number(/endpoint="register",code="409"} (\d+)/.exec(text)?.[1] ?? "0")).toBe(1);
  });

  test("adoption: a consumed token with a complete credentials Secret is recorded without calling the control plane", async () => {
    // A registration made before this operator ran (the Go operator's): the token is used up, the credentials
    // Secret holds the three Go keys and the status says consumed, but has no observedToken.
    const earlier = await registerCluster(suite.plane);
    await createTokenSecret(suite.cluster.client, ns.name, earlier.registrationToken);
    await suite.cluster.client.create(SECRET, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "vworkspace-agent-credentials", namespace: ns.name },
      data: encodeSecretData({ "control-plane-base-url": suite.plane.url, "cluster-id": earlier.clusterId, token: earlier.token }),
    });
    await suite.cluster.client.create(CLUSTER, clusterObject(suite.plane, { clusterId: earlier.clusterId }));
    await suite.cluster.client.patchStatus(CLUSTER, CLUSTER_NAME, {
      type: "merge",
      body: { status: { credentialStatus: { secretName: "vworkspace-agent-credentials", secretNamespace: ns.name, registrationTokenConsumed: true } } },
    });
    suite.running = await startAgent(suite.cluster, ns.name);

    const connected = await waitForPhase(suite.cluster.client, "Connected");
    expect(connected.status?.observedToken).toBe(tokenFingerprint(earlier.registrationToken));
    expect(condition(connected, "Authenticated")?.status).toBe("True");
    const metrics = await suite.running.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_agent_requests_total");
    expect(metrics).not.toContain('endpoint="register"');
    expect(metrics).toMatch(/endpoint="heartbeat",code="204"} [1-9]/);
    const secret = credentialsFromSecret((await suite.cluster.client.get(SECRET, "vworkspace-agent-credentials", { namespace: ns.name })) as never);
    expect([secret?.clusterId, secret?.token]).toEqual([earlier.clusterId, earlier.token]);
    const [adopted] = (await suite.plane.admin.clusters()).filter((entry) => entry.clusterId === earlier.clusterId);
    expect(adopted?.lastHeartbeatAt).not.toBeNull();
    expect(adopted?.activeTokens).toBe(1);
  });

  test("only the oldest Cluster is honoured; the younger one is Ignored and its token never sent", async () => {
    const { token } = await suite.plane.admin.createRegistrationToken();
    await createTokenSecret(suite.cluster.client, ns.name, token);
    await createTokenSecret(suite.cluster.client, ns.name, "vwksp-reg-never-sent-1111", "other-token");
    suite.running = await startAgent(suite.cluster, ns.name);
    await suite.cluster.client.create(CLUSTER, clusterObject(suite.plane));
    await waitForPhase(suite.cluster.client, "Connected");
    const younger: KubeObject = clusterObject(suite.plane, { registrationTokenSecretRef: { name: "other-token" } }, "vws-test-younger");
    await suite.cluster.client.create(CLUSTER, younger);
    const ignored = await waitForPhase(suite.cluster.client, "Ignored", "vws-test-younger");
    expect(condition(ignored, "Ignored")?.reason).toBe("DuplicateCluster");
    expect(condition(ignored, "Ignored")?.message).toContain(CLUSTER_NAME);
    const events = await eventually(async () => {
      const found = await clusterEvents(suite.cluster.client, ignored.metadata.uid!);
      return found.some((event) => event.reason === "DuplicateCluster") ? found : undefined;
    }, { what: "DuplicateCluster event" });
    expect(events.length).toBeGreaterThan(0);
    const text = await suite.running.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_agent_requests_total");
    expect(text).not.toContain('endpoint="register",code="401"');
    expect(ignored.metadata.finalizers ?? []).not.toContain(CLUSTER.finalizer);

    // Deleting the honoured Cluster promotes the younger one, which starts from its own spec.
    await suite.cluster.client.delete(CLUSTER, CLUSTER_NAME);
    await eventually(async () => (await getClusterObject(suite.cluster.client)) === undefined, { what: "honoured Cluster gone (finalizer removed)" });
    const promoted = await waitForPhase(suite.cluster.client, "Error", "vws-test-younger");
    expect(condition(promoted, "Ignored")?.reason).toBe("Honoured");
    expect(condition(promoted, "Authenticated")?.reason).toBe("RegistrationFailed");
  });
});
