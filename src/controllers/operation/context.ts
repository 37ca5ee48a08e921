/** Builds the engine's view of one Operation (EngineContext), pure. */
import type { ApplicationInstance } from "../../api/applicationinstance";
import type { Operation } from "../../api/operation";
import type { EngineContext } from "../../engines/types";
import type { OperationsConfig } from "../../operations/config";
import { DEPRECATED_TIMEOUT_KEY, type OperationTemplate } from "../../operations/templates";

/** docs/operations.md#timeouts: spec.timeoutSeconds, else the deprecated parameter alias, else the template default. */
export function effectiveTimeoutSeconds(operation: Operation, template: OperationTemplate): number {
  if (operation.spec.timeoutSeconds !== undefined) return operation.spec.timeoutSeconds;
  const alias = operation.spec.parameters?.[DEPRECATED_TIMEOUT_KEY];
  if (template.deprecated.includes(DEPRECATED_TIMEOUT_KEY) && typeof alias === "number" && alias >= 1) return alias;
  return template.defaultTimeoutSeconds;
}

/** docs/operations.md#engines: the target's release namespace, else its namespace; without a target, where the child went. */
export function childNamespaceOf(operation: Operation, target: ApplicationInstance | undefined): string {
  if (target) return target.spec.release?.namespace || target.metadata.namespace || "";
  return operation.status?.engineRef?.namespace ?? operation.metadata.namespace ?? "";
}

export function engineContext(
  operation: Operation,
  target: ApplicationInstance | undefined,
  template: OperationTemplate,
  parameters: unknown,
  now: number,
  settings: OperationsConfig,
): EngineContext {
  return {
    operation,
    uid: operation.metadata.uid ?? "",
    target,
    childNamespace: childNamespaceOf(operation, target),
    template,
    parameters,
    timeoutSeconds: effectiveTimeoutSeconds(operation, template),
    now: new Date(now),
    settings: {
      veleroNamespace: settings.veleroNamespace,
      childTtlSeconds: settings.childTtlSeconds,
      upgradeStuckAfterMs: settings.upgradeStuckAfterMs,
    },
  };
}
