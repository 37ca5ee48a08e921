/** Builds the job an `enqueue` invocation describes (docs/connectivity.md#cli-helpers); pure, so it is unit-tested. */
import { parseAllDocuments } from "yaml";
import type { NewJob } from "../admin-client";

/** API versions for `--delete GROUP/KIND/NAMESPACE/NAME`, per group of the default allow-list. */
const GROUP_VERSIONS: Record<string, string> = {
  "": "v1",
  core: "v1",
  "apps.vworkspace.io": "v1alpha1",
  "ops.vworkspace.io": "v1alpha1",
  "helm.toolkit.fluxcd.io": "v2",
  "source.toolkit.fluxcd.io": "v1",
  "velero.io": "v1",
};

export class JobSpecError extends Error {
  override name = "JobSpecError";
}

/** One YAML or JSON document (a manifest or a job). */
export function parseDocument(text: string, what: string): Record<string, unknown> {
  const documents = parseAllDocuments(text).filter((doc) => doc.contents !== null);
  if (documents.length !== 1) throw new JobSpecError(`${what}: expected exactly one document, found ${documents.length}`);
  const doc = documents[0]!;
  if (doc.errors.length > 0) throw new JobSpecError(`${what}: ${doc.errors[0]!.message}`);
  const value: unknown = doc.toJS();
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new JobSpecError(`${what}: expected an object`);
  return value as Record<string, unknown>;
}

/** `GROUP/KIND/NAMESPACE/NAME` (version from the table) or `GROUP/VERSION/KIND/NAMESPACE/NAME`; `core` or "" for the core group. */
export function deletePayload(reference: string): Record<string, string> {
  const parts = reference.split("/");
  let group: string;
  let version: string | undefined;
  let kind: string;
  let namespace: string;
  let name: string;
  if (parts.length === 4) [group, kind, namespace, name] = parts as [string, string, string, string];
  else if (parts.length === 5) [group, version, kind, namespace, name] = parts as [string, string, string, string, string];
  else throw new JobSpecError(`--delete "${reference}": expected GROUP/KIND/NAMESPACE/NAME or GROUP/VERSION/KIND/NAMESPACE/NAME`);
  version ??= GROUP_VERSIONS[group];
  if (!version) throw new JobSpecError(`--delete: no known version for group "${group}"; use GROUP/VERSION/KIND/NAMESPACE/NAME`);
  if (!kind || !name) throw new JobSpecError(`--delete "${reference}": kind and name are required`);
  const core = group === "" || group === "core";
  return { apiVersion: core ? version : `${group}/${version}`, kind, namespace, name };
}

function metadataOf(object: Record<string, unknown>): { name?: string; namespace?: string } {
  const metadata = object.metadata;
  return typeof metadata === "object" && metadata !== null ? (metadata as { name?: string; namespace?: string }) : {};
}

export function intentPayload(intent: string, object: Record<string, unknown> | undefined): Record<string, unknown> {
  switch (intent) {
    case "ensure-application-instance":
      if (!object) throw new JobSpecError(`--intent ${intent} needs --file with the ApplicationInstance`);
      return { intent, applicationInstance: object };
    case "request-operation":
      if (!object) throw new JobSpecError(`--intent ${intent} needs --file with the Operation`);
      return { intent, operation: object };
    case "delete-application-instance": {
      if (!object) throw new JobSpecError(`--intent ${intent} needs --file naming the ApplicationInstance`);
      const metadata = metadataOf(object);
      const name = (object.name as string | undefined) ?? metadata.name;
      const namespace = (object.namespace as string | undefined) ?? metadata.namespace;
      if (!name || !namespace) throw new JobSpecError(`--intent ${intent}: --file must give name and namespace`);
      return { intent, name, namespace };
    }
    default:
      return object ? { ...object, intent } : { intent };
  }
}

export interface JobSources {
  job?: Record<string, unknown>;
  apply?: Record<string, unknown>;
  delete?: string;
  intent?: string;
  file?: Record<string, unknown>;
  idempotencyKey?: string;
  ttlSeconds?: number;
}

export function buildNewJob(sources: JobSources): NewJob {
  const chosen = [sources.job, sources.apply, sources.delete, sources.intent].filter((source) => source !== undefined);
  if (chosen.length !== 1) throw new JobSpecError("give exactly one of --job, --apply, --delete, --intent");
  let job: NewJob;
  if (sources.job) {
    const { kind, payload, ...rest } = sources.job;
    if (typeof kind !== "string") throw new JobSpecError("--job: the file needs a string kind");
    job = { ...(rest as Partial<NewJob>), kind, payload };
  } else if (sources.apply) job = { kind: "apply", payload: sources.apply };
  else if (sources.delete !== undefined) job = { kind: "delete", payload: deletePayload(sources.delete) };
  else job = { kind: "intent", payload: intentPayload(sources.intent as string, sources.file) };
  if (sources.idempotencyKey !== undefined) job.idempotencyKey = sources.idempotencyKey;
  if (sources.ttlSeconds !== undefined) job.ttlSeconds = sources.ttlSeconds;
  return job;
}
