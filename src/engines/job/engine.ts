/** The `job` engine: RunCommand as one Job with container `runner` (docs/operations.md#job). */
import type { RunCommandJobParameters } from "../../operations/parameters";
import { jobWorkloadEngine } from "./workload-engine";

export const jobEngine = jobWorkloadEngine<RunCommandJobParameters>({
  name: "job",
  type: "RunCommand",
  containerName: "runner",
  extraLabels: () => ({}),
  extraOutputs: () => ({}),
});
