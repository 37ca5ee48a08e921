/**
 * A controller whose code is loaded only once there is something for it to do. The Cluster controller
 * brings the pull agent, its crypto and its metrics: a cluster without a Cluster object never needs them.
 */
import type { KubeObject } from "../kube/types";
import type { ControllerName } from "../observability/metrics";
import type { SharedView } from "./informers";
import type { ControllerFactory, ManagerContext, RunnableController } from "./operator";

export interface DeferredControllerOptions {
  name: ControllerName;
  /** The real factory, imported on first need. */
  load: () => Promise<ControllerFactory>;
  /** The objects whose first appearance means the controller is needed. */
  trigger: (context: ManagerContext) => SharedView<KubeObject>;
}

export function deferredController({ name, load, trigger }: DeferredControllerOptions): ControllerFactory {
  return (context): RunnableController => ({
    name,
    async run(signal, shutdownTimeoutMs) {
      if (!(await untilAnyObject(trigger(context), signal))) return;
      const factory = await load();
      if (signal.aborted) return;
      context.logger.info({ controller: name }, "starting deferred controller");
      await factory(context).run(signal, shutdownTimeoutMs);
    },
  });
}

/** True once `view` holds an object; false when `signal` aborts first. */
async function untilAnyObject(view: SharedView<KubeObject>, signal: AbortSignal): Promise<boolean> {
  try {
    await view.waitForSync(signal);
  } catch {
    return false;
  }
  if (view.list().length > 0) return true;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (needed: boolean) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", aborted);
      resolve(needed);
    };
    const aborted = () => settle(false);
    signal.addEventListener("abort", aborted, { once: true });
    view.addHandlers({ add: () => settle(true) });
  });
}
