/** The compiled-in template registry (docs/operations.md#templates): which (type, engine) pairs exist and their rules. */
import type * as v from "valibot";
import type { OperationEngine, OperationType } from "../api/operation";
import type { CapabilityVerb } from "../api/labels";
import * as parameters from "./parameters";

export interface TemplateReasons {
  /** `Running=True` reason while the engine works. */
  progress: string;
  /** `Succeeded=True` reason. */
  success: string;
  /** `Failed=True` reason when the engine reports failure. */
  failure: string;
}

export interface OperationTemplate {
  /** `backup.velero`, `runCommand.job`, … */
  ref: string;
  type: OperationType;
  engine: OperationEngine;
  /** The target must carry `ops.vworkspace.io/<verb>` listing the engine. */
  capability: CapabilityVerb;
  requiresApproval: boolean;
  defaultTimeoutSeconds: number;
  reasons: TemplateReasons;
  parameters: v.GenericSchema<unknown, unknown>;
  /** Accepted keys that only warn (`timeoutSeconds` also serves as the timeout alias). */
  deprecated: readonly string[];
}

const reasons = (progress: string, success: string, failure: string): TemplateReasons => ({ progress, success, failure });

export const TEMPLATES: readonly OperationTemplate[] = [
  { ref: "backup.velero", type: "Backup", engine: "velero", capability: "backup", requiresApproval: false, defaultTimeoutSeconds: 1800, reasons: reasons("VeleroBackupInProgress", "VeleroBackupCompleted", "VeleroBackupFailed"), parameters: parameters.backupVeleroParameters, deprecated: [] },
  { ref: "restore.velero", type: "Restore", engine: "velero", capability: "restore", requiresApproval: true, defaultTimeoutSeconds: 3600, reasons: reasons("VeleroRestoreInProgress", "VeleroRestoreCompleted", "VeleroRestoreFailed"), parameters: parameters.restoreVeleroParameters, deprecated: [] },
  { ref: "upgrade.helm", type: "Upgrade", engine: "helm", capability: "upgrade", requiresApproval: false, defaultTimeoutSeconds: 1800, reasons: reasons("HelmUpgradeInProgress", "HelmUpgradeSucceeded", "HelmUpgradeFailed"), parameters: parameters.upgradeHelmParameters, deprecated: [] },
  { ref: "migration.helmHookJob", type: "Migration", engine: "helmHookJob", capability: "migration", requiresApproval: false, defaultTimeoutSeconds: 1800, reasons: reasons("HelmHookJobRunning", "HelmHookJobSucceeded", "HelmHookJobFailed"), parameters: parameters.migrationHelmHookJobParameters, deprecated: [] },
  { ref: "runCommand.job", type: "RunCommand", engine: "job", capability: "runcommand", requiresApproval: false, defaultTimeoutSeconds: 1800, reasons: reasons("JobRunning", "JobSucceeded", "JobFailed"), parameters: parameters.runCommandJobParameters, deprecated: ["timeoutSeconds"] },
  { ref: "runbook.workflow", type: "Runbook", engine: "workflow", capability: "runbook", requiresApproval: false, defaultTimeoutSeconds: 3600, reasons: reasons("WorkflowRunning", "WorkflowSucceeded", "WorkflowFailed"), parameters: parameters.runbookWorkflowParameters, deprecated: ["timeoutSeconds", "targetChartVersion", "snapshotClassName", "failureAction"] },
  { ref: "backup.snapshot", type: "Backup", engine: "snapshot", capability: "backup", requiresApproval: false, defaultTimeoutSeconds: 900, reasons: reasons("VolumeSnapshotInProgress", "VolumeSnapshotReadyToUse", "VolumeSnapshotFailed"), parameters: parameters.backupSnapshotParameters, deprecated: [] },
  { ref: "backup.volsync", type: "Backup", engine: "volsync", capability: "backup", requiresApproval: false, defaultTimeoutSeconds: 3600, reasons: reasons("VolSyncInProgress", "VolSyncCompleted", "VolSyncFailed"), parameters: parameters.backupVolsyncParameters, deprecated: [] },
  { ref: "restore.volsync", type: "Restore", engine: "volsync", capability: "restore", requiresApproval: true, defaultTimeoutSeconds: 3600, reasons: reasons("VolSyncInProgress", "VolSyncCompleted", "VolSyncFailed"), parameters: parameters.restoreVolsyncParameters, deprecated: [] },
];

export function findTemplate(type: string, engine: string): OperationTemplate | undefined {
  return TEMPLATES.find((template) => template.type === type && template.engine === engine);
}

/** Keys whose value is the deprecated timeout alias (docs/operations.md#timeouts). */
export const DEPRECATED_TIMEOUT_KEY = "timeoutSeconds";
