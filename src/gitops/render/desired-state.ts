/**
 * The desired-state document `{"clusterId": "<id>", "objects": [...]}` (JSON or YAML) → the manifests of
 * one cluster, or every problem found. Pure: nothing is written unless the whole document is valid.
 */
import YAML from "yaml";
import { renderManifest, type RenderedManifest } from "./manifest";

export interface RenderedCluster {
  readonly clusterId: string;
  /** Sorted by path. */
  readonly manifests: readonly RenderedManifest[];
}

export type RenderResult = { readonly ok: true; readonly cluster: RenderedCluster } | { readonly ok: false; readonly errors: readonly string[] };

// The cluster id is a label value and a directory name: it must be both, and never climb out of clusters/.
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export function clusterIdIssue(clusterId: unknown): string | undefined {
  if (typeof clusterId !== "string" || clusterId === "") return "clusterId is required (in the document or --cluster-id)";
  const quoted = JSON.stringify(clusterId);
  if (clusterId.includes("/")) return `clusterId ${quoted} must not contain "/"`;
  if (clusterId.includes("..")) return `clusterId ${quoted} must not contain ".."`;
  if (clusterId.length > 63 || !LABEL_VALUE.test(clusterId)) {
    return `clusterId ${quoted} must be a label value (at most 63 of A-Z a-z 0-9 - _ ., alphanumeric at both ends)`;
  }
  return undefined;
}

/** Parses the document text; a syntax error or a wrong shape is reported like any other validation error. */
export function parseDesiredState(text: string): { ok: true; document: Record<string, unknown> } | { ok: false; error: string } {
  let parsed: unknown;
  try {
    const documents = YAML.parseAllDocuments(text);
    if (!Array.isArray(documents)) return { ok: false, error: "input is empty" };
    if (documents.length !== 1) return { ok: false, error: `input holds ${documents.length} YAML documents, expected one` };
    const [document] = documents;
    const problem = document?.errors[0];
    if (problem) return { ok: false, error: `input is not valid JSON or YAML: ${problem.message}` };
    parsed = document?.toJS();
  } catch (err) {
    return { ok: false, error: `input is not valid JSON or YAML: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return { ok: false, error: 'input must be an object {"clusterId": …, "objects": […]}' };
  return { ok: true, document: parsed as Record<string, unknown> };
}

export function renderDesiredState(document: Record<string, unknown>, clusterIdOverride?: string): RenderResult {
  const clusterId = clusterIdOverride ?? document.clusterId;
  const idProblem = clusterIdIssue(clusterId);
  const objects = document.objects;
  const errors: string[] = [];
  if (idProblem) errors.push(idProblem);
  // Required even when empty: a forgotten key must not read as "prune everything".
  if (!Array.isArray(objects)) errors.push("objects must be a list (an empty one for a cluster with nothing declared)");
  if (errors.length > 0) return { ok: false, errors };
  const manifests: RenderedManifest[] = [];
  const seen = new Map<string, number>();
  (objects as unknown[]).forEach((object, index) => {
    const result = renderManifest(object, clusterId as string);
    if (!result.ok) {
      errors.push(`objects[${index}]${describe(object)}: ${result.error}`);
      return;
    }
    const first = seen.get(result.manifest.identity);
    if (first !== undefined) {
      errors.push(`objects[${index}]: duplicate of objects[${first}] (${result.manifest.identity})`);
      return;
    }
    seen.set(result.manifest.identity, index);
    manifests.push(result.manifest);
  });
  if (errors.length > 0) return { ok: false, errors };
  manifests.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ok: true, cluster: { clusterId: clusterId as string, manifests } };
}

/** ` (Kind namespace/name)` when the object says that much, for error messages. */
function describe(object: unknown): string {
  if (object === null || typeof object !== "object") return "";
  const { kind, metadata } = object as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  const name = typeof metadata?.name === "string" ? metadata.name : "";
  const namespace = typeof metadata?.namespace === "string" ? `${metadata.namespace}/` : "";
  return typeof kind === "string" || name ? ` (${typeof kind === "string" ? kind : "?"} ${namespace}${name})` : "";
}
