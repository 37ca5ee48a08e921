/**
 * `vworkspace-operator push-kubeconfig`: a kubeconfig for the control plane's ServiceAccount
 * (docs/connectivity.md#push-mode), to stdout or a 0600 file. Before anything is written, the new token
 * lists ApplicationInstances in a gated namespace (unless --no-verify), so a kubeconfig that cannot work
 * is never handed out. The token appears only in that output: never on stderr, in an error or a log.
 */
import { chmod, readFile, writeFile } from "node:fs/promises";
import { CLUSTER, APPLICATION_INSTANCE } from "../api/groups";
import { clusterIdOf } from "../api/honoured-cluster";
import { CONTROL_PLANE_ROLE_BINDING, CONTROL_PLANE_SERVICE_ACCOUNT, CONTROL_PLANE_TOKEN_SECRET } from "../api/push-access";
import { FlagError, parseFlags, renderFlagHelp, type FlagSpec } from "../commandline/flags";
import type { CommandIO, Env } from "../commandline/command";
import { KubeClient } from "../kube/client";
import { connectionFrom, resolveKubeConfig } from "../kube/config";
import { apiStatus, classifyError } from "../kube/errors";
import type { KubeObject, ResourceType } from "../kube/types";
import { defaultContextName, renderPushKubeconfig, verificationNamespace } from "./kubeconfig";

const FLAGS: FlagSpec[] = [
  { name: "server", type: "string", help: "API URL reachable from the control plane (default: the current kubeconfig's; required in a Pod)" },
  { name: "namespace", type: "string", env: "POD_NAMESPACE", default: "vworkspace-system", help: "Namespace of the ServiceAccount vworkspace-control-plane" },
  { name: "token-source", type: "string", default: "secret", help: "secret: the Secret vworkspace-control-plane-token; request: the TokenRequest API" },
  { name: "duration", type: "duration", default: "8760h", help: "Token lifetime with --token-source=request (the API server may shorten it)" },
  { name: "context-name", type: "string", help: 'Name of the cluster, user and context (default vworkspace-<cluster id or "cluster">)' },
  { name: "ca-file", type: "string", help: "PEM CA to embed (default: ca.crt of ConfigMap kube-root-ca.crt in --namespace)" },
  { name: "output", type: "string", help: "Write to this file with mode 0600 instead of stdout" },
  { name: "no-verify", type: "bool", default: "false", help: "Skip listing ApplicationInstances in a gated namespace with the new token" },
  { name: "kubeconfig", type: "string", help: "Admin kubeconfig to read from; else $KUBECONFIG, in-cluster, then /etc/rancher/k3s/k3s.yaml" },
];

const SERVICE_ACCOUNTS: ResourceType = { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true };
const SECRETS: ResourceType = { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true };
const CONFIG_MAPS: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const ROLE_BINDINGS: ResourceType = { group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true };
const ROOT_CA_CONFIG_MAP = "kube-root-ca.crt";
const MAX_TOKEN_SECONDS = 2 ** 31 - 1;

export async function pushKubeconfigCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`Usage: vworkspace-operator push-kubeconfig [--server URL] [--output FILE] [flags]\n\nFlags:\n${renderFlagHelp(FLAGS)}`);
    return 0;
  }
  const { values, positionals } = parseFlags(args, FLAGS, env);
  if (positionals.length > 0) throw new FlagError(`unexpected argument "${positionals[0]}"`);
  const tokenSource = values.get("token-source") as string;
  if (tokenSource !== "secret" && tokenSource !== "request") throw new FlagError(`--token-source must be secret or request, not "${tokenSource}"`);
  const durationSeconds = Math.floor((values.get("duration") as number) / 1000);
  if (durationSeconds < 600 || durationSeconds > MAX_TOKEN_SECONDS) throw new FlagError("--duration must be between 10m (the TokenRequest minimum) and 596523h");
  const kubeconfigPath = values.get("kubeconfig") as string | undefined;
  const resolved = resolveKubeConfig({ ...(kubeconfigPath ? { kubeconfigPath } : {}), env });
  const serverFlag = (values.get("server") as string | undefined)?.trim();
  if (!serverFlag && resolved.source === "in-cluster") throw new FlagError("--server is required in a Pod: the in-cluster address is not reachable from the control plane");
  const server = serverFlag || resolved.server;
  if (!/^https?:\/\//.test(server)) throw new FlagError(`--server must be an http:// or https:// URL, not "${server}"`);
  const namespace = values.get("namespace") as string;
  const client = new KubeClient({ connection: connectionFrom(resolved), userAgent: "vworkspace-operator-push-kubeconfig" });

  await requireServiceAccount(client, namespace);
  const token = tokenSource === "secret" ? await tokenFromSecret(client, namespace) : await requestToken(client, namespace, durationSeconds);
  const caFile = values.get("ca-file") as string | undefined;
  const caPem = caFile ? await readCaFile(caFile) : await rootCa(client, namespace);
  const contextName = (values.get("context-name") as string | undefined) || defaultContextName(await clusterId(client));
  if (!values.get("no-verify")) {
    const verified = await verify(client, namespace, { server, caPem, token });
    io.err(`verified: the new token lists applicationinstances in gated namespace ${verified}`);
  }
  const text = renderPushKubeconfig({ server, caPem, token, contextName });
  const output = values.get("output") as string | undefined;
  if (output) {
    await writeFile(output, text, { mode: 0o600 });
    await chmod(output, 0o600); // an existing file keeps its mode on write
    io.err(`wrote ${output} (mode 0600): context ${contextName}, server ${server}, ServiceAccount ${namespace}/${CONTROL_PLANE_SERVICE_ACCOUNT}, token from ${tokenSource}`);
  } else {
    io.out(text.trimEnd());
  }
  return 0;
}

async function requireServiceAccount(client: KubeClient, namespace: string): Promise<void> {
  try {
    await client.get(SERVICE_ACCOUNTS, CONTROL_PLANE_SERVICE_ACCOUNT, { namespace });
  } catch (err) {
    if (classifyError(err) !== "notFound") throw new Error(`reading ServiceAccount ${namespace}/${CONTROL_PLANE_SERVICE_ACCOUNT}: ${describe(err)}`);
    throw new Error(`ServiceAccount ${namespace}/${CONTROL_PLANE_SERVICE_ACCOUNT} does not exist: install the chart with push.enabled=true (or pass the operator's namespace with --namespace)`);
  }
}

async function tokenFromSecret(client: KubeClient, namespace: string): Promise<string> {
  let secret: KubeObject & { type?: string; data?: Record<string, string> };
  try {
    secret = await client.get(SECRETS, CONTROL_PLANE_TOKEN_SECRET, { namespace });
  } catch (err) {
    if (classifyError(err) !== "notFound") throw new Error(`reading Secret ${namespace}/${CONTROL_PLANE_TOKEN_SECRET}: ${describe(err)}`);
    throw new Error(`Secret ${namespace}/${CONTROL_PLANE_TOKEN_SECRET} does not exist: install the chart with push.tokenSecret=true, or use --token-source=request`);
  }
  const owner = secret.metadata.annotations?.["kubernetes.io/service-account.name"];
  if (secret.type !== "kubernetes.io/service-account-token" || owner !== CONTROL_PLANE_SERVICE_ACCOUNT) {
    throw new Error(`Secret ${namespace}/${CONTROL_PLANE_TOKEN_SECRET} is not a service-account-token Secret of ${CONTROL_PLANE_SERVICE_ACCOUNT}`);
  }
  const encoded = secret.data?.token;
  if (!encoded) throw new Error(`Secret ${namespace}/${CONTROL_PLANE_TOKEN_SECRET} has no token yet: kube-controller-manager's token controller fills it in; retry, or use --token-source=request`);
  return Buffer.from(encoded, "base64").toString("utf8");
}

async function requestToken(client: KubeClient, namespace: string, expirationSeconds: number): Promise<string> {
  try {
    const answer = await client.request<{ status?: { token?: string } }>({
      method: "POST",
      path: `/api/v1/namespaces/${namespace}/serviceaccounts/${CONTROL_PLANE_SERVICE_ACCOUNT}/token`,
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds } },
    });
    const token = answer?.status?.token;
    if (!token) throw new Error("the API server answered without a token");
    return token;
  } catch (err) {
    throw new Error(`TokenRequest for ServiceAccount ${namespace}/${CONTROL_PLANE_SERVICE_ACCOUNT} failed: ${describe(err)}`);
  }
}

async function readCaFile(path: string): Promise<string> {
  const pem = await readFile(path, "utf8").catch((err: Error) => {
    throw new FlagError(`--ca-file ${path}: ${err.message}`);
  });
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new FlagError(`--ca-file ${path} holds no PEM certificate`);
  return pem;
}

async function rootCa(client: KubeClient, namespace: string): Promise<string> {
  try {
    const configMap = await client.get<KubeObject & { data?: Record<string, string> }>(CONFIG_MAPS, ROOT_CA_CONFIG_MAP, { namespace });
    const pem = configMap.data?.["ca.crt"];
    if (pem) return pem;
  } catch (err) {
    if (classifyError(err) !== "notFound") throw new Error(`reading ConfigMap ${namespace}/${ROOT_CA_CONFIG_MAP}: ${describe(err)}`);
  }
  throw new Error(`ConfigMap ${namespace}/${ROOT_CA_CONFIG_MAP} has no ca.crt (kube-controller-manager publishes it): pass --ca-file`);
}

async function clusterId(client: KubeClient): Promise<string> {
  try {
    return clusterIdOf((await client.list(CLUSTER)).items);
  } catch (err) {
    if (classifyError(err) === "notFound") return "";
    throw new Error(`listing Clusters: ${describe(err)}`);
  }
}

/** Lists ApplicationInstances with the new token; returns the namespace, throws why it failed. */
async function verify(admin: KubeClient, serviceAccountNamespace: string, kubeconfig: { server: string; caPem: string; token: string }): Promise<string> {
  const bindings = await admin.listAll<KubeObject & { subjects?: Array<{ kind?: string; name?: string; namespace?: string }> }>(ROLE_BINDINGS, {
    fieldSelector: `metadata.name=${CONTROL_PLANE_ROLE_BINDING}`,
  });
  const ours = (subject: { kind?: string; name?: string; namespace?: string }) =>
    subject.kind === "ServiceAccount" && subject.name === CONTROL_PLANE_SERVICE_ACCOUNT && subject.namespace === serviceAccountNamespace;
  const bound = new Set(bindings.items.filter((binding) => (binding.subjects ?? []).some(ours)).map((binding) => binding.metadata.namespace));
  const namespaces = (await admin.listAll(NAMESPACES)).items.map((namespace) => ({
    name: namespace.metadata.name,
    ...(namespace.metadata.labels ? { labels: namespace.metadata.labels } : {}),
    bindsServiceAccount: bound.has(namespace.metadata.name),
  }));
  const target = verificationNamespace(namespaces);
  if (!target) throw new Error("self-check impossible: no namespace is gated (label one managed-by=vworkspace), or pass --no-verify");
  const asControlPlane = new KubeClient({
    connection: connectionFrom({ server: kubeconfig.server, tls: { ca: kubeconfig.caPem }, authentication: { type: "token", token: kubeconfig.token }, impersonation: {} }),
    userAgent: "vworkspace-operator-push-kubeconfig",
    requestTimeoutMs: 15_000,
  });
  try {
    await asControlPlane.list(APPLICATION_INSTANCE, { namespace: target, limit: 1 });
  } catch (err) {
    const hint = bound.has(target) ? "" : ` (no RoleBinding ${CONTROL_PLANE_ROLE_BINDING} there yet: the operator creates it in push and gitops mode)`;
    throw new Error(`self-check failed: the new token cannot list applicationinstances in gated namespace ${target} at ${kubeconfig.server}: ${describe(err)}${hint}; nothing written`);
  }
  return target;
}

/** The API server's own message, never a request or response body. */
function describe(err: unknown): string {
  const status = apiStatus(err);
  if (status?.message) return `${status.code ?? ""} ${status.message}`.trim();
  return err instanceof Error ? err.message : String(err);
}
