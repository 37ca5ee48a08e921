/**
 * Preconditions 1–7 of docs/operations.md#preconditions, in order; the first failure is the Blocked reason. Check 8
 * (conflicts) runs inside the per-target start gate (start.ts).
 */
import type { Operation } from "../../api/operation";
import { clusterMismatchMessage, mismatchedClusterIdLabel, namespaceNotGatedMessage } from "../../api/validation/identity";
import { engineFor } from "../../engines";
import type { AnyEngine, EngineContext } from "../../engines/types";
import { SECRET_NOT_CONFIGURED, verifyClaim } from "../../operations/approval-claim";
import { evaluateOperationRules, type Violation } from "../../operations/rules";
import type { OperationTemplate } from "../../operations/templates";
import { engineContext } from "./context";
import type { Pass } from "./deps";

export interface StartPlan {
  engine: AnyEngine;
  context: EngineContext;
  facts: unknown;
  template: OperationTemplate;
}

export type PreconditionOutcome =
  | { kind: "blocked"; violation: Violation; stage: "identity" | "later" }
  | { kind: "permanent"; violation: Violation }
  | { kind: "ready"; plan: StartPlan };

const blocked = (reason: string, message: string, stage: "identity" | "later" = "later"): PreconditionOutcome => ({ kind: "blocked", violation: { reason, message }, stage });

/** Checks 1–2: gate and cluster identity. A failure here also means no finalizer is added. */
export function identityProblem(pass: Pass): PreconditionOutcome | undefined {
  const { metadata } = pass.current;
  const namespace = metadata.namespace ?? "";
  if (!pass.deps.gate.isGated(namespace)) return blocked("NamespaceNotGated", namespaceNotGatedMessage(namespace), "identity");
  const clusterId = pass.deps.clusterId();
  const mismatch = mismatchedClusterIdLabel(metadata.labels, clusterId);
  if (mismatch !== undefined) return blocked("ClusterMismatch", clusterMismatchMessage(mismatch, clusterId), "identity");
  return undefined;
}

/** Checks 3–7. */
export async function evaluatePreconditions(pass: Pass): Promise<PreconditionOutcome> {
  const { deps, signal, current } = pass;
  const namespace = current.metadata.namespace ?? "";
  const rules = await evaluateOperationRules(namespace, current.spec, deps.ruleFacts, "reconcile", signal);
  if (!rules.ok) return { kind: "blocked", violation: rules.violation, stage: "later" };
  const { template, target, parameters } = rules.value;

  const engine = engineFor(template.engine);
  if (!engine) return blocked("DependencyMissing", `engine "${template.engine}" is not available in this operator`);
  for (const type of engine.requires) {
    if (!(await deps.served(type, signal))) return blocked("DependencyMissing", `API ${type.group}/${type.version} ${type.plural} is not served`);
  }
  const context = engineContext(current, target, template, parameters, deps.clock.now(), deps.settings);
  const prepared = await engine.prepare(context, deps.reader, signal);
  if (!prepared.ready) {
    const violation = { reason: prepared.reason, message: prepared.message };
    return "permanent" in prepared ? { kind: "permanent", violation } : { kind: "blocked", violation, stage: "later" };
  }

  const approval = approvalProblem(current, template, deps.settings.approvalClaimSecret, new Date(deps.clock.now()));
  if (approval) return blocked("AwaitingApproval", approval);
  return { kind: "ready", plan: { engine, context, facts: prepared.facts, template } };
}

/** docs/operations.md#approvals: the reconciler checks approval only before start. */
export function approvalProblem(operation: Operation, template: OperationTemplate, secret: string, now: Date): string | undefined {
  const approvals = operation.spec.approvals;
  if (!template.requiresApproval && approvals?.required !== true) return undefined;
  const claim = approvals?.claim ?? "";
  if (claim.trim() === "") return "approval claim required";
  const verified = verifyClaim(claim, secret, operation.metadata.name, now);
  if (verified.ok) return undefined;
  return verified.error === SECRET_NOT_CONFIGURED ? SECRET_NOT_CONFIGURED : `invalid approval claim: ${verified.error}`;
}
