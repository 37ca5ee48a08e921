/**
 * `control-plane demo`: one command that runs the reference control plane and the operator in-process, registers
 * the cluster of the current kubeconfig through pull mode, deploys an ApplicationInstance with a signed, encrypted
 * intent, shows the result and progress, then removes what it created (unless --keep).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cluster } from "../../api/cluster";
import { APPLICATION_INSTANCE, CLUSTER } from "../../api/groups";
import { FlagError, parseFlags, renderFlagHelp, type FlagSpec } from "../../commandline/flags";
import type { CommandIO, Env } from "../../commandline/command";
import { DEFAULT_CONTROLLERS } from "../../controllers";
import { SECRET } from "../../controllers/cluster/secrets";
import type { KubeClient } from "../../kube/client";
import { classifyError } from "../../kube/errors";
import { DEFAULT_AGENT_CONFIG } from "../../agent/config";
import { operatorConfig } from "../../manager/config";
import { NAMESPACE_TYPE } from "../../api/gate";
import { createOperator, type Operator } from "../../manager/operator";
import { createLogger } from "../../observability/logger";
import { DEFAULT_WEBHOOK_CONFIG } from "../../webhook/config";
import { AdminClient } from "../admin-client";
import { CONTROL_PLANE_DEFAULTS } from "../config";
import { startControlPlane, type RunningControlPlane } from "../server";
import { clusterObject, DEMO_CLUSTER_NAME, DEMO_TOKEN_SECRET, demoInstance, namespaceObject, registrationSecret } from "./demo-objects";
import { waitForResult } from "./enqueue";

const DEMO_FLAGS: FlagSpec[] = [
  { name: "kubeconfig", type: "string", env: "KUBECONFIG", help: "kubeconfig of the cluster to register" },
  { name: "operator-namespace", type: "string", default: "vworkspace-system", help: "namespace of the agent's Secrets" },
  { name: "namespace", type: "string", default: "vworkspace-demo", help: "gated namespace the instance is deployed into" },
  { name: "instance", type: "string", default: "demo-podinfo", help: "name of the ApplicationInstance" },
  { name: "timeout", type: "duration", default: "2m", help: "how long to wait for each step" },
  { name: "keep", type: "bool", default: "false", help: "leave the Cluster, instance and Secrets in place" },
  { name: "log-level", type: "string", default: "warn", help: "log level of the in-process operator and plane (stderr)" },
];

class DemoError extends Error {
  override name = "DemoError";
}

/** Retries `probe` (errors included: a fresh API server may still be initialising) until it yields a value. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new DemoError(`${what}: not reached within ${Math.round(timeoutMs / 1000)}s${lastError ? ` (last error: ${lastError})` : ""}`);
    await Bun.sleep(500);
  }
}

async function getOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (classifyError(err) === "notFound") return undefined;
    throw err;
  }
}

/** Creates the namespace when absent; returns whether the demo created it. */
async function ensureNamespace(client: KubeClient, name: string, gated: boolean): Promise<boolean> {
  const existing = await getOrUndefined(() => client.get(NAMESPACE_TYPE, name));
  if (existing) {
    const labels = existing.metadata.labels ?? {};
    if (gated && labels["managed-by"] !== "vworkspace" && labels["app.vworkspace.io/managed-by"] !== "vworkspace") {
      throw new DemoError(`namespace ${name} exists but is not gated; label it managed-by=vworkspace or pick another --namespace`);
    }
    return false;
  }
  await client.create(NAMESPACE_TYPE, namespaceObject(name, gated));
  return true;
}

interface DemoRun {
  io: CommandIO;
  timeoutMs: number;
  client: KubeClient;
  admin: AdminClient;
  plane: RunningControlPlane;
  operatorNamespace: string;
  namespace: string;
  instance: string;
}

async function register(run: DemoRun): Promise<string> {
  const { io, client, admin, plane } = run;
  const existing = (await until("Cluster API served", run.timeoutMs, () => client.list(CLUSTER))).items;
  if (existing.length > 0) {
    throw new DemoError(`Cluster ${existing.map((item) => item.metadata.name).join(", ")} already exists; only the oldest is honoured, so the demo needs a cluster without one`);
  }
  const { token } = await admin.createRegistrationToken(undefined, 600);
  await client.create(SECRET, registrationSecret(run.operatorNamespace, token));
  io.out(`• registration token stored in Secret ${run.operatorNamespace}/${DEMO_TOKEN_SECRET}`);
  await client.create(CLUSTER, clusterObject(plane.url));
  io.out(`• Cluster ${DEMO_CLUSTER_NAME} created (pull mode, signing enforce, endpoint ${plane.url})`);
  const connected = await until("Cluster Connected", run.timeoutMs, async () => {
    const cluster = await client.get<Cluster>(CLUSTER, DEMO_CLUSTER_NAME);
    return cluster.status?.phase === "Connected" ? cluster : undefined;
  });
  const clusterId = connected.spec.clusterId as string;
  const registered = (await admin.clusters()).find((cluster) => cluster.clusterId === clusterId);
  io.out(`• registered: cluster id ${clusterId}, phase Connected, public key ${registered?.publicKey ? registered.publicKey.kid : "none"}`);
  return clusterId;
}

async function deploy(run: DemoRun, clusterId: string): Promise<void> {
  const { io, admin } = run;
  const encrypt = Boolean((await admin.clusters()).find((cluster) => cluster.clusterId === clusterId)?.publicKey);
  const job = await admin.enqueueJob(
    clusterId,
    { kind: "intent", payload: { intent: "ensure-application-instance", applicationInstance: demoInstance(run.namespace, run.instance) }, idempotencyKey: `demo/${run.namespace}/${run.instance}` },
    { sign: true, encrypt },
  );
  io.out(`• job ${job.id} enqueued: ensure-application-instance ${run.namespace}/${run.instance} (signed${encrypt ? ", encrypted" : ""})`);
  const result = await waitForResult(admin, job.id, run.timeoutMs);
  if (!result) throw new DemoError(`no result for job ${job.id}`);
  io.out(`• result: ${JSON.stringify(result)}`);
  if (result.outcome !== "succeeded") throw new DemoError(`the agent answered ${result.outcome}`);
  const seen = new Set<string>();
  const deadline = Date.now() + run.timeoutMs;
  while (Date.now() < deadline) {
    const record = await admin.job(job.id);
    for (const status of record.statuses) {
      const conditions = (status.conditions ?? []).map((condition) => `${condition.type}=${condition.status}${condition.reason ? `/${condition.reason}` : ""}`);
      const line = [status.phase, status.message, conditions.join(", ")].filter(Boolean).join(" — ");
      if (!seen.has(line)) io.out(`• status: ${line}`);
      seen.add(line);
    }
    if (record.statuses.some((status) => ["Ready", "Failed", "Abandoned"].includes(status.phase))) return;
    await Bun.sleep(1000);
  }
  io.out("• the instance did not reach a terminal phase in time (are the Flux controllers running?)");
}

async function cleanUp(run: DemoRun, clusterId: string | undefined, createdNamespace: boolean): Promise<void> {
  const { io, client, admin } = run;
  if (clusterId) {
    const job = await admin.enqueueJob(clusterId, { kind: "intent", payload: { intent: "delete-application-instance", name: run.instance, namespace: run.namespace } });
    const result = await waitForResult(admin, job.id, run.timeoutMs);
    io.out(`• delete-application-instance: ${result ? result.outcome : "no result"}`);
  }
  await client.delete(CLUSTER, DEMO_CLUSTER_NAME).catch(() => undefined);
  await until("Cluster removed", run.timeoutMs, async () => ((await getOrUndefined(() => client.get(CLUSTER, DEMO_CLUSTER_NAME))) ? undefined : true));
  await client.delete(SECRET, DEMO_TOKEN_SECRET, { namespace: run.operatorNamespace }).catch(() => undefined);
  if (createdNamespace) {
    await until("ApplicationInstance removed", run.timeoutMs, async () =>
      (await getOrUndefined(() => client.get(APPLICATION_INSTANCE, run.instance, { namespace: run.namespace }))) ? undefined : true,
    );
    await client.delete(NAMESPACE_TYPE, run.namespace).catch(() => undefined);
  }
  io.out("• cleaned up the Cluster, the registration Secret and the demo namespace");
}

export async function demoCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`Usage: vworkspace-operator control-plane demo [flags]\n\nFlags:\n${renderFlagHelp(DEMO_FLAGS)}`);
    return 0;
  }
  const parsed = parseFlags(args, DEMO_FLAGS, env);
  if (parsed.positionals.length > 0) throw new FlagError(`unexpected argument "${parsed.positionals[0]}"`);
  const get = (name: string) => parsed.values.get(name);
  const logger = createLogger({ name: "demo", level: get("log-level") as string, destination: { write: (line: string) => process.stderr.write(line) } });
  const dir = mkdtempSync(join(tmpdir(), "vws-demo-"));
  const adminToken = crypto.randomUUID();
  const plane = await startControlPlane({ ...CONTROL_PLANE_DEFAULTS, hostname: "127.0.0.1", port: 0, db: join(dir, "cp.sqlite"), gitopsDir: join(dir, "gitops"), adminToken }, logger);
  io.out(`• reference control plane on ${plane.url} (SQLite in ${dir})`);
  const operatorNamespace = get("operator-namespace") as string;
  const namespace = get("namespace") as string;
  const kubeconfig = get("kubeconfig") as string | undefined;
  const config = operatorConfig({
    ...(kubeconfig ? { kubeconfig } : {}),
    namespace: operatorNamespace,
    watchNamespaces: [operatorNamespace, namespace],
    healthProbeBindAddress: "127.0.0.1:0",
    metricsBindAddress: "127.0.0.1:0",
    webhook: { ...DEFAULT_WEBHOOK_CONFIG, enabled: false },
    agent: { ...DEFAULT_AGENT_CONFIG, pollIntervalMs: 5_000 },
  });
  let operator: Operator | undefined;
  let clusterId: string | undefined;
  let createdNamespace = false;
  const run: Partial<DemoRun> = { io, timeoutMs: get("timeout") as number, admin: new AdminClient({ url: plane.url, adminToken }), plane, operatorNamespace, namespace, instance: get("instance") as string };
  try {
    operator = createOperator(config, { logger, env, controllers: [...DEFAULT_CONTROLLERS] });
    run.client = operator.client;
    await ensureNamespace(operator.client, operatorNamespace, false);
    createdNamespace = await ensureNamespace(operator.client, namespace, true);
    io.out(`• namespace ${namespace} ${createdNamespace ? "created and gated (managed-by=vworkspace, an admin's step)" : "already gated"}`);
    await operator.start();
    io.out("• operator started in-process (ApplicationInstance and Cluster controllers)");
    clusterId = await register(run as DemoRun);
    await deploy(run as DemoRun, clusterId);
    return 0;
  } catch (err) {
    io.err(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    if (run.client && get("keep") !== true) await cleanUp(run as DemoRun, clusterId, createdNamespace).catch((err) => io.err(`clean-up incomplete: ${err instanceof Error ? err.message : String(err)}`));
    await operator?.stop();
    await plane.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
