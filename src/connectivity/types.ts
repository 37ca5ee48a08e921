/**
 * The contract between the Cluster reconciler and a connectivity mode (docs/connectivity.md): the reconciler
 * owns registration, keys and status; a driver turns the honoured Cluster's credentials into the loops its
 * mode needs and reports what they observed. One driver runs at a time, for one cluster id.
 */
import type { Cluster, ConnectivityMode } from "../api/cluster";
import type { AgentDeps, AgentInputs } from "../agent/agent";
import type { RotationResult, RotationTrigger } from "../agent/status/rotation";
import type { AgentObservations } from "../agent/transport/state";
import type { ConditionStatus, KubeObject } from "../kube/types";

/** What the driver runs on; replaced as a whole on every pass through `update`. */
export type DriverInputs = AgentInputs;

/** The operator-side facilities a driver may use (client, caches, metrics, callbacks into the reconciler). */
export type DriverDeps = AgentDeps;

/** The driver's loops' observations, for the Cluster status. */
export interface DriverObservations extends AgentObservations {
  paused: boolean;
}

export interface ConnectivityDriver {
  readonly mode: ConnectivityMode;
  /** The cluster id of the credentials it runs with; another id needs another driver. */
  readonly clusterId: string;
  /** A credential rotation is in flight. */
  readonly rotating: boolean;
  start(): Promise<void>;
  update(inputs: DriverInputs): void;
  /** Graceful: the job in hand finishes and buffered events get up to `flushMs`. */
  stop(flushMs: number): Promise<void>;
  /** A condition transition of a managed object or of the Cluster. */
  observe(previous: KubeObject | undefined, current: KubeObject): void;
  rotate(trigger: RotationTrigger): Promise<RotationResult>;
  /** Stop sending until the credentials Secret or the Cluster's generation changes (docs/connectivity.md#backoff). */
  pause(reason: string): void;
  /** A new registration replaced the credentials: heartbeat and authentication are observed afresh. */
  registered(): void;
  observations(): DriverObservations;
}

/** A `ControllersHealthy` verdict: the condition's status, reason and message. */
export interface HealthVerdict {
  status: ConditionStatus;
  reason: string;
  message: string;
}

export type DriverFactory = (mode: ConnectivityMode, deps: DriverDeps, inputs: DriverInputs) => ConnectivityDriver;

/** The mode a Cluster asks for (the CRD defaults it to pull). */
export function modeOf(cluster: Cluster): ConnectivityMode {
  return cluster.spec?.connectivityMode ?? "pull";
}
