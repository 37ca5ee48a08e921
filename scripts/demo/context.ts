/** What the demo's steps share: its settings, what they started (so teardown stops exactly that) and a progress sink. */
import type { Subprocess } from "bun";
import type { AdminClient } from "../../src/controlplane/admin-client";
import type { RunningControlPlane } from "../../src/controlplane/server";
import type { KubeClient } from "../../src/kube/client";
import type { ChartRepository, RunningFlux } from "../../test/support/flux";
import type { DemoNames } from "./objects";

export interface DemoSettings {
  /** VWS_CLUSTER_DIR of the demo's private cluster (default .local/demo-cluster). */
  clusterDir: string;
  /** Logs of Flux, the operator and the control plane; the backup files. */
  workDir: string;
  /** Start the cluster with a node (needed by the backup step, whose Job runs a Pod). */
  withNode: boolean;
  names: DemoNames;
  /** Bound on each wait; a generous failure bound, not a speed expectation. */
  stepTimeoutMs: number;
  /** `--keep`: the application stays and nothing is stopped at the end. */
  keep: boolean;
}

export interface DemoState {
  kubeconfigPath?: string;
  client?: KubeClient;
  clusterStarted?: boolean;
  charts?: ChartRepository;
  flux?: RunningFlux;
  plane?: RunningControlPlane;
  admin?: AdminClient;
  operator?: Subprocess;
  clusterId?: string;
  backupFile?: string;
}

export interface DemoContext {
  settings: DemoSettings;
  state: DemoState;
  /** One progress line; `elapsed` is added by the runner. */
  progress(text: string): void;
  /** Aborted by Ctrl-C: waits end at once, so the teardown sees everything that was started. */
  signal: AbortSignal;
}

/** Throws when the run was interrupted (between the parts of a step). */
export function checkInterrupted(context: DemoContext): void {
  if (context.signal.aborted) throw new Error("interrupted");
}

/** A value the step before must have set; a clear error otherwise. */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`demo: ${what} is not available (an earlier step did not run)`);
  return value;
}
