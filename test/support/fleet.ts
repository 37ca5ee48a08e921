/**
 * A hybrid fleet (docs/connectivity.md#one-control-plane-three-modes) for the fleet e2e and bench/modes: one
 * reference control plane, three private API servers with one in-process operator each, in Pull (agent
 * polling), Push (no status channel: the plane watches) and GitOps (real source-controller and
 * kustomize-controller, a loopback Git server, the agent's status channel). The plane signs its GitOps commits
 * and the GitRepository verifies them (docs/connectivity.md#signed-desired-state). Each member has the
 * operator namespace, a gated tenant namespace and a Cluster named `fleet`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_AGENT_CONFIG } from "../../src/agent/config";
import { CLUSTER } from "../../src/api/groups";
import { CONTROL_PLANE_ROLE_BINDING, CONTROL_PLANE_SERVICE_ACCOUNT } from "../../src/api/push-access";
import { GIT_REPOSITORY, KUSTOMIZATION } from "../../src/connectivity/gitops";
import { applicationInstanceController } from "../../src/controllers/applicationinstance/controller";
import { clusterController } from "../../src/controllers/cluster/controller";
import { SECRET } from "../../src/controllers/cluster/secrets";
import { pushAccessController } from "../../src/controllers/pushaccess/controller";
import { generateSigningKey, stopGpgAgent, type CommitSigningKey } from "../../src/gitops/openpgp";
import { applyObject } from "../../src/kube/apply";
import { resolveKubeConfig } from "../../src/kube/config";
import { CRD_TYPE, crdEstablished } from "../../src/manager/crds";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { runCli } from "./cli";
import { REPO_ROOT } from "./cluster";
import { startRefControlPlane, type RefControlPlane } from "./controlplane";
import { thirdPartyCrds } from "./crds";
import { eventually } from "./eventually";
import { startGitOpsFlux, type GitOpsFluxBinaries, type RunningGitOpsFlux } from "./flux-gitops";
import { startGitServer, type GitRepo, type GitServer } from "./git-server";
import { GATE_LABEL } from "./namespace";
import { getIfPresent } from "./objects";
import { startOperatorInProcess, type InProcessOperator } from "./operator";
import { startPrivatePlane, type PrivatePlane } from "./private-plane";
import { installPushAccess } from "./push-access";

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const ROLE_BINDINGS: ResourceType = { group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true };
export const FLEET_OPERATOR_NAMESPACE = "vws-system";
export const FLEET_TENANT = "tenant-a";
export const FLEET_CLUSTER_NAME = "fleet";
const DESIRED_STATE = "vworkspace-desired-state";
const KEYS_SECRET = "vworkspace-gitops-keys";

export type FleetMode = "pull" | "push" | "gitops";

export interface FleetMember {
  /** The control plane's cluster id, also the member's name in transcripts. */
  id: string;
  mode: FleetMode;
  api: PrivatePlane;
  operator?: InProcessOperator;
}

export interface FleetOptions {
  /** Operator logs and the Git server's repositories go here. */
  workDir: string;
  binaries: GitOpsFluxBinaries;
  /** The GitRepository's and Kustomization's interval (Flux duration). */
  gitInterval: string;
  /** The agents' poll and heartbeat interval, ms. */
  agentIntervalMs?: number;
  statusWatchTimeoutSeconds?: number;
  say?: (line: string) => void;
  stepMs?: number;
}

export interface Fleet {
  plane: RefControlPlane;
  members: Record<FleetMode, FleetMember>;
  git: GitServer;
  repo: GitRepo;
  /** The key the plane signs its GitOps commits with; its public key is in the GitOps member's keys Secret. */
  signingKey: CommitSigningKey;
  flux: RunningGitOpsFlux;
  /** A registration token bound to the member's id, in the Secret its Cluster names. */
  giveCredentials(member: FleetMember): Promise<void>;
  /** The Cluster spec for a mode, with or without the status channel to the plane. */
  clusterSpec(mode: FleetMode, withChannel: boolean): Record<string, unknown>;
  stop(): Promise<void>;
}

type ClusterObject = KubeObject & { spec: { clusterId?: string }; status?: { phase?: string; connectivityMode?: string } };

export async function fleetCluster(member: FleetMember, match: (cluster: ClusterObject) => boolean, what: string, timeoutMs = 120_000): Promise<ClusterObject> {
  return eventually(async () => {
    const found = await getIfPresent<ClusterObject>(member.api.client, CLUSTER, FLEET_CLUSTER_NAME, undefined);
    return found && match(found) ? found : undefined;
  }, { what: `${member.id}: ${what}`, timeoutMs });
}

export async function fleetRoleBinding(member: FleetMember, present: boolean, timeoutMs = 120_000): Promise<void> {
  await eventually(async () => ((await getIfPresent(member.api.client, ROLE_BINDINGS, CONTROL_PLANE_ROLE_BINDING, FLEET_TENANT)) !== undefined) === present, {
    what: `${member.id}: RoleBinding ${CONTROL_PLANE_ROLE_BINDING} ${present ? "present" : "gone"}`,
    timeoutMs,
  });
}

/**
 * `push-kubeconfig` on the member's API server (TokenRequest, the CA of its kubeconfig) into a 0600 file under
 * `workDir`; returns the file and what the command said on stderr.
 */
export async function issuePushKubeconfig(member: FleetMember, workDir: string): Promise<{ path: string; said: string }> {
  const caFile = join(workDir, `${member.mode}-ca.crt`);
  writeFileSync(caFile, resolveKubeConfig({ kubeconfigPath: member.api.kubeconfigPath, env: {} }).caPem as string);
  const path = join(workDir, `${member.id}.kubeconfig`);
  const issued = await runCli("push-kubeconfig", `--kubeconfig=${member.api.kubeconfigPath}`, `--namespace=${FLEET_OPERATOR_NAMESPACE}`, "--token-source=request", "--duration=1h", `--ca-file=${caFile}`, `--output=${path}`);
  if (issued.code !== 0) throw new Error(`push-kubeconfig for ${member.id} exited ${issued.code}: ${issued.stderr.trim()}`);
  return { path, said: issued.stderr.trim() };
}

async function startMember(id: string, mode: FleetMode): Promise<FleetMember> {
  const api = await startPrivatePlane(`fleet-${mode}`);
  const fluxCrds = thirdPartyCrds(REPO_ROOT).filter((object) => object.metadata.name.endsWith("fluxcd.io"));
  for (const crd of fluxCrds) await applyObject(api.client, CRD_TYPE, crd, { fieldManager: "vws-tests", force: true });
  for (const crd of fluxCrds) await eventually(async () => crdEstablished(await api.client.get(CRD_TYPE, crd.metadata.name)), { what: `CRD ${crd.metadata.name} Established` });
  await api.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: FLEET_OPERATOR_NAMESPACE } });
  await api.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: FLEET_TENANT, labels: { [GATE_LABEL.key]: GATE_LABEL.value } } });
  await installPushAccess(api.client, FLEET_OPERATOR_NAMESPACE, { tokenSecret: false });
  return { id, mode, api };
}

async function startOperator(member: FleetMember, options: FleetOptions): Promise<void> {
  const interval = options.agentIntervalMs ?? 2_000;
  member.operator = await startOperatorInProcess({
    kubeconfigPath: member.api.kubeconfigPath,
    logFile: join(options.workDir, `operator-${member.mode}.log`),
    config: {
      watchNamespaces: [FLEET_OPERATOR_NAMESPACE, FLEET_TENANT],
      namespace: FLEET_OPERATOR_NAMESPACE,
      agent: { ...DEFAULT_AGENT_CONFIG, pollIntervalMs: interval, heartbeatIntervalOverrideMs: interval, eventFlushMs: 200 },
    },
    controllers: [applicationInstanceController, clusterController, pushAccessController],
  });
}

/** source-controller and kustomize-controller on the member, verifying commits against the plane's key. */
async function startGitOpsSource(member: FleetMember, repo: GitRepo, publicKey: string, options: FleetOptions): Promise<RunningGitOpsFlux> {
  const flux = await startGitOpsFlux({ binaries: options.binaries, kubeconfigPath: member.api.kubeconfigPath, name: "fleet-gitops", namespace: FLEET_OPERATOR_NAMESPACE });
  const namespace = FLEET_OPERATOR_NAMESPACE;
  await member.api.client.create(SECRET, { apiVersion: "v1", kind: "Secret", metadata: { name: KEYS_SECRET, namespace }, stringData: { "control-plane.asc": publicKey } });
  await member.api.client.create(GIT_REPOSITORY, {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "GitRepository",
    metadata: { name: DESIRED_STATE, namespace },
    spec: { url: repo.url, ref: { branch: "main" }, interval: options.gitInterval, timeout: "20s", verify: { mode: "HEAD", secretRef: { name: KEYS_SECRET } } },
  });
  await member.api.client.create(KUSTOMIZATION, {
    apiVersion: "kustomize.toolkit.fluxcd.io/v1",
    kind: "Kustomization",
    metadata: { name: DESIRED_STATE, namespace },
    spec: { sourceRef: { kind: "GitRepository", name: DESIRED_STATE }, path: `./clusters/${member.id}`, prune: true, interval: options.gitInterval, retryInterval: options.gitInterval, serviceAccountName: CONTROL_PLANE_SERVICE_ACCOUNT },
  });
  options.say?.(`${member.id}: source-controller and kustomize-controller watching ${repo.url} path ./clusters/${member.id}, verifying commits (spec.verify, Secret ${KEYS_SECRET})`);
  return flux;
}

/**
 * Starts everything and waits until the Pull cluster is Connected, the GitOps cluster registered and the Push
 * and GitOps RoleBindings exist. The plane's modes are not set: the caller runs `set-mode` for Push and GitOps.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const say = options.say ?? (() => undefined);
  // Undone last-first by stop(), or at once when the start fails half-way.
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve().then(cleanup).catch(() => undefined);
  };
  try {
    const gnupgHome = mkdtempSync(join(options.workDir, "gnupg-"));
    cleanups.push(() => rmSync(gnupgHome, { recursive: true, force: true }), () => stopGpgAgent(gnupgHome));
    const signingKey = await generateSigningKey(gnupgHome, "vworkspace control plane <control-plane@vworkspace.invalid>");
    const plane = await startRefControlPlane({ settings: { statusWatchTimeoutSeconds: options.statusWatchTimeoutSeconds ?? 30, gitopsSigningKey: signingKey } });
    cleanups.push(() => plane.stop());
    say(`reference control plane at ${plane.url}, signing GitOps commits with key ${signingKey.fingerprint}`);
    const started = await Promise.allSettled([startMember("edge-pull", "pull"), startMember("edge-push", "push"), startMember("edge-gitops", "gitops")]);
    for (const result of started) if (result.status === "fulfilled") cleanups.push(() => result.value.api.stop());
    const [pull, push, gitops] = started.map((result) => {
      if (result.status === "rejected") throw result.reason;
      return result.value;
    }) as [FleetMember, FleetMember, FleetMember];
    const members = { pull, push, gitops };
    for (const member of Object.values(members)) say(`${member.id}: private API server ${member.api.plane.apiUrl}`);

    const git = startGitServer(join(options.workDir, "git"));
    cleanups.push(() => git.close());
    const repo = git.createRepo("fleet");
    await repo.commit("fleet repository", { "README.md": "desired state of the fleet\n" }, signingKey);
    const flux = await startGitOpsSource(gitops, repo, (await plane.admin.gitopsSigningKey()).publicKey, options);
    cleanups.push(() => flux.stop());

    const giveCredentials = async (member: FleetMember) => {
      const { token } = await plane.admin.createRegistrationToken(member.id);
      await member.api.client.create(SECRET, { apiVersion: "v1", kind: "Secret", metadata: { name: "registration", namespace: FLEET_OPERATOR_NAMESPACE }, data: { registrationToken: Buffer.from(token).toString("base64") } });
    };
    const clusterSpec = (mode: FleetMode, withChannel: boolean) => ({ connectivityMode: mode, ...(withChannel ? { controlPlaneEndpoint: plane.url, registrationTokenSecretRef: { name: "registration" } } : {}) });

    await giveCredentials(pull);
    await giveCredentials(gitops);
    cleanups.push(() => Promise.allSettled(Object.values(members).map((member) => member.operator?.stop())));
    await Promise.all(Object.values(members).map((member) => startOperator(member, options)));
    for (const member of Object.values(members)) {
      await member.api.client.create(CLUSTER, { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: FLEET_CLUSTER_NAME }, spec: clusterSpec(member.mode, member.mode !== "push") });
    }
    await fleetCluster(pull, (cluster) => cluster.status?.phase === "Connected", "Cluster Connected", options.stepMs);
    await fleetCluster(gitops, (cluster) => cluster.spec.clusterId === gitops.id, "registered", options.stepMs);
    await fleetRoleBinding(push, true, options.stepMs);
    await fleetRoleBinding(gitops, true, options.stepMs);
    say("three operators running: edge-pull (pull, agent polling), edge-push (push, no status channel), edge-gitops (gitops, status channel)");
    return { plane, members, git, repo, signingKey, flux, giveCredentials, clusterSpec, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
