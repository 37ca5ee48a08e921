/**
 * `register`: break-glass registration (issue 5 item 6). Stores the one-time token in a Secret of the operator
 * namespace, creates (or points) the Cluster object at the control plane, forces a re-exchange when the Cluster
 * already exists, and follows its status until it is registered, fails, or the timeout passes. The token is
 * never printed.
 */
import type { Cluster } from "../api/cluster";
import { CLUSTER } from "../api/groups";
import { ANNOTATION_ROTATE_CREDENTIALS } from "../api/labels";
import { KubeClient } from "../kube/client";
import { connectionFrom, resolveKubeConfig } from "../kube/config";
import { classifyError } from "../kube/errors";
import type { Condition, KubeObject } from "../kube/types";
import { SECRET } from "../controllers/cluster/secrets";
import { FlagError, parseFlags, renderFlagHelp, type FlagSpec } from "../commandline/flags";
import type { CommandIO, Env } from "../commandline/command";

const FLAGS: FlagSpec[] = [
  { name: "token", type: "string", env: "VWORKSPACE_REGISTRATION_TOKEN", help: "One-time registration token (required; never printed)" },
  { name: "control-plane-endpoint", type: "string", help: "Control-plane base URL, http(s):// (required)" },
  { name: "cluster-name", type: "string", default: "vworkspace", help: "Name of the Cluster object" },
  { name: "cluster-id", type: "string", default: "", help: "Cluster id to register as (default: the control plane assigns one)" },
  { name: "namespace", type: "string", env: "POD_NAMESPACE", default: "vworkspace-system", help: "Operator namespace holding the token Secret" },
  { name: "token-secret", type: "string", default: "vworkspace-registration-token", help: "Secret the token is stored in" },
  { name: "kubeconfig", type: "string", help: "Path to a kubeconfig; else $KUBECONFIG, in-cluster, then /etc/rancher/k3s/k3s.yaml" },
  { name: "timeout", type: "duration", default: "5m", help: "How long to wait for the operator to register" },
];

const POLL_MS = 1_000;

export async function registerCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`Usage: vworkspace-operator register --token TOKEN --control-plane-endpoint URL [flags]\n\nFlags:\n${renderFlagHelp(FLAGS)}`);
    return 0;
  }
  const { values, positionals } = parseFlags(args, FLAGS, env);
  if (positionals.length > 0) throw new FlagError(`unexpected argument "${positionals[0]}"`);
  const token = (values.get("token") as string | undefined)?.trim();
  const endpoint = (values.get("control-plane-endpoint") as string | undefined)?.trim();
  if (!token) throw new FlagError("--token is required");
  if (!endpoint || !/^https?:\/\//.test(endpoint)) throw new FlagError("--control-plane-endpoint must be an http:// or https:// URL");
  const name = values.get("cluster-name") as string;
  const namespace = values.get("namespace") as string;
  const secretName = values.get("token-secret") as string;
  const clusterId = values.get("cluster-id") as string;
  const kubeconfig = values.get("kubeconfig") as string | undefined;
  const client = new KubeClient({ connection: connectionFrom(resolveKubeConfig({ ...(kubeconfig ? { kubeconfigPath: kubeconfig } : {}), env })), userAgent: "vworkspace-operator-register" });

  await storeToken(client, namespace, secretName, token);
  io.err(`stored the registration token in Secret ${namespace}/${secretName}`);
  const existing = await getCluster(client, name);
  const spec = { controlPlaneEndpoint: endpoint, registrationTokenSecretRef: { name: secretName, key: "registrationToken" }, ...(clusterId ? { clusterId } : {}) };
  let previousVersion: string | undefined;
  if (existing) {
    const updated = await client.patch(CLUSTER, name, { type: "merge", body: { metadata: { annotations: { [ANNOTATION_ROTATE_CREDENTIALS]: "true" } }, spec } });
    previousVersion = updated.metadata.resourceVersion;
    io.err(`Cluster ${name} exists: pointed it at ${endpoint} and requested a re-exchange`);
  } else {
    await client.create(CLUSTER, { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name }, spec } as KubeObject);
    io.err(`created Cluster ${name} for ${endpoint}`);
  }
  return follow(client, name, values.get("timeout") as number, previousVersion !== undefined, io);
}

async function storeToken(client: KubeClient, namespace: string, name: string, token: string): Promise<void> {
  const data = { registrationToken: Buffer.from(token).toString("base64") };
  try {
    await client.create(SECRET, { apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: { name, namespace }, data } as KubeObject);
  } catch (err) {
    if (classifyError(err) === "alreadyExists") {
      await client.patch(SECRET, name, { type: "merge", body: { data } }, { namespace });
      return;
    }
    if (classifyError(err) === "notFound") throw new Error(`namespace ${namespace} does not exist: install the operator first (it lives there)`);
    throw err;
  }
}

async function getCluster(client: KubeClient, name: string): Promise<Cluster | undefined> {
  try {
    return await client.get<Cluster>(CLUSTER, name);
  } catch (err) {
    if (classifyError(err) === "notFound") return undefined;
    throw err;
  }
}

/** Prints each status change; 0 once registered, 1 on Error or Ignored, 1 on timeout. */
async function follow(client: KubeClient, name: string, timeoutMs: number, reRegistering: boolean, io: CommandIO): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const cluster = await getCluster(client, name);
    const phase = cluster?.status?.phase ?? "(no status yet)";
    const conditions = (cluster?.status?.conditions ?? []) as Condition[];
    const line = `phase ${phase}; ${["Authenticated", "Connected"].map((type) => describe(conditions, type)).join("; ")}`;
    if (line !== last) io.err(line);
    last = line;
    const exchanged = !reRegistering || cluster?.metadata.annotations?.[ANNOTATION_ROTATE_CREDENTIALS] === undefined;
    if (exchanged && (phase === "Connected" || phase === "Registering") && conditions.some((item) => item.type === "Authenticated" && item.status === "True")) {
      io.out(`registered: Cluster ${name} is ${phase} as cluster id ${cluster?.spec.clusterId ?? "?"}`);
      return 0;
    }
    if (phase === "Error" || phase === "Ignored") {
      io.err(`registration failed: Cluster ${name} is ${phase}`);
      return 1;
    }
    await Bun.sleep(POLL_MS);
  }
  io.err(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for the operator to register Cluster ${name}; is it running?`);
  return 1;
}

function describe(conditions: Condition[], type: string): string {
  const found = conditions.find((item) => item.type === type);
  return found ? `${type}=${found.status} ${found.reason}${found.message ? `: ${found.message}` : ""}` : `${type}=?`;
}
