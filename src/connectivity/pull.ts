/** Pull mode (docs/connectivity.md#the-pull-agent): the agent with every loop, the job poller included. */
import { Agent } from "../agent/agent";
import type { ConnectivityDriver, DriverDeps, DriverInputs } from "./types";

export function pullDriver(deps: DriverDeps, inputs: DriverInputs): ConnectivityDriver {
  return new Agent(deps, inputs, { mode: "pull", poll: true });
}
