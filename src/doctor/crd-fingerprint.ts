/** Compares an installed CRD version with this binary's by a canonical form of its schema and printer columns. */
import type { CustomResourceDefinitionVersion } from "../api/crd/types";

interface ColumnLike {
  name?: unknown;
  type?: unknown;
  jsonPath?: unknown;
  priority?: unknown;
  format?: unknown;
}

export interface VersionLike {
  schema?: { openAPIV3Schema?: unknown };
  additionalPrinterColumns?: readonly ColumnLike[];
}

export function versionFingerprint(version: VersionLike | CustomResourceDefinitionVersion): string {
  // Descriptions and an explicit priority 0 do not change behaviour; the API server may add or drop them.
  const columns = ((version.additionalPrinterColumns ?? []) as readonly ColumnLike[]).map((column) => ({
    name: column.name,
    type: column.type,
    jsonPath: column.jsonPath,
    priority: column.priority ?? 0,
    format: column.format ?? "",
  }));
  return canonicalJson({ schema: version.schema?.openAPIV3Schema ?? null, columns });
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
