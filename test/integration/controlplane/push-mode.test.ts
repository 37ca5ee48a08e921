/**
 * The reference control plane in Push mode (docs/connectivity.md#one-control-plane-three-modes), against a private
 * API server with the chart's Push RBAC and a kubeconfig from `push-kubeconfig` (TokenRequest): `enqueue` applies
 * as `vworkspace-odoo` through that kubeconfig, a field owned by another manager is a 409 conflict that is never
 * forced, a delete deletes; and for a cluster without a status channel the plane's own watch stores the same
 * event records as a real agent's status channel sends for the same objects.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { DEFAULT_AGENT_CONFIG } from "../../../src/agent/config";
import { APPLICATION_INSTANCE, CLUSTER } from "../../../src/api/groups";
import { AdminApiError } from "../../../src/controlplane/admin-client";
import { clusterController } from "../../../src/controllers/cluster/controller";
import { SECRET } from "../../../src/controllers/cluster/secrets";
import { applyObject } from "../../../src/kube/apply";
import { resolveKubeConfig } from "../../../src/kube/config";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import type { AgentEvent } from "../../../src/protocol";
import { runCli } from "../../support/cli";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { eventually } from "../../support/eventually";
import { GATE_LABEL } from "../../support/namespace";
import { startOperatorInProcess, type InProcessOperator } from "../../support/operator";
import { startPrivatePlane, type PrivatePlane } from "../../support/private-plane";
import { bindControlPlane, installPushAccess } from "../../support/push-access";

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const OPERATOR_NAMESPACE = "vws-system";
const TENANT = "tenant-a";
const PUSH_CLUSTER = "edge-push";

let dir: string;
let api: PrivatePlane;
let plane: RefControlPlane;
let kubeconfig: string;
let token: string;

function instance(name: string, catalogId: string): KubeObject {
  return { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", metadata: { name, namespace: TENANT }, spec: { appRef: { catalogId }, mode: "placeholder" } };
}

const admin = () => [`--url=${plane.url}`, `--admin-token=${plane.adminToken}`];

function managers(object: KubeObject): string[] {
  return (object.metadata.managedFields ?? []).map((entry) => (entry as { manager?: string }).manager ?? "").sort();
}

async function setConditions(name: string, conditions: { type: string; status: string; reason: string }[]): Promise<void> {
  const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const body = { status: { conditions: conditions.map((item) => ({ ...item, message: `${item.type} is ${item.status}`, lastTransitionTime: at })) } };
  await api.client.patchStatus(APPLICATION_INSTANCE, name, { type: "merge", body }, { namespace: TENANT });
}

/** An event as stored, without the send time (the one member the two paths set differently). */
function comparable(event: AgentEvent): Omit<AgentEvent, "timestamp"> {
  const { timestamp: _timestamp, ...rest } = event as AgentEvent & { seq?: number };
  delete (rest as { seq?: number }).seq;
  return rest;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vws-cp-push-"));
  api = await startPrivatePlane("cp-push");
  await api.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: OPERATOR_NAMESPACE } });
  await api.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: TENANT, labels: { [GATE_LABEL.key]: GATE_LABEL.value } } });
  await installPushAccess(api.client, OPERATOR_NAMESPACE, { tokenSecret: false });
  await bindControlPlane(api.client, TENANT, OPERATOR_NAMESPACE);
  const caFile = join(dir, "ca.crt");
  writeFileSync(caFile, resolveKubeConfig({ kubeconfigPath: api.kubeconfigPath, env: {} }).caPem as string);
  const issued = await runCli("push-kubeconfig", `--kubeconfig=${api.kubeconfigPath}`, `--namespace=${OPERATOR_NAMESPACE}`, "--token-source=request", "--duration=1h", `--ca-file=${caFile}`);
  expect(issued.code).toBe(0);
  kubeconfig = issued.stdout;
  token = YAML.parse(kubeconfig).users[0].user.token as string;
  plane = await startRefControlPlane({ settings: { statusWatchTimeoutSeconds: 10 } });
}, 120_000);

afterAll(async () => {
  await plane?.stop();
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a Push cluster", () => {
  test("set-mode stores the kubeconfig and, with no agent token, watches status; nothing answers or logs the token", async () => {
    const file = join(dir, "push.kubeconfig");
    writeFileSync(file, kubeconfig, { mode: 0o600 });
    const set = await runCli("control-plane", "set-mode", ...admin(), `--cluster-id=${PUSH_CLUSTER}`, "--mode=push", `--kubeconfig=${file}`);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(`${PUSH_CLUSTER}  push    status=watch  server=${api.plane.apiUrl}`);
    const listed = await runCli("control-plane", "clusters", ...admin(), "--json");
    expect(JSON.parse(listed.stdout.trim())).toMatchObject({ clusterId: PUSH_CLUSTER, mode: "push", statusSource: "watch", push: { server: api.plane.apiUrl }, gitops: null });
    expect(`${set.stdout}${set.stderr}${listed.stdout}`).not.toContain(token);
  });

  test("enqueue --apply server-side applies as vworkspace-odoo with the control-plane labels; the job is closed with its result", async () => {
    const manifest = join(dir, "shop.json");
    writeFileSync(manifest, JSON.stringify(instance("shop", "v1")));
    const applied = await runCli("control-plane", "enqueue", ...admin(), `--cluster-id=${PUSH_CLUSTER}`, `--apply=${manifest}`, "--wait-result=10s");
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    const [jobId, resultLine] = applied.stdout.trim().split("\n");
    const live = await api.client.get(APPLICATION_INSTANCE, "shop", { namespace: TENANT });
    expect(JSON.parse(resultLine as string)).toMatchObject({ outcome: "succeeded", appliedRef: { kind: "ApplicationInstance", namespace: TENANT, name: "shop", uid: live.metadata.uid, generation: 1 } });
    expect(managers(live)).toEqual(["vworkspace-odoo"]);
    expect(live.metadata.labels).toEqual({ "app.vworkspace.io/managed-by": "control-plane", "app.vworkspace.io/cluster-id": PUSH_CLUSTER });
    expect(await plane.admin.job(jobId as string)).toMatchObject({ clusterId: PUSH_CLUSTER, state: "closed", deliveries: 0 });
  });

  test("a field another manager owns is a 409 FieldManagerConflict naming it, never forced; enqueue exits 1", async () => {
    await applyObject(api.client, APPLICATION_INSTANCE, { ...instance("contested", "theirs"), metadata: { name: "contested", namespace: TENANT } }, { fieldManager: "vws-test-other" });
    const manifest = join(dir, "contested.json");
    writeFileSync(manifest, JSON.stringify(instance("contested", "ours")));
    const cli = await runCli("control-plane", "enqueue", ...admin(), `--cluster-id=${PUSH_CLUSTER}`, `--apply=${manifest}`, "--wait-result=10s");
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain("409 FieldManagerConflict");
    expect(cli.stderr).toContain("vws-test-other");
    const error = await plane.admin.enqueueJob(PUSH_CLUSTER, { kind: "apply", payload: instance("contested", "ours") }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AdminApiError);
    expect(error).toMatchObject({ status: 409, code: "FieldManagerConflict" });
    const [last] = (await plane.admin.jobs(PUSH_CLUSTER)).slice(-1);
    expect(last?.result).toMatchObject({ outcome: "conflict", errorCode: "FieldManagerConflict", conflicts: [{ manager: "vws-test-other", field: ".spec.appRef.catalogId" }] });
    const live = await api.client.get<KubeObject & { spec: { appRef: { catalogId: string } } }>(APPLICATION_INSTANCE, "contested", { namespace: TENANT });
    expect(live.spec.appRef.catalogId).toBe("theirs");
    expect(managers(live)).toEqual(["vws-test-other"]);
  });

  test("RBAC decides what the kubeconfig may write: an ungated namespace is failed/Forbidden", async () => {
    await api.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "open" } });
    const job = await plane.admin.enqueueJob(PUSH_CLUSTER, { kind: "apply", payload: { ...instance("x", "v1"), metadata: { name: "x", namespace: "open" } } });
    expect(await plane.admin.jobResult(job.id)).toMatchObject({ outcome: "failed", errorCode: "Forbidden" });
  });

  test("enqueue --delete deletes the object", async () => {
    const deleted = await runCli("control-plane", "enqueue", ...admin(), `--cluster-id=${PUSH_CLUSTER}`, `--delete=apps.vworkspace.io/ApplicationInstance/${TENANT}/contested`, "--wait-result=10s");
    expect(deleted.code).toBe(0);
    const gone = await api.client.get(APPLICATION_INSTANCE, "contested", { namespace: TENANT }).then(() => false, () => true);
    expect(gone).toBe(true);
  });

  describe("status without a status channel", () => {
    let operator: InProcessOperator | undefined;
    afterAll(async () => {
      await operator?.stop();
    });

    test("the plane's watch stores the same ConditionTransition records as the agent's status channel sends", async () => {
      // A real agent on the same API server, registered as another cluster, observes the same instance.
      const { token: registrationToken } = await plane.admin.createRegistrationToken();
      await api.client.create(SECRET, { apiVersion: "v1", kind: "Secret", metadata: { name: "registration", namespace: OPERATOR_NAMESPACE }, data: { registrationToken: Buffer.from(registrationToken).toString("base64") } });
      operator = await startOperatorInProcess({
        kubeconfigPath: api.kubeconfigPath,
        config: { watchNamespaces: [OPERATOR_NAMESPACE, TENANT], namespace: OPERATOR_NAMESPACE, agent: { ...DEFAULT_AGENT_CONFIG, heartbeatIntervalOverrideMs: 1_000, eventFlushMs: 200 } },
        controllers: [clusterController],
      });
      await api.client.create(CLUSTER, { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: "vws-agent" }, spec: { controlPlaneEndpoint: plane.url, registrationTokenSecretRef: { name: "registration" } } });
      const agentCluster = await eventually(async () => {
        const found = await api.client.get<KubeObject & { spec: { clusterId?: string }; status?: { phase?: string } }>(CLUSTER, "vws-agent");
        return found.status?.phase === "Connected" ? found.spec.clusterId : undefined;
      }, { what: "the agent's Cluster Connected", timeoutMs: 60_000 });

      await setConditions("shop", [{ type: "Ready", status: "False", reason: "Progressing" }]);
      await setConditions("shop", [{ type: "Ready", status: "True", reason: "Ready" }]);
      const live = await api.client.get(APPLICATION_INSTANCE, "shop", { namespace: TENANT });
      const keys = ["False", "True"].map((status) => `condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/${TENANT}/shop/${live.metadata.uid}/Ready/${status}@1`);
      const recorded = async (clusterId: string) => {
        const { events } = await plane.admin.events({ clusterId, kind: "ApplicationInstance", name: "shop" });
        return keys.every((key) => events.some((event) => event.eventKey === key)) ? events : undefined;
      };
      const [watched, sent] = await Promise.all([
        eventually(() => recorded(PUSH_CLUSTER), { what: "the watch's records of both transitions", timeoutMs: 30_000 }),
        eventually(() => recorded(agentCluster as string), { what: "the agent's records of both transitions", timeoutMs: 30_000 }),
      ]);
      expect(watched.map((event) => event.eventKey)).toEqual(keys);
      expect(watched.map(comparable)).toEqual(sent.map(comparable));
      expect(watched[1]).toMatchObject({ kind: "ConditionTransition", resourceRef: { uid: live.metadata.uid, generation: 1 }, conditions: [{ type: "Ready", status: "True", reason: "Ready" }] });
      plane.logs.assertNoSecrets([token]);
    }, 120_000);

    test("a restarted plane resumes its watch from the database: a transition made while it was down is recorded once", async () => {
      await plane.restart(() => setConditions("shop", [{ type: "Ready", status: "True", reason: "Ready" }, { type: "Reconciling", status: "True", reason: "Progressing" }]));
      const live = await api.client.get(APPLICATION_INSTANCE, "shop", { namespace: TENANT });
      const key = `condition/apps.vworkspace.io/v1alpha1/ApplicationInstance/${TENANT}/shop/${live.metadata.uid}/Reconciling/True@1`;
      const stored = await eventually(async () => {
        const { events } = await plane.admin.events({ clusterId: PUSH_CLUSTER, kind: "ApplicationInstance", name: "shop" });
        return events.some((event) => event.eventKey === key) ? events : undefined;
      }, { what: "the Reconciling transition made while the plane was down", timeoutMs: 30_000 });
      // The watch's first list replays Ready=True too; its key is stored already, so it is not stored twice.
      expect(stored.map((event) => event.eventKey).filter((eventKey) => eventKey?.includes("/Ready/True@1") || eventKey === key)).toHaveLength(2);
    }, 60_000);
  });
});
