/** Capability annotations on the target and the namespace allow-list (docs/operations.md#capabilities-and-the-namespace-allow-list). */
import { ANNOTATION_ALLOWED_TYPES, capabilityAnnotation } from "../api/labels";
import type { OperationTemplate } from "./templates";

function commaList(value: string): string[] {
  return value.split(",").map((item) => item.trim()).filter((item) => item !== "");
}

/** Why the target may not run `template` with `engine`, or undefined when it may (rule OP-11). */
export function capabilityProblem(targetName: string, annotations: Readonly<Record<string, string>> | undefined, template: OperationTemplate): string | undefined {
  const key = capabilityAnnotation(template.capability);
  const value = annotations?.[key];
  if (value === undefined || value.trim() === "") {
    return `target "${targetName}" missing capability annotation ${key}="${template.engine}" required for template ${template.ref}`;
  }
  if (commaList(value).includes(template.engine)) return undefined;
  return `target "${targetName}" capability ${key}="${value}" does not match operation engine "${template.engine}" (template ${template.ref})`;
}

/** Whether the Namespace annotation admits `type`; absent or blank allows all (rule OP-8). */
export function typeAllowedInNamespace(type: string, annotations: Readonly<Record<string, string>> | undefined): boolean {
  const value = annotations?.[ANNOTATION_ALLOWED_TYPES];
  if (value === undefined || value.trim() === "") return true;
  return commaList(value).includes(type);
}
