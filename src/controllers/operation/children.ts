/**
 * I/O on engine children: idempotent creation with adoption (docs/operations.md#how-an-operation-runs), the engine's cancel and
 * after-failure actions, and reading the owned children from the watch caches.
 */
import { LABEL_OPERATION } from "../../api/labels";
import type { AnyEngine, ChildAction, DesiredChild, EngineContext, ObservedChildren } from "../../engines/types";
import { applyObject } from "../../kube/apply";
import { classifyError } from "../../kube/errors";
import { apiVersionOf, type KubeObject, type ResourceType } from "../../kube/types";
import type { OperationReconcilerDeps } from "./deps";

/** The start failed for good: the Operation fails with this reason instead of retrying. */
export class PermanentStartError extends Error {
  constructor(readonly reason: "EngineFailed" | "WorkloadOwnershipConflict", message: string) {
    super(message);
  }
}

/**
 * Writes the desired children. "Already exists" adopts an object carrying this Operation's UID; another
 * UID is a conflict. 400/403/404/422 fail the Operation; anything else is transient and retried.
 */
export async function writeChildren(deps: OperationReconcilerDeps, uid: string, desired: readonly DesiredChild[], signal: AbortSignal): Promise<KubeObject[]> {
  const written: KubeObject[] = [];
  for (const child of desired) written.push(await writeChild(deps, uid, child, signal));
  return written;
}

async function writeChild(deps: OperationReconcilerDeps, uid: string, child: DesiredChild, signal: AbortSignal): Promise<KubeObject> {
  const { type, object } = child;
  const { name, namespace } = object.metadata;
  const what = `${type.kind} ${namespace ? `${namespace}/` : ""}${name}`;
  try {
    const fieldManager = child.fieldManager ?? "vworkspace-operator";
    if (child.mode === "apply") return await applyObject(deps.client, type, object, { fieldManager, force: true, signal });
    if (child.mode === "merge") return await deps.client.patch(type, name, { type: "merge", body: object }, { ...(namespace ? { namespace } : {}), fieldManager, signal });
    return await deps.client.create(type, object, { ...(namespace ? { namespace } : {}), signal });
  } catch (err) {
    const kind = classifyError(err);
    if (kind === "alreadyExists") {
      const existing = await deps.client.get(type, name, { ...(namespace ? { namespace } : {}), signal });
      if (existing.metadata.labels?.[LABEL_OPERATION] === uid) return existing;
      throw new PermanentStartError("WorkloadOwnershipConflict", `${what} already exists and belongs to another operation`);
    }
    if (kind === "invalid" || kind === "forbidden" || kind === "notFound") {
      throw new PermanentStartError("EngineFailed", `create ${what}: ${(err as Error).message}`);
    }
    throw new Error(`create ${what}: ${(err as Error).message}`, { cause: err });
  }
}

/** Runs cancel/after-failure actions; an already absent child counts as done. */
export async function runActions(deps: OperationReconcilerDeps, actions: readonly ChildAction[], signal: AbortSignal): Promise<void> {
  for (const action of actions) {
    const options = { namespace: action.namespace, signal };
    try {
      if (action.action === "delete") {
        await deps.client.delete(action.type, action.name, { ...options, ...(action.propagationPolicy ? { propagationPolicy: action.propagationPolicy } : {}) });
      } else {
        await deps.client.patch(action.type, action.name, { type: "merge", body: action.patch }, options);
      }
    } catch (err) {
      if (classifyError(err) !== "notFound") throw new Error(`${action.action} ${action.type.kind} ${action.namespace}/${action.name}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** The engine's children carrying the Operation's UID label, from the watch caches. */
export function observeChildren(deps: OperationReconcilerDeps, engine: AnyEngine, context: EngineContext): ObservedChildren {
  const namespace = engine.childNamespaceOf(context);
  const owned = engine.childTypes.flatMap((type) =>
    deps.children(type).list(namespace).filter((child) => child.metadata.labels?.[LABEL_OPERATION] === context.uid).map((child) => typed(type, child)),
  );
  return { owned };
}

/** The owned children read live: cancellation must not miss a child the cache has not seen yet. */
export async function liveChildren(deps: OperationReconcilerDeps, engine: AnyEngine, context: EngineContext, signal: AbortSignal): Promise<ObservedChildren> {
  const namespace = engine.childNamespaceOf(context);
  const lists = await Promise.all(
    engine.childTypes.map(async (type) => (await deps.reader.list(type, namespace, `${LABEL_OPERATION}=${context.uid}`, signal)).map((child) => typed(type, child))),
  );
  return { owned: lists.flat() };
}

/** Items of a list response (and of an informer's initial list) carry no kind; engines tell children apart by it. */
function typed(type: ResourceType, child: KubeObject): KubeObject {
  return child.kind === type.kind ? child : { ...child, apiVersion: apiVersionOf(type), kind: type.kind };
}
