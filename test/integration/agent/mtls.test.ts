/**
 * mTLS and CA pinning (docs/connectivity.md#mtls-and-ca-pinning) against the reference control plane with `--client-ca`: with the
 * client certificate and the pinned CA everything works; without the certificate the server refuses the
 * handshake; a bundle holding another CA makes the agent refuse the server; a key that does not match its
 * certificate is TLSConfigInvalid before any connection is attempted; a changed CA bundle or client certificate
 * Secret is used without a restart.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { issueCert } from "../../../scripts/lib/pki";
import { CLUSTER } from "../../../src/api/groups";
import { SECRET } from "../../../src/controllers/cluster/secrets";
import { getCluster, type TestCluster } from "../../support/cluster";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { clusterObject, condition, configMap, createTokenSecret, deleteClusters, finishAgentTest, getClusterObject, resultOf, startAgent, waitForPhase, type AgentRun } from "./harness";

const ns = useNamespace({ slug: "agent-mtls" });
let cluster: TestCluster;
let plane: RefControlPlane;
let running: AgentRun | undefined;

beforeAll(async () => {
  cluster = await getCluster();
  await deleteClusters(cluster.client);
  plane = await startRefControlPlane({ mtls: true });
});

afterEach(async () => {
  const finished = running;
  running = undefined;
  await finishAgentTest(cluster, finished);
});

afterAll(async () => {
  await plane.stop();
});

async function tlsSecret(name: string, data: Record<string, string>): Promise<void> {
  const encoded = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString("base64")]));
  await cluster.client.create(SECRET, { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns.name }, data: encoded });
}

async function updateTlsSecret(name: string, data: Record<string, string>): Promise<void> {
  const encoded = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString("base64")]));
  await cluster.client.patch(SECRET, name, { type: "merge", body: { data: encoded } }, { namespace: ns.name });
}

async function registerCount(run: AgentRun): Promise<Record<string, number>> {
  const text = await run.operator.metrics.registry.getSingleMetricAsString("vworkspace_operator_agent_requests_total");
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/endpoint="register",code="([^"]+)"} (\d+)/g)) counts[match[1]!] = Number(match[2]);
  return counts;
}

async function startWith(security: Record<string, unknown>): Promise<void> {
  const { token } = await plane.admin.createRegistrationToken();
  await createTokenSecret(cluster.client, ns.name, token);
  running = await startAgent(cluster, ns.name);
  await cluster.client.create(CLUSTER, clusterObject(plane, { security }));
}

/** A client certificate the plane trusts in cp-client, the plane's CA in cp-ca, both referenced by the Cluster. */
async function startWithTrustedTls(): Promise<void> {
  const client = await plane.pki!.clientCert("cluster-agent");
  await tlsSecret("cp-client", { "tls.crt": client.certPem, "tls.key": client.keyPem });
  await tlsSecret("cp-ca", { "ca.crt": plane.caPem! });
  await startWith({ mtls: { secretRef: { name: "cp-client" } }, caBundleSecretRef: { name: "cp-ca" } });
}

describe("mTLS", () => {
  test("client certificate and pinned CA: registration, jobs and heartbeats work", async () => {
    await startWithTrustedTls();
    const connected = await waitForPhase(cluster.client, "Connected");
    const { id } = await plane.admin.enqueueJob(connected.spec.clusterId!, { kind: "apply", payload: configMap(ns.name, "over-mtls", { a: "1" }) });
    expect((await resultOf(plane, id)).outcome).toBe("succeeded");
  });

  test("without a client certificate the server refuses the handshake", async () => {
    await tlsSecret("cp-ca", { "ca.crt": plane.caPem! });
    await startWith({ caBundleSecretRef: { name: "cp-ca" } });
    await eventually(async () => Object.keys(await registerCount(running!)).some((code) => code === "tls" || code === "network"), { what: "register refused at the transport" });
    const pending = await getClusterObject(cluster.client);
    expect(pending?.status?.phase ?? "Pending").toBe("Pending");
    expect(condition(pending, "Connected")?.reason ?? "RegistrationPending").toBe("RegistrationPending");
    expect((await registerCount(running!))["200"]).toBeUndefined();
  });

  test("a CA bundle holding another CA makes the agent refuse the server", async () => {
    const client = await plane.pki!.clientCert("cluster-agent");
    await tlsSecret("cp-client", { "tls.crt": client.certPem, "tls.key": client.keyPem });
    await tlsSecret("cp-ca", { "ca.crt": plane.pki!.rogueCa.certPem });
    await startWith({ mtls: { secretRef: { name: "cp-client" } }, caBundleSecretRef: { name: "cp-ca" } });
    await eventually(async () => (await registerCount(running!)).tls ?? 0, { what: "register refused by the agent's TLS check" });
    expect((await registerCount(running!))["200"]).toBeUndefined();
  });

  test("a key that does not match its certificate is TLSConfigInvalid and nothing is sent", async () => {
    const client = await plane.pki!.clientCert("cluster-agent");
    const other = await issueCert(plane.pki!.clientCa, { cn: "someone-else", usage: "client" });
    await tlsSecret("cp-client", { "tls.crt": client.certPem, "tls.key": other.keyPem });
    await tlsSecret("cp-ca", { "ca.crt": plane.caPem! });
    await startWith({ mtls: { secretRef: { name: "cp-client" } }, caBundleSecretRef: { name: "cp-ca" } });
    const invalid = await waitForPhase(cluster.client, "Error");
    expect(condition(invalid, "Connected")).toMatchObject({ status: "False", reason: "TLSConfigInvalid" });
    expect(condition(invalid, "Connected")?.message).toContain("does not match");
    expect(await registerCount(running!)).toEqual({});
  });

  test("a changed CA bundle or client certificate Secret is used without a restart", async () => {
    await startWithTrustedTls();
    const connected = await waitForPhase(cluster.client, "Connected");

    // Another CA in the bundle: the agent stops trusting the server; the right one again: it reconnects.
    await updateTlsSecret("cp-ca", { "ca.crt": plane.pki!.rogueCa.certPem });
    const untrusted = await waitForPhase(cluster.client, "Disconnected");
    expect(condition(untrusted, "Connected")).toMatchObject({ status: "False", reason: "TLSHandshakeFailed" });
    expect(condition(untrusted, "Authenticated")?.status).toBe("True");
    await updateTlsSecret("cp-ca", { "ca.crt": plane.caPem! });
    await waitForPhase(cluster.client, "Connected");

    // A client certificate the server does not trust: it refuses the handshake; a renewed good one works.
    const rogue = await issueCert(plane.pki!.rogueCa, { cn: "cluster-agent", usage: "client" });
    await updateTlsSecret("cp-client", { "tls.crt": rogue.certPem, "tls.key": rogue.keyPem });
    await waitForPhase(cluster.client, "Disconnected");
    const renewed = await plane.pki!.clientCert("cluster-agent-renewed");
    await updateTlsSecret("cp-client", { "tls.crt": renewed.certPem, "tls.key": renewed.keyPem });
    await waitForPhase(cluster.client, "Connected");
    const { id } = await plane.admin.enqueueJob(connected.spec.clusterId!, { kind: "apply", payload: configMap(ns.name, "after-reload", { a: "1" }) });
    expect((await resultOf(plane, id)).outcome).toBe("succeeded");
  });
});
