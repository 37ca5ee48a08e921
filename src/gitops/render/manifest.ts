/**
 * One desired-state object → one manifest file: checked against the CRD's valibot schema (and, for an
 * ApplicationInstance, the spec rules the API server's CEL rules and the webhook enforce), stripped of what
 * the API server owns, stamped with the cluster's labels. Pure.
 */
import { decodeApplicationInstance } from "../../api/applicationinstance";
import { formatDecodeIssues, type DecodeIssue } from "../../api/decode";
import { decodeOperation } from "../../api/operation";
import { DNS1123_LABEL, isDns1123Subdomain } from "../../api/patterns";
import { validateApplicationInstanceSpec } from "../../api/validation/applicationinstance";
import { DESIRED_STATE_KINDS, desiredStateLabels, manifestPath, type DesiredStateKind } from "../layout";
import { canonicalYaml } from "./canonical-yaml";

export interface RenderedManifest {
  /** Repository-relative, `/`-separated. */
  readonly path: string;
  readonly content: string;
  /** `<kind>/<namespace>/<name>`: what makes two objects duplicates. */
  readonly identity: string;
}

export type ManifestResult = { readonly ok: true; readonly manifest: RenderedManifest } | { readonly ok: false; readonly error: string };

/** Fields the API server sets; a manifest in Git never carries them. */
const SERVER_OWNED_METADATA = [
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "managedFields",
  "ownerReferences",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "selfLink",
];
const TOP_LEVEL_FIELDS = new Set(["apiVersion", "kind", "metadata", "spec", "status"]);

export function renderManifest(input: unknown, clusterId: string): ManifestResult {
  if (input === null || typeof input !== "object" || Array.isArray(input)) return fail("is not an object");
  const object = input as Record<string, unknown>;
  const kind = object.kind;
  if (!DESIRED_STATE_KINDS.includes(kind as DesiredStateKind)) {
    return fail(`kind ${JSON.stringify(kind ?? null)} is not allowed: only ${DESIRED_STATE_KINDS.join(" and ")} belong under a cluster's path`);
  }
  const unknown = Object.keys(object).filter((key) => !TOP_LEVEL_FIELDS.has(key));
  if (unknown.length > 0) return fail(`unknown top-level field ${unknown.map((key) => JSON.stringify(key)).join(", ")}`);
  const stripped = strip(object);
  const metadata = stripped.metadata as Record<string, unknown>;
  stripped.metadata = { ...metadata, labels: stampLabels(metadata.labels, clusterId) };
  const identityProblem = identityIssue(metadata);
  if (identityProblem) return fail(identityProblem);
  const schemaProblem = schemaIssue(kind as DesiredStateKind, stripped);
  if (schemaProblem) return fail(schemaProblem);
  const namespace = metadata.namespace as string;
  const name = metadata.name as string;
  return {
    ok: true,
    manifest: {
      path: manifestPath(clusterId, kind as DesiredStateKind, namespace, name),
      content: canonicalYaml(stripped),
      identity: `${kind}/${namespace}/${name}`,
    },
  };
}

function fail(error: string): ManifestResult {
  return { ok: false, error };
}

function strip(object: Record<string, unknown>): Record<string, unknown> {
  const { status: _status, ...rest } = object;
  const metadata = rest.metadata;
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) return { ...rest, metadata: {} };
  const kept = Object.fromEntries(Object.entries(metadata).filter(([key]) => !SERVER_OWNED_METADATA.includes(key)));
  return { ...rest, metadata: kept };
}

function identityIssue(metadata: Record<string, unknown>): string | undefined {
  const { name, namespace } = metadata;
  if (typeof namespace !== "string" || namespace === "") return "metadata.namespace is required";
  if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) return `metadata.namespace ${JSON.stringify(namespace)} is not a DNS-1123 label`;
  if (typeof name !== "string" || name === "") return "metadata.name is required";
  if (!isDns1123Subdomain(name)) return `metadata.name ${JSON.stringify(name)} is not a DNS-1123 subdomain`;
  return undefined;
}

function schemaIssue(kind: DesiredStateKind, object: Record<string, unknown>): string | undefined {
  if (kind === "Operation") {
    const decoded = decodeOperation(object);
    return decoded.ok ? undefined : schemaMessage(decoded.issues);
  }
  const decoded = decodeApplicationInstance(object);
  if (!decoded.ok) return schemaMessage(decoded.issues);
  const violation = validateApplicationInstanceSpec(decoded.value);
  return violation ? `${violation.rule}: ${violation.message}` : undefined;
}

function schemaMessage(issues: readonly DecodeIssue[]): string {
  return `schema: ${formatDecodeIssues(issues)}`;
}

/** Stamped labels win; labels that are not a mapping are kept as they are so the schema check names them. */
function stampLabels(labels: unknown, clusterId: string): unknown {
  if (labels !== undefined && (labels === null || typeof labels !== "object" || Array.isArray(labels))) return labels;
  return { ...(labels as Record<string, unknown> | undefined), ...desiredStateLabels(clusterId) };
}
