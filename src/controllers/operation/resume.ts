/**
 * An Operation that already owns a child was started by an earlier pass whose status write never landed
 * (a crash, a 409). Its start is finished (creation adopts) instead of re-checking preconditions, so it
 * never reports Pending while its engine runs, and never runs twice.
 */
import { engineFor } from "../../engines";
import { objectKey } from "../../kube/types";
import { decodeParameters } from "../../operations/rules";
import { findTemplate } from "../../operations/templates";
import { observeChildren } from "./children";
import { engineContext } from "./context";
import type { Pass } from "./deps";
import type { StartPlan } from "./preconditions";

export async function resumablePlan(pass: Pass): Promise<StartPlan | undefined> {
  const { deps, current, signal } = pass;
  const template = findTemplate(current.spec.type, current.spec.engine);
  const engine = engineFor(current.spec.engine);
  if (!template || !engine || engine.childTypes.length === 0) return undefined;
  const parameters = decodeParameters(template, current.spec.parameters ?? {});
  if (!parameters.ok) return undefined;
  const target = deps.instances.get(objectKey({ namespace: current.metadata.namespace, name: current.spec.targetRef.name }));
  const context = engineContext(current, target, template, parameters.value, deps.clock.now(), deps.settings);
  if (observeChildren(deps, engine, context).owned.length === 0) return undefined;
  const prepared = await engine.prepare(context, deps.reader, signal);
  return prepared.ready ? { engine, context, facts: prepared.facts, template } : undefined;
}
