/** The controllers `run` starts by default. */
import type { ControllerFactory } from "../manager/operator";
import { applicationInstanceController } from "./applicationinstance/controller";
import { clusterController } from "./cluster/controller";
import { operationController } from "./operation/controller";
import { pushAccessController } from "./pushaccess/controller";
import { tenantController } from "./tenant/controller";

export const DEFAULT_CONTROLLERS: readonly ControllerFactory[] = [applicationInstanceController, clusterController, operationController, pushAccessController, tenantController];
