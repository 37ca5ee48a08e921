/**
 * The connectivity driver registry: the Cluster reconciler looks drivers up here by `spec.connectivityMode`.
 * A mode registers by adding itself to DRIVERS.
 */
import type { ConnectivityMode } from "../api/cluster";
import { pullDriver } from "./pull";
import { statusChannelDriver } from "./status-channel";
import type { ConnectivityDriver, DriverDeps, DriverInputs } from "./types";

export interface DriverRegistration {
  mode: ConnectivityMode;
  create(deps: DriverDeps, inputs: DriverInputs): ConnectivityDriver;
}

export const DRIVERS: readonly DriverRegistration[] = [{ mode: "pull", create: pullDriver }];

export function driverFor(mode: ConnectivityMode | string): DriverRegistration | undefined {
  return DRIVERS.find((driver) => driver.mode === mode);
}

/**
 * The driver for `mode`. Push and GitOps have none yet: they keep what every mode ran before drivers
 * existed, the status channel (events, heartbeat, rotation) without polling for jobs.
 */
export function createDriver(mode: ConnectivityMode, deps: DriverDeps, inputs: DriverInputs): ConnectivityDriver {
  const registered = driverFor(mode);
  return registered ? registered.create(deps, inputs) : statusChannelDriver(mode, deps, inputs);
}
