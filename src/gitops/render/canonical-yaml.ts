/**
 * Byte-stable YAML for Git: fixed top-level order, every nested mapping's keys sorted, two-space indent,
 * no line folding, LF, one trailing newline. Scalars are quoted by YAML 1.1 rules, so the Go YAML parsers
 * Flux uses never read a string such as "yes", "on" or "0755" as a boolean or a number.
 */
import YAML from "yaml";

const TOP_LEVEL_ORDER = ["apiVersion", "kind", "metadata", "spec"];

export function canonicalYaml(object: Record<string, unknown>): string {
  const ordered: Record<string, unknown> = {};
  for (const key of TOP_LEVEL_ORDER) if (key in object) ordered[key] = sortKeys(object[key]);
  for (const key of Object.keys(object).sort()) if (!(key in ordered)) ordered[key] = sortKeys(object[key]);
  const text = YAML.stringify(ordered, { version: "1.1", indent: 2, lineWidth: 0, minContentWidth: 0 });
  return text.endsWith("\n") ? text : `${text}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}
