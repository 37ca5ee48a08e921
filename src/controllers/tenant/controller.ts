/**
 * Wiring of the Flux tenant controller: keyed by namespace name. Namespace changes (a gate flip, a new
 * namespace) and any change of the operator's own tenant ServiceAccount or RoleBinding (drift, deletion)
 * enqueue the namespace; a pass with nothing to do reads only the caches.
 */
import { TENANT_SERVICE_ACCOUNT } from "../../api/tenant";
import type { KubeObject } from "../../kube/types";
import { Controller } from "../../manager/controller";
import type { ControllerFactory, ManagerContext } from "../../manager/operator";
import { MANAGED_SELECTOR, ROLE_BINDING, SERVICE_ACCOUNT } from "./desired";
import { reconcileTenant } from "./reconciler";

export const tenantController: ControllerFactory = (context: ManagerContext) => {
  const { config, informers, gate } = context;
  const inScope = (namespace: string) => config.watchNamespaces.length === 0 || config.watchNamespaces.includes(namespace);
  const serviceAccounts = informers.for<KubeObject>({ type: SERVICE_ACCOUNT, labelSelector: MANAGED_SELECTOR });
  const roleBindings = informers.for<KubeObject>({ type: ROLE_BINDING, labelSelector: MANAGED_SELECTOR });
  const deps = { client: context.client, namespaces: gate.view, inScope, serviceAccounts, roleBindings, events: context.events };
  const tenantNamespace = (object: KubeObject) => (object.metadata.name === TENANT_SERVICE_ACCOUNT && object.metadata.namespace ? [object.metadata.namespace] : []);
  return new Controller({
    name: "tenant",
    workers: config.workers,
    metrics: context.metrics,
    logger: context.logger,
    clock: context.clock,
    reconcile: ({ key, signal, logger }) => reconcileTenant(deps, key, signal, logger),
  })
    .watchMapped(gate.view, (namespace) => (inScope(namespace.metadata.name) ? [namespace.metadata.name] : []))
    .watchMapped(serviceAccounts, tenantNamespace)
    .watchMapped(roleBindings, tenantNamespace);
};
