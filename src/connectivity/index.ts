/**
 * The connectivity driver registry: the Cluster reconciler looks drivers up here by `spec.connectivityMode`.
 * A mode registers by adding itself to DRIVERS.
 */
import type { ConnectivityMode } from "../api/cluster";
import { gitopsDriver } from "./gitops";
import { pullDriver } from "./pull";
import { pushDriver } from "./push";
import type { ConnectivityDriver, DriverDeps, DriverInputs } from "./types";

export interface DriverRegistration {
  mode: ConnectivityMode;
  create(deps: DriverDeps, inputs: DriverInputs): ConnectivityDriver;
}

export const DRIVERS: readonly DriverRegistration[] = [
  { mode: "pull", create: pullDriver },
  { mode: "push", create: pushDriver },
  { mode: "gitops", create: gitopsDriver },
];

export function driverFor(mode: ConnectivityMode | string): DriverRegistration | undefined {
  return DRIVERS.find((driver) => driver.mode === mode);
}

/** The driver for `mode`; the CRD admits only the registered modes. */
export function createDriver(mode: ConnectivityMode, deps: DriverDeps, inputs: DriverInputs): ConnectivityDriver {
  const registered = driverFor(mode);
  if (!registered) throw new Error(`no connectivity driver for mode ${JSON.stringify(mode)}`);
  return registered.create(deps, inputs);
}
