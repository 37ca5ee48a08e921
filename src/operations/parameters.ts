/**
 * Parameter schemas of the built-in templates (docs/operations.md#parameter-schemas). Strict objects: unknown keys are
 * rejected unless listed as deprecated. One schema drives the webhook, the reconciler and the engine
 * decoder, so an admitted Operation always decodes.
 */
import * as v from "valibot";
import { DNS1123_LABEL, DNS1123_LABEL_MESSAGE, NON_EMPTY, SEMVER } from "../api/patterns";

const DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

const nonEmpty = () => v.pipe(v.string(), v.minLength(1, NON_EMPTY));
const duration = () => v.pipe(v.string(), v.regex(DURATION, "must be a duration such as 720h or 30m"));
const integerAtLeast = (min: number) => v.pipe(v.number("must be an integer"), v.integer("must be an integer"), v.minValue(min, `must be at least ${min}`));
const stringList = () => v.array(v.string("must be a string"), "must be a list of strings");
const stringMap = () => v.record(v.string(), v.string("must be a string"), "must be an object of strings");
/** The only ServiceAccount Job and Workflow runners may use (docs/operations.md#engines). */
export const RUNNER_SERVICE_ACCOUNT = "vworkspace-operation-runner";

const runner = () => v.optional(v.literal(RUNNER_SERVICE_ACCOUNT, `must be ${RUNNER_SERVICE_ACCOUNT}`), RUNNER_SERVICE_ACCOUNT);

const keyRef = v.strictObject({ name: nonEmpty(), key: nonEmpty(), optional: v.optional(v.boolean()) });

const envVarSource = v.pipe(
  v.strictObject({
    secretKeyRef: v.optional(keyRef),
    configMapKeyRef: v.optional(keyRef),
    fieldRef: v.optional(v.strictObject({ fieldPath: nonEmpty() })),
  }),
  v.check(
    (source) => [source.secretKeyRef, source.configMapKeyRef, source.fieldRef].filter((s) => s !== undefined).length === 1,
    "must hold exactly one of secretKeyRef, configMapKeyRef, fieldRef",
  ),
);

export const envVarSchema = v.pipe(
  v.strictObject({
    name: v.pipe(v.string(), v.regex(ENV_NAME, "must be a valid environment variable name")),
    value: v.optional(v.string()),
    valueFrom: v.optional(envVarSource),
  }),
  v.check((env) => (env.value === undefined) !== (env.valueFrom === undefined), "must set exactly one of value and valueFrom"),
);
export type EnvVar = v.InferOutput<typeof envVarSchema>;

const veleroFilters = { includedResources: v.optional(stringList()), excludedResources: v.optional(stringList()) };

export const backupVeleroParameters = v.strictObject({
  storageLocation: v.optional(nonEmpty(), "default"),
  ttl: v.optional(duration()),
  retention: v.optional(duration()),
  snapshotVolumes: v.optional(v.boolean()),
  csiSnapshotClassName: v.optional(nonEmpty()),
  snapshotClassName: v.optional(nonEmpty()),
  ...veleroFilters,
});

export const restoreVeleroParameters = v.strictObject({
  backupName: v.pipe(v.string(), v.minLength(1, NON_EMPTY), v.maxLength(63, "must be at most 63 characters")),
  namespaceMapping: v.optional(stringMap()),
  restorePVs: v.optional(v.boolean()),
  existingResourcePolicy: v.optional(v.picklist(["none", "update"], "must be none or update")),
  ...veleroFilters,
});

export const upgradeHelmParameters = v.pipe(
  v.strictObject({
    targetVersion: v.optional(v.pipe(v.string(), v.regex(SEMVER, "must be an exact semantic version"))),
    valuesPatch: v.optional(v.record(v.string(), v.unknown())),
  }),
  v.check((p) => p.targetVersion !== undefined || p.valuesPatch !== undefined, "at least one of targetVersion and valuesPatch is required"),
);

const jobEntries = {
  image: nonEmpty(),
  command: v.optional(stringList()),
  args: v.optional(stringList()),
  env: v.optional(v.array(envVarSchema, "must be a list of {name, value | valueFrom}")),
  activeDeadlineSeconds: v.optional(integerAtLeast(1)),
  backoffLimit: v.optional(integerAtLeast(0), 0),
  ttlSecondsAfterFinished: v.optional(integerAtLeast(0), 86400),
  serviceAccountName: runner(),
  runAsUser: v.optional(integerAtLeast(1)),
  runAsGroup: v.optional(integerAtLeast(1)),
};

export const migrationHelmHookJobParameters = v.strictObject({
  hookName: v.pipe(v.string(), v.minLength(1, NON_EMPTY), v.maxLength(63, "must be at most 63 characters"), v.regex(DNS1123_LABEL, DNS1123_LABEL_MESSAGE)),
  ...jobEntries,
});

export const runCommandJobParameters = v.strictObject({
  ...jobEntries,
  timeoutSeconds: v.optional(integerAtLeast(1)),
});

export const runbookWorkflowParameters = v.pipe(
  v.strictObject({
    template: v.optional(nonEmpty()),
    workflowTemplate: v.optional(nonEmpty()),
    clusterScope: v.optional(v.boolean(), false),
    workflowTemplateParameters: v.optional(stringMap()),
    serviceAccountName: runner(),
    ttlSecondsAfterFinished: v.optional(integerAtLeast(0), 86400),
    timeoutSeconds: v.optional(integerAtLeast(1)),
    targetChartVersion: v.optional(v.unknown()),
    snapshotClassName: v.optional(v.unknown()),
    failureAction: v.optional(v.unknown()),
  }),
  v.check((p) => (p.template === undefined) !== (p.workflowTemplate === undefined), "exactly one of template and workflowTemplate is required"),
);

export const backupSnapshotParameters = v.strictObject({
  volumeSnapshotClassName: v.optional(nonEmpty()),
  pvcLabelSelector: v.optional(stringMap()),
  ttl: v.optional(duration()),
});

const retainCount = () => v.optional(integerAtLeast(0));

export const backupVolsyncParameters = v.strictObject({
  pvcName: nonEmpty(),
  repository: nonEmpty(),
  copyMethod: v.optional(v.picklist(["Snapshot", "Clone", "Direct"], "must be Snapshot, Clone or Direct"), "Snapshot"),
  volumeSnapshotClassName: v.optional(nonEmpty()),
  storageClassName: v.optional(nonEmpty()),
  pruneIntervalDays: v.optional(integerAtLeast(1)),
  retain: v.optional(
    v.strictObject({
      hourly: retainCount(),
      daily: retainCount(),
      weekly: retainCount(),
      monthly: retainCount(),
      yearly: retainCount(),
      within: v.optional(duration()),
    }),
  ),
});

export const restoreVolsyncParameters = v.strictObject({
  pvcName: nonEmpty(),
  repository: nonEmpty(),
  restoreAsOf: v.optional(v.pipe(v.string(), v.isoTimestamp("must be an RFC 3339 date-time"))),
  previous: v.optional(integerAtLeast(0)),
});

export type BackupVeleroParameters = v.InferOutput<typeof backupVeleroParameters>;
export type RestoreVeleroParameters = v.InferOutput<typeof restoreVeleroParameters>;
export type UpgradeHelmParameters = v.InferOutput<typeof upgradeHelmParameters>;
export type MigrationHelmHookJobParameters = v.InferOutput<typeof migrationHelmHookJobParameters>;
export type RunCommandJobParameters = v.InferOutput<typeof runCommandJobParameters>;
export type RunbookWorkflowParameters = v.InferOutput<typeof runbookWorkflowParameters>;
export type BackupSnapshotParameters = v.InferOutput<typeof backupSnapshotParameters>;
export type BackupVolsyncParameters = v.InferOutput<typeof backupVolsyncParameters>;
export type RestoreVolsyncParameters = v.InferOutput<typeof restoreVolsyncParameters>;
