/** Label selectors: parsing of the string form the API server accepts, and matching. Pure. */

export type Requirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }>;
}

export class LabelSelectorError extends Error {
  override readonly name = "LabelSelectorError";
}

/** Parses `a=b,c!=d,e,!f,g in (x,y),h notin (z)`; "" selects everything. */
export function parseSelector(selector: string): Requirement[] {
  return splitTopLevel(selector)
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map(parseRequirement);
}

function parseRequirement(text: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(text);
  if (set) {
    const values = set[3]!.split(",").map((value) => value.trim()).filter((value) => value !== "");
    return { key: set[1]!, op: set[2] as "in" | "notin", values };
  }
  const equality = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(text);
  if (equality) return { key: equality[1]!, op: equality[2] === "!=" ? "!=" : "=", value: equality[3]! };
  if (/^![^!=\s(),]+$/.test(text)) return { key: text.slice(1), op: "!exists" };
  if (/^[^!=\s(),]+$/.test(text)) return { key: text, op: "exists" };
  throw new LabelSelectorError(`invalid label selector requirement ${JSON.stringify(text)}`);
}

/** Splits on commas outside parentheses. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < selector.length; index++) {
    const char = selector[index];
    if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (char === "," && depth === 0) {
      parts.push(selector.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts;
}

export function matchesSelector(labels: Record<string, string> | undefined, requirements: readonly Requirement[]): boolean {
  return requirements.every((requirement) => matchesRequirement(labels ?? {}, requirement));
}

function matchesRequirement(labels: Record<string, string>, requirement: Requirement): boolean {
  const present = Object.hasOwn(labels, requirement.key);
  const value = labels[requirement.key];
  switch (requirement.op) {
    case "=":
      return value === requirement.value;
    case "!=":
      return value !== requirement.value;
    case "in":
      return present && requirement.values.includes(value!);
    case "notin":
      return !present || !requirement.values.includes(value!);
    case "exists":
      return present;
    case "!exists":
      return !present;
  }
}

/** metav1.LabelSelector → the string form used in list/watch queries. */
export function formatSelector(selector: LabelSelectorObject): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    if (operator === "In") parts.push(`${key} in (${values.join(",")})`);
    else if (operator === "NotIn") parts.push(`${key} notin (${values.join(",")})`);
    else if (operator === "Exists") parts.push(key);
    else parts.push(`!${key}`);
  }
  return parts.join(",");
}
