/**
 * The `helmHookJob` engine: Migration as one Job with container `hook` and the hook-name label
 * (docs/operations.md#helmhookjob). Image and command come from the parameters; Helm's own hook annotation is
 * not written, so Helm never treats the Job as part of a release.
 */
import { LABEL_HOOK_NAME } from "../../api/labels";
import type { MigrationHelmHookJobParameters } from "../../operations/parameters";
import { jobWorkloadEngine } from "../job/workload-engine";

export const helmHookJobEngine = jobWorkloadEngine<MigrationHelmHookJobParameters>({
  name: "helmHookJob",
  type: "Migration",
  containerName: "hook",
  extraLabels: (parameters) => ({ [LABEL_HOOK_NAME]: parameters.hookName }),
  extraOutputs: (parameters) => ({ hookName: parameters.hookName }),
});
