/** Flags and defaults of the pull agent (docs/connectivity.md#pull-mode-wire-protocol, docs/connectivity.md#the-pull-agent, docs/reference/metrics.md). Intervals are milliseconds. */
import { DNS1123_LABEL, isDns1123Subdomain } from "../api/patterns";
import { FlagError, type FlagSpec, type ParsedFlags } from "../commandline/flags";
import { BACKUP_STORAGE_LOCATION_FLAG } from "../policy/velero";

export interface AgentConfig {
  /** Operator namespace of the credentials, keypair and ledger objects; "" = the operator's `namespace`. */
  credentialsNamespace: string;
  credentialsSecret: string;
  keypairSecret: string;
  ledgerConfigMap: string;
  /** Long-poll `wait`: truncated to seconds and clamped to 1–240. */
  pollIntervalMs: number;
  /** Additive request members (docs/connectivity.md#pull-mode-wire-protocol); off for servers that reject unknown members. */
  wireExtensions: boolean;
  eventBufferSize: number;
  eventBatchSize: number;
  eventFlushMs: number;
  idempotencyTtlMs: number;
  idempotencyMaxKeys: number;
  jobProgressTimeoutMs: number;
  /** Largest jobs answer read; past it the poll is aborted and backed off. */
  maxJobsResponseBytes: number;
  /** Jobs of one answer in flight at once, within the ordering rules (docs/connectivity.md#job-pipeline); 1 = one by one. */
  jobConcurrency: number;
  veleroNamespace: string;
  /** Jobs may write Velero BackupStorageLocations (where backups of the cluster are sent); off by default. */
  allowJobBackupStorageLocations: boolean;
  fluxNamespace: string;
  /** GitOps mode's GitRepository and Kustomization (same name); namespace "" = the operator namespace. */
  gitopsSource: { namespace: string; name: string };
  /** Tests only: replaces `spec.heartbeatIntervalSeconds` so the disconnect window fits a test. */
  heartbeatIntervalOverrideMs?: number;
  /** Tests only: the minimum gap between two polls (docs/connectivity.md#backoff: 1 s). */
  minPollGapMs: number;
}

export const AGENT_FLAGS: FlagSpec[] = [
  { name: "agent-credentials-namespace", type: "string", env: "VWS_AGENT_CREDENTIALS_NAMESPACE", default: "", help: "Namespace of the agent credentials (default: --namespace)" },
  { name: "agent-credentials-secret", type: "string", default: "vworkspace-agent-credentials", help: "Secret holding the agent credentials" },
  { name: "agent-poll-interval", type: "duration", env: "VWS_AGENT_POLL_INTERVAL", default: "30s", help: "Long-poll wait sent to the control plane (1s–240s)" },
  { name: "agent-wire-extensions", type: "bool", default: "true", help: "Send additive request members (publicKey, errorCode, conflicts)" },
  { name: "event-buffer-size", type: "int", default: "1000", help: "Events kept while the control plane is unreachable" },
  { name: "event-batch-size", type: "int", default: "100", help: "Events per request (1–100)" },
  { name: "idempotency-ttl", type: "duration", default: "168h", help: "How long an applied idempotency key is remembered" },
  { name: "idempotency-max-keys", type: "int", default: "5000", help: "Most idempotency keys remembered" },
  { name: "agent-max-jobs-response-bytes", type: "int", env: "VWS_AGENT_MAX_JOBS_RESPONSE_BYTES", default: String(8 * 1024 * 1024), help: "Largest jobs answer the agent reads from the control plane (bytes, at least 65536)" },
  { name: "agent-job-concurrency", type: "int", env: "VWS_AGENT_JOB_CONCURRENCY", default: "8", help: "Jobs of one poll answer in flight at once (1–64; 1 handles them one by one)" },
  { name: "job-progress-timeout", type: "duration", default: "30m", help: "How long a job's object is tracked before Abandoned" },
  { name: "velero-namespace", type: "string", default: "velero", help: "The only namespace Velero kinds may target" },
  { name: "flux-namespace", type: "string", default: "flux-system", help: "Namespace of the Flux controllers" },
  { name: "gitops-source", type: "string", default: "", help: "GitOps mode: <namespace>/<name> of the GitRepository and Kustomization (default: <operator namespace>/vworkspace-desired-state)" },
  {
    name: BACKUP_STORAGE_LOCATION_FLAG,
    type: "bool",
    env: "VWS_ALLOW_JOB_BACKUP_STORAGE_LOCATIONS",
    default: "false",
    help: "Let control-plane jobs write Velero BackupStorageLocations (they choose where cluster backups go)",
  },
];

/** A jobs answer carrying one ordinary job must always fit. */
const MIN_JOBS_RESPONSE_BYTES = 64 * 1024;
/** More would only queue on the API server and hold more decrypted payloads in memory at once. */
const MAX_JOB_CONCURRENCY = 64;

export const DEFAULT_AGENT_CONFIG: AgentConfig = {
  credentialsNamespace: "",
  credentialsSecret: "vworkspace-agent-credentials",
  keypairSecret: "vworkspace-operator-keypair",
  ledgerConfigMap: "vworkspace-applied-jobs",
  pollIntervalMs: 30_000,
  wireExtensions: true,
  eventBufferSize: 1000,
  eventBatchSize: 100,
  eventFlushMs: 1_000,
  idempotencyTtlMs: 168 * 3_600_000,
  idempotencyMaxKeys: 5000,
  jobProgressTimeoutMs: 30 * 60_000,
  maxJobsResponseBytes: 8 * 1024 * 1024,
  jobConcurrency: 8,
  veleroNamespace: "velero",
  allowJobBackupStorageLocations: false,
  fluxNamespace: "flux-system",
  gitopsSource: { namespace: "", name: "vworkspace-desired-state" },
  minPollGapMs: 1_000,
};

export function agentConfigFromFlags(values: ParsedFlags["values"]): AgentConfig {
  const batch = values.get("event-batch-size") as number;
  return {
    ...DEFAULT_AGENT_CONFIG,
    credentialsNamespace: values.get("agent-credentials-namespace") as string,
    credentialsSecret: values.get("agent-credentials-secret") as string,
    pollIntervalMs: values.get("agent-poll-interval") as number,
    wireExtensions: values.get("agent-wire-extensions") as boolean,
    eventBufferSize: Math.max(1, values.get("event-buffer-size") as number),
    eventBatchSize: Math.min(100, Math.max(1, batch)),
    idempotencyTtlMs: values.get("idempotency-ttl") as number,
    idempotencyMaxKeys: Math.max(1, values.get("idempotency-max-keys") as number),
    jobProgressTimeoutMs: values.get("job-progress-timeout") as number,
    maxJobsResponseBytes: Math.max(MIN_JOBS_RESPONSE_BYTES, values.get("agent-max-jobs-response-bytes") as number),
    jobConcurrency: Math.min(MAX_JOB_CONCURRENCY, Math.max(1, values.get("agent-job-concurrency") as number)),
    veleroNamespace: values.get("velero-namespace") as string,
    allowJobBackupStorageLocations: values.get(BACKUP_STORAGE_LOCATION_FLAG) as boolean,
    fluxNamespace: values.get("flux-namespace") as string,
    gitopsSource: gitopsSourceFlag(values.get("gitops-source") as string),
  };
}

/** `--gitops-source`: `<namespace>/<name>`, or `<name>` in the operator namespace. */
export function gitopsSourceFlag(value: string): AgentConfig["gitopsSource"] {
  if (value === "") return DEFAULT_AGENT_CONFIG.gitopsSource;
  const parts = value.split("/");
  const [namespace, name] = parts.length === 2 ? parts : ["", parts[0]!];
  if (parts.length > 2 || (parts.length === 2 && !(namespace!.length <= 63 && DNS1123_LABEL.test(namespace!))) || !isDns1123Subdomain(name!)) {
    throw new FlagError(`--gitops-source wants <namespace>/<name> or <name> (DNS-1123), got "${value}"`);
  }
  return { namespace: namespace!, name: name! };
}

/** `wait` of the poll URL (docs/connectivity.md#endpoints): the poll interval in whole seconds, clamped to 1–240. */
export function pollWaitSeconds(pollIntervalMs: number): number {
  return Math.min(240, Math.max(1, Math.trunc(pollIntervalMs / 1000)));
}
