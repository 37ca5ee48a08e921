/**
 * What `doctor` observed, gathered in one place (gather.ts) and judged elsewhere (verdicts/): plain data
 * with no secret material, so verdicts are pure and unit-testable.
 */

/** One lookup against the API server: found, known to be absent (404), or failed for another reason. */
export type Lookup<T> = { state: "found"; value: T } | { state: "absent" } | { state: "error"; error: string };

export interface ApiServerFacts {
  server: string;
  /** Where the kubeconfig came from, e.g. "flag /path" or "in-cluster". */
  source: string;
  reachable: boolean;
  /** When unreachable: why, in the client's words. */
  error?: string;
  /** `gitVersion` of /version. */
  version?: string;
  /** The API server's Date header (ms since epoch) and the local clock halfway through that request. */
  serverDateMs?: number;
  localMidpointMs?: number;
}

export interface CrdVersionFacts {
  name: string;
  served: boolean;
  storage: boolean;
  /** Canonical JSON of the version's openAPIV3Schema and printer columns, compared with this binary's. */
  fingerprint: string;
}

export interface CrdFacts {
  name: string;
  established: boolean;
  versions: CrdVersionFacts[];
}

export interface DeploymentFacts {
  namespace: string;
  name: string;
  available: boolean;
  readyReplicas: number;
  replicas: number;
  /** Command and args of every container, for flags such as `--default-service-account`. */
  args: string[];
}

export interface HelmReleaseFacts {
  namespace: string;
  name: string;
  serviceAccountName?: string;
}

export type WebhookEndpointFacts = { url: string } | { service: { namespace: string; name: string; port: number } };

export interface WebhookFacts {
  name: string;
  caBundleSet: boolean;
  /** Base64 PEM of the CA certificates (public material) the API server verifies the webhook with. */
  caBundle: string;
  endpoint: WebhookEndpointFacts;
}

/** A TLS handshake with a webhook endpoint, verified against the configuration's caBundle. */
export type HandshakeFacts =
  | { target: string; result: "ok"; notAfter: string }
  | { target: string; result: "unresolvable" }
  | { target: string; result: "failed"; error: string };

export interface ClusterObjectFacts {
  name: string;
  creationTimestamp?: string;
  deleting: boolean;
  phase?: string;
  mode?: string;
  lastHeartbeat?: string;
  connected?: { status: string; reason: string; message: string };
}

/** The GitOps desired-state GitRepository: where it is and whether Flux verifies its commits (no URL, no credentials). */
export interface GitOpsSourceFacts {
  namespace: string;
  name: string;
  branch?: string;
  /** The Secret of OpenPGP public keys of `spec.verify`; undefined when commits are not verified. */
  verifyKeysSecret?: string;
}

export interface DoctorFacts {
  /** The local clock when gathering finished; ages and expiries are measured from it. */
  nowMs: number;
  apiServer: ApiServerFacts;
  /** Keyed by CRD name; only gathered when the API server answered. */
  crds: Record<string, Lookup<CrdFacts>>;
  /** Keyed by `plural.group/version`. */
  served: Record<string, Lookup<boolean>>;
  /** Every Deployment in the cluster (only the facts doctor needs). */
  deployments: Lookup<DeploymentFacts[]>;
  /** HelmReleases in gated namespaces; absent when the HelmRelease API is not served. */
  gatedHelmReleases: Lookup<HelmReleaseFacts[]>;
  gatedNamespaceCount: number;
  webhookConfiguration: Lookup<WebhookFacts[]>;
  /** Keyed by `namespace/name` of each Service a webhook points at. */
  webhookServices: Record<string, Lookup<true>>;
  handshakes: HandshakeFacts[];
  /** notAfter of tls.crt in the webhook TLS Secret (nothing else is read from it). */
  certificateSecret: Lookup<{ notAfter: string }>;
  clusters: Lookup<ClusterObjectFacts[]>;
  /** Absent when the GitRepository (or Flux's source API) does not exist. */
  gitopsSource: Lookup<GitOpsSourceFacts>;
}

/** Settings doctor was run with that verdicts mention or depend on. */
export interface DoctorSettings {
  namespace: string;
  fluxNamespace: string;
  webhookConfigName: string;
  webhookCertSecret: string;
  /** The GitRepository of GitOps mode, as the operator's --gitops-source names it. */
  gitopsSource: { namespace: string; name: string };
}
