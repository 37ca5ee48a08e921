/** Flags and defaults of the Operation controller and its engines (docs/operations.md#how-an-operation-runs, docs/operations.md#approvals, docs/operations.md#engines). */
import type { FlagSpec, ParsedFlags } from "../commandline/flags";

export interface OperationsConfig {
  /** `--approval-claim-secret`, else `VWORKSPACE_APPROVAL_CLAIM_SECRET`; empty: claims cannot be verified. */
  approvalClaimSecret: string;
  veleroNamespace: string;
  /** How long a missing child is waited for after `startedAt` before `WorkloadMissing`. */
  missingWorkloadGraceMs: number;
  /** Kept failed snapshots and finished VolSync objects expire after this many seconds. */
  childTtlSeconds: number;
  upgradeStuckAfterMs: number;
  /** Blocked Operations are re-evaluated at least this often (docs/operations.md#preconditions: 30 s). */
  blockedRecheckMs: number;
}

export const DEFAULT_OPERATIONS_CONFIG: OperationsConfig = {
  approvalClaimSecret: "",
  veleroNamespace: "velero",
  missingWorkloadGraceMs: 60_000,
  childTtlSeconds: 86_400,
  upgradeStuckAfterMs: 300_000,
  blockedRecheckMs: 30_000,
};

export const OPERATION_FLAGS: FlagSpec[] = [
  { name: "approval-claim-secret", type: "string", env: "VWORKSPACE_APPROVAL_CLAIM_SECRET", default: "", help: "HMAC secret verifying vws1 approval claims" },
  { name: "velero-namespace", type: "string", env: "VELERO_NAMESPACE", default: "velero", help: "Namespace of Velero Backups and Restores" },
  { name: "missing-workload-grace", type: "duration", default: "60s", help: "How long a missing engine child is waited for before WorkloadMissing" },
  { name: "child-ttl", type: "duration", default: "24h", help: "Expiry of kept failed snapshots and finished VolSync objects" },
  { name: "upgrade-stuck-after", type: "duration", default: "5m", help: "How long an upgraded instance may stay not Ready before the Upgrade fails" },
];

export function operationsConfigFromFlags(values: ParsedFlags["values"]): OperationsConfig {
  return {
    ...DEFAULT_OPERATIONS_CONFIG,
    approvalClaimSecret: values.get("approval-claim-secret") as string,
    veleroNamespace: values.get("velero-namespace") as string,
    missingWorkloadGraceMs: values.get("missing-workload-grace") as number,
    childTtlSeconds: Math.round((values.get("child-ttl") as number) / 1000),
    upgradeStuckAfterMs: values.get("upgrade-stuck-after") as number,
  };
}
