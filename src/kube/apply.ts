/**
 * Server-side apply with a named field manager. The body must hold exactly the fields the manager
 * owns: anything it stops sending is removed by the API server. Conflicts with other managers
 * (without force) surface as ApplyConflictError listing each field and its manager.
 */
import type { KubeClient } from "./client";
import { KubeApiError, classifyError, type StatusCause } from "./errors";
import type { KubeObject, ResourceType } from "./types";

export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  dryRun?: boolean;
  fieldValidation?: "Strict" | "Warn" | "Ignore";
  /** "status" to apply to the status subresource. */
  subresource?: string;
  signal?: AbortSignal;
}

export interface FieldConflict {
  /** The field path as reported by the server, e.g. `.spec.interval`. */
  field: string;
  manager: string;
}

export class ApplyConflictError extends KubeApiError {
  override readonly name: string = "ApplyConflictError";
  readonly conflicts: FieldConflict[];

  constructor(err: KubeApiError, conflicts: FieldConflict[]) {
    super(err.status, { reason: err.reason, message: err.serverMessage, details: err.details }, err);
    this.conflicts = conflicts;
  }
}

export type ApplyApi = Pick<KubeClient, "patch">;

export async function applyObject<T extends KubeObject = KubeObject>(
  client: ApplyApi,
  type: ResourceType,
  object: KubeObject,
  options: ApplyOptions,
): Promise<T> {
  const { name, namespace } = object.metadata;
  try {
    return await client.patch<T>(type, name, { type: "apply", body: object }, {
      namespace,
      subresource: options.subresource,
      fieldManager: options.fieldManager,
      force: options.force ?? false,
      dryRun: options.dryRun,
      fieldValidation: options.fieldValidation,
      signal: options.signal,
    });
  } catch (err) {
    throw asApplyConflict(err);
  }
}

/** Applies `{apiVersion, kind, metadata: {name, namespace}, status}` to the status subresource. */
export function applyStatus<T extends KubeObject = KubeObject>(
  client: ApplyApi,
  type: ResourceType,
  target: Pick<KubeObject, "apiVersion" | "kind" | "metadata">,
  status: unknown,
  options: Omit<ApplyOptions, "subresource">,
): Promise<T> {
  const { name, namespace } = target.metadata;
  const body: KubeObject = {
    apiVersion: target.apiVersion,
    kind: target.kind,
    metadata: namespace ? { name, namespace } : { name },
    status,
  };
  return applyObject<T>(client, type, body, { ...options, subresource: "status" });
}

function asApplyConflict(err: unknown): unknown {
  if (!(err instanceof KubeApiError) || classifyError(err) !== "conflict") return err;
  return new ApplyConflictError(err, parseConflicts(err.details?.causes ?? []));
}

/** Causes look like `{reason: FieldManagerConflict, message: 'conflict with "mgr"', field: ".data.a"}`. */
export function parseConflicts(causes: readonly StatusCause[]): FieldConflict[] {
  return causes
    .filter((cause) => cause.reason === "FieldManagerConflict")
    .map((cause) => ({
      field: cause.field ?? "",
      manager: /conflict with "([^"]*)"/.exec(cause.message ?? "")?.[1] ?? "",
    }));
}
