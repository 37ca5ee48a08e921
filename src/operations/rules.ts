/**
 * Rules OP-6 … OP-15 of docs/operations.md#operation-rules, shared by the webhook and the reconciler (docs/operations.md#preconditions checks 3–5),
 * so a cluster without the webhook is equally protected. Reads cluster facts only through `RuleFacts`.
 */
import type { ApplicationInstance } from "../api/applicationinstance";
import { decodeWith } from "../api/decode";
import { isGatedNamespace } from "../api/gate";
import { APPS_API_VERSION } from "../api/groups";
import { LABEL_SOURCE_NAMESPACE } from "../api/labels";
import { OPERATION_TYPES, type OperationSpec } from "../api/operation";
import { findInlineSecret } from "../api/validation/inline-secrets";
import type { KubeObject } from "../kube/types";
import { capabilityProblem, typeAllowedInNamespace } from "./capability";
import { findTemplate, type OperationTemplate } from "./templates";

export interface RuleFacts {
  /** The Namespace object (annotations, gate label); undefined when it does not exist. */
  namespace(name: string, signal: AbortSignal): Promise<KubeObject | undefined>;
  target(namespace: string, name: string, signal: AbortSignal): Promise<ApplicationInstance | undefined>;
  /** A Velero Backup in the Velero namespace (OP-15). */
  veleroBackup(name: string, signal: AbortSignal): Promise<KubeObject | undefined>;
  veleroNamespace: string;
}

export interface Violation {
  /** The reason code (`ValidationFailed`, `CapabilityMissing`, …). */
  reason: string;
  message: string;
}

export interface RulesPassed {
  template: OperationTemplate;
  target: ApplicationInstance;
  /** `spec.parameters` decoded by the template's schema, defaults applied. */
  parameters: unknown;
}

export type RuleOutcome = { ok: true; value: RulesPassed } | { ok: false; violation: Violation };

/**
 * `admission`: OP-10 reports `TargetNotFound`. `reconcile`: precondition 4 reports `TargetNotReady`
 * (compat) and also holds an Upgrade while the target is suspended.
 */
export type RuleMode = "admission" | "reconcile";

const TEMPLATE_EXAMPLES =
  "backup.velero, restore.velero, upgrade.helm, migration.helmHookJob, runCommand.job, runbook.workflow, backup.snapshot, backup.volsync, restore.volsync";

const fail = (reason: string, message: string): RuleOutcome => ({ ok: false, violation: { reason, message } });

/** Partial spec as the webhook may see it: every field optional and loosely typed. */
export type LooseSpec = Partial<Record<keyof OperationSpec, unknown>>;

export async function evaluateOperationRules(namespace: string, spec: LooseSpec, facts: RuleFacts, mode: RuleMode, signal: AbortSignal): Promise<RuleOutcome> {
  const basics = checkBasics(spec);
  if (basics) return fail("ValidationFailed", basics);
  const type = spec.type as string;
  const engine = spec.engine as string;
  const targetName = (spec.targetRef as { name: string }).name;

  if (!(OPERATION_TYPES as readonly string[]).includes(type)) return fail("ValidationFailed", `unsupported operation type "${type}"`);
  const ns = await facts.namespace(namespace, signal);
  if (!typeAllowedInNamespace(type, ns?.metadata.annotations)) {
    return fail("OperationTypeNotAllowed", `operation type "${type}" not allowed in namespace "${namespace}" (annotation ops.vworkspace.io/allowed-types)`);
  }
  const template = findTemplate(type, engine);
  if (!template) {
    return fail("TemplateNotFound", `no built-in operation template for type "${type}" and engine "${engine}" (expected refs such as ${TEMPLATE_EXAMPLES})`);
  }

  const target = await facts.target(namespace, targetName, signal);
  const targetReason = mode === "admission" ? "TargetNotFound" : "TargetNotReady";
  if (!target) return fail(targetReason, `target ApplicationInstance "${targetName}" not found in namespace "${namespace}"`);
  if (target.metadata.deletionTimestamp) return fail(targetReason, `target ApplicationInstance "${targetName}" is being deleted`);
  if (mode === "reconcile" && template.ref === "upgrade.helm" && target.spec.suspend === true) {
    return fail(targetReason, `target ApplicationInstance "${targetName}" is suspended`);
  }

  const capability = capabilityProblem(targetName, target.metadata.annotations, template);
  if (capability) return fail("CapabilityMissing", capability);

  const rawParameters = spec.parameters ?? {};
  const decoded = decodeParameters(template, rawParameters);
  if (!decoded.ok) return fail("InvalidParameters", decoded.message);

  const secret = findInlineSecret(rawParameters as Record<string, unknown>, { envItemNames: template.engine === "job" || template.engine === "helmHookJob" });
  if (secret) {
    const problem = secret.kind === "pem-private-key" ? "PEM private key not allowed inline" : "use a Secret reference";
    return fail("InlineSecretMaterialRejected", `inline secret material rejected at "parameters.${secret.path}": ${problem}`);
  }

  const incompatible = targetIncompatibility(template, target, decoded.value as Record<string, unknown>);
  if (incompatible) return fail("TargetIncompatible", incompatible);

  if (template.ref === "restore.velero") {
    const reference = await restoreReferenceProblem(namespace, decoded.value as { backupName: string; namespaceMapping?: Record<string, string> }, facts, signal);
    if (reference) return { ok: false, violation: reference };
  }
  return { ok: true, value: { template, target, parameters: decoded.value } };
}

function checkBasics(spec: LooseSpec): string | undefined {
  const ref = (typeof spec.targetRef === "object" && spec.targetRef !== null ? spec.targetRef : {}) as Record<string, unknown>;
  if (ref.apiVersion !== APPS_API_VERSION) return `spec.targetRef.apiVersion must be ${APPS_API_VERSION}`;
  if (ref.kind !== "ApplicationInstance") return "spec.targetRef.kind must be ApplicationInstance";
  if (typeof ref.name !== "string" || ref.name.trim() === "") return "spec.targetRef.name is required";
  if (typeof spec.type !== "string" || spec.type === "") return "spec.type is required";
  if (typeof spec.engine !== "string" || spec.engine === "") return "spec.engine is required";
  return undefined;
}

/** Decodes parameters with the template's schema (docs/operations.md#parameter-schemas); the message is OP-12's. */
export function decodeParameters(template: OperationTemplate, parameters: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters)) {
    return { ok: false, message: `decode parameters for template ${template.ref}: parameters must be an object` };
  }
  const decoded = decodeWith(template.parameters, parameters);
  if (decoded.ok) return { ok: true, value: decoded.value };
  const [issue] = decoded.issues;
  const path = issue && issue.path !== "" ? `parameters.${issue.path}` : "parameters";
  const problem = issue?.message.startsWith("Invalid key:") ? "unknown key" : (issue?.message ?? "invalid");
  return { ok: false, message: `parameters invalid for template ${template.ref}: ${path}: ${problem}` };
}

function targetIncompatibility(template: OperationTemplate, target: ApplicationInstance, parameters: Record<string, unknown>): string | undefined {
  const name = target.metadata.name;
  if (template.ref === "upgrade.helm") {
    if (!target.spec.release) return `target "${name}" has no release (placeholder instances do not support helm upgrade)`;
    if (parameters.valuesPatch !== undefined && target.spec.values?.source !== "inline") {
      return `parameters.valuesPatch requires target "${name}" to use spec.values.source=inline`;
    }
  }
  if (template.ref === "backup.snapshot" && parameters.pvcLabelSelector === undefined && !target.spec.release) {
    return `parameters.pvcLabelSelector is required because target "${name}" has no release`;
  }
  return undefined;
}

async function restoreReferenceProblem(
  namespace: string,
  parameters: { backupName: string; namespaceMapping?: Record<string, string> },
  facts: RuleFacts,
  signal: AbortSignal,
): Promise<Violation | undefined> {
  const backup = await facts.veleroBackup(parameters.backupName, signal);
  if (!backup) return { reason: "BackupNotOwned", message: `backup "${parameters.backupName}" not found in namespace "${facts.veleroNamespace}"` };
  if (backup.metadata.labels?.[LABEL_SOURCE_NAMESPACE] !== namespace) {
    return { reason: "BackupNotOwned", message: `backup "${parameters.backupName}" was not taken from namespace "${namespace}"` };
  }
  for (const [from, to] of Object.entries(parameters.namespaceMapping ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (from !== namespace) return { reason: "BackupNotOwned", message: `parameters.namespaceMapping may only map namespace "${namespace}"` };
    const targetNamespace = await facts.namespace(to, signal);
    if (!isGatedNamespace(targetNamespace?.metadata.labels)) {
      return { reason: "NamespaceNotGated", message: `parameters.namespaceMapping target namespace "${to}" is not managed by vworkspace` };
    }
  }
  return undefined;
}

/** Admission warnings (docs/operations.md#operation-rules): deprecated parameters and a futile `approvals.required: false`. */
export function operationWarnings(template: OperationTemplate, spec: LooseSpec): string[] {
  const warnings: string[] = [];
  const parameters = (typeof spec.parameters === "object" && spec.parameters !== null ? spec.parameters : {}) as Record<string, unknown>;
  for (const key of template.deprecated) {
    if (!(key in parameters)) continue;
    warnings.push(key === "timeoutSeconds" ? `parameters.${key} is deprecated; use spec.timeoutSeconds` : `parameters.${key} is deprecated and ignored`);
  }
  const approvals = spec.approvals as { required?: unknown } | undefined;
  if (template.requiresApproval && approvals?.required === false) warnings.push(`template ${template.ref} always requires approval`);
  return warnings;
}

