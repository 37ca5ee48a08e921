/** Compares an installed CRD version with this binary's by a canonical form of its schema and printer columns. */
import canonicalize from "canonicalize";
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
  return canonicalize({ schema: version.schema?.openAPIV3Schema ?? null, columns }) ?? "";
}
