/** The controllers `run` starts by default. */
import { deferredController } from "../manager/deferred-controller";
import type { ControllerFactory } from "../manager/operator";
import { applicationInstanceController } from "./applicationinstance/controller";
import { operationController } from "./operation/controller";
import { pushAccessController } from "./pushaccess/controller";
import { tenantController } from "./tenant/controller";

/** Loaded when the first Cluster object appears: until then the agent and its crypto stay out of memory. */
const clusterController = deferredController({
  name: "cluster",
  load: async () => (await import("./cluster/controller")).clusterController,
  trigger: (context) => context.clusterIdentity.view,
});

export const DEFAULT_CONTROLLERS: readonly ControllerFactory[] = [applicationInstanceController, clusterController, operationController, pushAccessController, tenantController];
