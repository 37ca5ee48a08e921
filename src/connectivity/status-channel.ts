/**
 * The agent without its job poller: events, heartbeat, resync and rotation over the credentials the Cluster
 * registered. What a mode without a driver of its own runs.
 */
import type { ConnectivityMode } from "../api/cluster";
import { Agent } from "../agent/agent";
import type { ConnectivityDriver, DriverDeps, DriverInputs } from "./types";

export function statusChannelDriver(mode: ConnectivityMode, deps: DriverDeps, inputs: DriverInputs): ConnectivityDriver {
  return new Agent(deps, inputs, { mode, poll: false });
}
