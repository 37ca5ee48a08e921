/**
 * All of doctor's I/O: reads what the cluster has into DoctorFacts. Read-only; each lookup fails on its own, so
 * one forbidden or missing API never hides the rest. Of the webhook TLS Secret only tls.crt's expiry is kept.
 */
import { X509Certificate } from "node:crypto";
import { CLUSTER } from "../api/groups";
import { GIT_REPOSITORY, commitKeysSecret } from "../connectivity/gitops";
import { CRD_TYPE, crdEstablished } from "../manager/crds";
import { HELM_RELEASE } from "../flux/types";
import { KubeClient } from "../kube/client";
import { connectionFrom, resolveKubeConfig } from "../kube/config";
import { Discovery } from "../kube/discovery";
import { classifyError } from "../kube/errors";
import type { KubeObject, ResourceType } from "../kube/types";
import { GATE_VALUE, LABEL_GATE, LABEL_MANAGED_BY } from "../api/labels";
import { SECRET_TYPE } from "../webhook/cert-secret";
import { VALIDATING_WEBHOOK_CONFIGURATION } from "../webhook/configuration";
import { versionFingerprint, type VersionLike } from "./crd-fingerprint";
import type { ClusterObjectFacts, CrdFacts, DeploymentFacts, DoctorFacts, DoctorSettings, GitOpsSourceFacts, HandshakeFacts, HelmReleaseFacts, Lookup, WebhookFacts } from "./facts";
import { apiKey, features } from "./features";
import { endpointAddress, fetchVersion, tlsHandshake, type Address } from "./probe";

const DEPLOYMENT: ResourceType = { group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true };
const SERVICE: ResourceType = { group: "", version: "v1", kind: "Service", plural: "services", namespaced: true };
/** Either label gates a namespace (docs/security.md). */
const LABEL_GATE_KEYS = [LABEL_GATE, LABEL_MANAGED_BY] as const;
const NAMESPACE: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };

export interface GatherOptions {
  kubeconfigPath?: string;
  env: Record<string, string | undefined>;
  settings: DoctorSettings;
  /** Bound on each request and each TLS handshake. */
  timeoutMs: number;
  crdNames: readonly string[];
}

export async function gatherFacts(options: GatherOptions): Promise<DoctorFacts> {
  const empty = emptyFacts();
  let resolved;
  try {
    resolved = resolveKubeConfig({ ...(options.kubeconfigPath ? { kubeconfigPath: options.kubeconfigPath } : {}), env: options.env });
  } catch (err) {
    return { ...empty, apiServer: { server: "", source: "none", reachable: false, error: messageOf(err) }, nowMs: Date.now() };
  }
  const source = [resolved.source, ...resolved.paths].join(" ");
  const connection = connectionFrom(resolved);
  let version;
  try {
    version = await fetchVersion(connection, options.timeoutMs);
  } catch (err) {
    return { ...empty, apiServer: { server: resolved.server, source, reachable: false, error: messageOf(err) }, nowMs: Date.now() };
  }
  const client = new KubeClient({ connection, requestTimeoutMs: options.timeoutMs, userAgent: "vworkspace-operator-doctor" });
  const { settings } = options;
  const [crds, served, deployments, webhooks, certificateSecret, clusters, gitopsSource] = await Promise.all([
    gatherCrds(client, options.crdNames),
    gatherServed(client, settings),
    attempt(async () => (await client.listAll(DEPLOYMENT)).items.map(deploymentFacts)),
    attempt(async () => webhookFacts(await client.get(VALIDATING_WEBHOOK_CONFIGURATION, settings.webhookConfigName))),
    attempt(async () => ({ notAfter: servingNotAfter(await client.get(SECRET_TYPE, settings.webhookCertSecret, { namespace: settings.namespace })) })),
    attempt(async () => (await client.listAll(CLUSTER)).items.map(clusterFacts)),
    attempt(async () => gitopsSourceFacts(await client.get(GIT_REPOSITORY, settings.gitopsSource.name, { namespace: settings.gitopsSource.namespace }))),
  ]);
  const [gated, webhookServices, handshakes] = await Promise.all([
    gatherGatedReleases(client, served[apiKey(HELM_RELEASE)]),
    gatherServices(client, webhooks.state === "found" ? webhooks.value : []),
    gatherHandshakes(webhooks.state === "found" ? webhooks.value : [], options.timeoutMs),
  ]);
  return {
    nowMs: Date.now(),
    apiServer: { server: resolved.server, source, reachable: true, version: version.version, localMidpointMs: version.localMidpointMs, ...(version.serverDateMs !== undefined ? { serverDateMs: version.serverDateMs } : {}) },
    crds,
    served,
    deployments,
    gatedHelmReleases: gated.releases,
    gatedNamespaceCount: gated.namespaces,
    webhookConfiguration: webhooks,
    webhookServices,
    handshakes,
    certificateSecret,
    clusters,
    gitopsSource,
  };
}

function emptyFacts(): DoctorFacts {
  const absent = { state: "absent" } as const;
  return {
    nowMs: 0,
    apiServer: { server: "", source: "", reachable: false },
    crds: {},
    served: {},
    deployments: absent,
    gatedHelmReleases: absent,
    gatedNamespaceCount: 0,
    webhookConfiguration: absent,
    webhookServices: {},
    handshakes: [],
    certificateSecret: absent,
    clusters: absent,
    gitopsSource: absent,
  };
}

async function attempt<T>(work: () => Promise<T>): Promise<Lookup<T>> {
  try {
    return { state: "found", value: await work() };
  } catch (err) {
    return classifyError(err) === "notFound" ? { state: "absent" } : { state: "error", error: messageOf(err) };
  }
}

async function gatherCrds(client: KubeClient, names: readonly string[]): Promise<Record<string, Lookup<CrdFacts>>> {
  const lookups = await Promise.all(names.map((name) => attempt(async () => crdFacts(await client.get(CRD_TYPE, name)))));
  return Object.fromEntries(names.map((name, i) => [name, lookups[i]!]));
}

function crdFacts(crd: KubeObject): CrdFacts {
  const versions = ((crd.spec as { versions?: Array<VersionLike & { name: string; served: boolean; storage: boolean }> } | undefined)?.versions ?? []).map((version) => ({
    name: version.name,
    served: version.served,
    storage: version.storage,
    fingerprint: versionFingerprint(version),
  }));
  return { name: crd.metadata.name, established: crdEstablished(crd), versions };
}

async function gatherServed(client: KubeClient, settings: DoctorSettings): Promise<Record<string, Lookup<boolean>>> {
  const discovery = new Discovery(client);
  const apis = features(settings).flatMap((feature) => feature.apis);
  const lookups = await Promise.all(apis.map((api) => attempt(() => discovery.isServed(api))));
  return Object.fromEntries(apis.map((api, i) => [apiKey(api), lookups[i]!]));
}

function deploymentFacts(deployment: KubeObject): DeploymentFacts {
  const spec = deployment.spec as { replicas?: number; template?: { spec?: { containers?: Array<{ command?: string[]; args?: string[] }> } } } | undefined;
  const status = deployment.status as { readyReplicas?: number; conditions?: Array<{ type: string; status: string }> } | undefined;
  return {
    namespace: deployment.metadata.namespace ?? "",
    name: deployment.metadata.name,
    available: (status?.conditions ?? []).some((condition) => condition.type === "Available" && condition.status === "True"),
    readyReplicas: status?.readyReplicas ?? 0,
    replicas: spec?.replicas ?? 1,
    args: (spec?.template?.spec?.containers ?? []).flatMap((container) => [...(container.command ?? []), ...(container.args ?? [])]),
  };
}

async function gatherGatedReleases(client: KubeClient, helmReleasesServed: Lookup<boolean> | undefined): Promise<{ releases: Lookup<HelmReleaseFacts[]>; namespaces: number }> {
  if (helmReleasesServed?.state !== "found" || !helmReleasesServed.value) return { releases: { state: "absent" }, namespaces: 0 };
  const namespaces = await attempt(async () => {
    const lists = await Promise.all(LABEL_GATE_KEYS.map((key) => client.listAll(NAMESPACE, { labelSelector: `${key}=${GATE_VALUE}` })));
    return new Set(lists.flatMap((list) => list.items.map((namespace) => namespace.metadata.name)));
  });
  if (namespaces.state !== "found") return { releases: namespaces.state === "error" ? namespaces : { state: "absent" }, namespaces: 0 };
  const releases = await attempt(async () =>
    (await client.listAll(HELM_RELEASE)).items
      .filter((release) => namespaces.value.has(release.metadata.namespace ?? ""))
      .map((release) => {
        const serviceAccountName = (release.spec as { serviceAccountName?: unknown } | undefined)?.serviceAccountName;
        return { namespace: release.metadata.namespace ?? "", name: release.metadata.name, ...(typeof serviceAccountName === "string" && serviceAccountName !== "" ? { serviceAccountName } : {}) };
      }),
  );
  return { releases, namespaces: namespaces.value.size };
}

function webhookFacts(configuration: KubeObject): WebhookFacts[] {
  const webhooks = (configuration.webhooks ?? []) as Array<{ name: string; clientConfig?: { url?: string; caBundle?: string; service?: { name: string; namespace: string; port?: number } } }>;
  return webhooks.map((webhook) => {
    const config = webhook.clientConfig ?? {};
    const endpoint = config.service ? { service: { name: config.service.name, namespace: config.service.namespace, port: config.service.port ?? 443 } } : { url: config.url ?? "" };
    return { name: webhook.name, caBundleSet: Boolean(config.caBundle), caBundle: config.caBundle ?? "", endpoint };
  });
}

async function gatherServices(client: KubeClient, webhooks: readonly WebhookFacts[]): Promise<Record<string, Lookup<true>>> {
  const services = [...new Set(webhooks.flatMap((webhook) => ("service" in webhook.endpoint ? [`${webhook.endpoint.service.namespace}/${webhook.endpoint.service.name}`] : [])))];
  const lookups = await Promise.all(
    services.map((key) => {
      const [namespace, name] = key.split("/") as [string, string];
      return attempt(async () => (await client.get(SERVICE, name, { namespace }), true as const));
    }),
  );
  return Object.fromEntries(services.map((key, i) => [key, lookups[i]!]));
}

/** One handshake per distinct endpoint, verified against the caBundle its first webhook carries. */
async function gatherHandshakes(webhooks: readonly WebhookFacts[], timeoutMs: number): Promise<HandshakeFacts[]> {
  const byTarget = new Map<string, { address: Address; caPem: string }>();
  for (const webhook of webhooks) {
    if (!webhook.caBundleSet || ("url" in webhook.endpoint && !URL.canParse(webhook.endpoint.url))) continue;
    const address = endpointAddress(webhook.endpoint);
    const key = `${address.host}:${address.port}`;
    if (!byTarget.has(key)) byTarget.set(key, { address, caPem: Buffer.from(webhook.caBundle, "base64").toString("utf8") });
  }
  return Promise.all([...byTarget.values()].map(({ address, caPem }) => tlsHandshake(address, caPem, timeoutMs)));
}

function clusterFacts(cluster: KubeObject): ClusterObjectFacts {
  const status = (cluster.status ?? {}) as { phase?: string; connectivityMode?: string; lastHeartbeat?: string; conditions?: Array<{ type: string; status: string; reason: string; message?: string }> };
  const connected = status.conditions?.find((condition) => condition.type === "Connected");
  // The mode in effect is in status; before the first reconcile only the requested one is known.
  const mode = status.connectivityMode ?? (cluster.spec as { connectivityMode?: string } | undefined)?.connectivityMode;
  return {
    name: cluster.metadata.name,
    deleting: Boolean(cluster.metadata.deletionTimestamp),
    ...(cluster.metadata.creationTimestamp ? { creationTimestamp: cluster.metadata.creationTimestamp } : {}),
    ...(status.phase ? { phase: status.phase } : {}),
    ...(mode ? { mode } : {}),
    ...(status.lastHeartbeat ? { lastHeartbeat: status.lastHeartbeat } : {}),
    ...(connected ? { connected: { status: connected.status, reason: connected.reason, message: connected.message ?? "" } } : {}),
  };
}

function gitopsSourceFacts(gitRepository: KubeObject): GitOpsSourceFacts {
  const spec = gitRepository.spec as { ref?: { branch?: string } } | undefined;
  const keys = commitKeysSecret(gitRepository);
  return {
    namespace: gitRepository.metadata.namespace ?? "",
    name: gitRepository.metadata.name,
    ...(spec?.ref?.branch ? { branch: spec.ref.branch } : {}),
    ...(keys ? { verifyKeysSecret: keys } : {}),
  };
}

function servingNotAfter(secret: KubeObject): string {
  const certificate = (secret.data as Record<string, string> | undefined)?.["tls.crt"];
  if (!certificate) return "";
  try {
    return new Date(new X509Certificate(Buffer.from(certificate, "base64")).validTo).toISOString();
  } catch {
    return "";
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
