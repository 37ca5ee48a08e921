/**
 * Push mode (docs/connectivity.md#push-mode): the control plane writes the custom resources itself with
 * server-side apply, so the agent never polls for jobs. When credentials exist the status channel (events,
 * heartbeat, resync, rotation) runs as in Pull; without them the Cluster is Active with the channel disabled.
 */
import { statusChannelDriver } from "./status-channel";
import type { ConnectivityDriver, DriverDeps, DriverInputs, HealthVerdict } from "./types";

export function pushDriver(deps: DriverDeps, inputs: DriverInputs): ConnectivityDriver {
  return statusChannelDriver("push", deps, inputs);
}

/**
 * The admission webhook is the only check on what the control plane writes besides RBAC, so Push without it
 * counts as a missing controller.
 */
export function pushHealth(base: HealthVerdict, webhooksEnabled: boolean): HealthVerdict {
  if (webhooksEnabled) return base;
  const missing = "admission webhooks disabled (Push mode requires --webhooks-enabled)";
  if (base.status === "True") return { status: "False", reason: "ControllerMissing", message: missing };
  return { status: "False", reason: "ControllerMissing", message: `${missing}; ${base.message}` };
}
