/**
 * The write step of a job: checks the names it is given, resolves the kind, enforces the write rules and the
 * object policies of src/policy, then server-side applies (field manager `vworkspace-agent`, never forced) or
 * deletes. API errors map to the wire errorCodes; only a real field-manager conflict becomes `conflict`.
 * See docs/security.md.
 */
import { CLUSTER } from "../../api/groups";
import { redactMessage } from "../../api/redact";
import { applyObject, ApplyConflictError } from "../../kube/apply";
import type { KubeClient } from "../../kube/client";
import type { Discovery } from "../../kube/discovery";
import { classifyError, KubeApiError } from "../../kube/errors";
import type { KubeObject, ResourceType } from "../../kube/types";
import { checkTargetNames, isRefusal, parseApiVersion } from "../../policy/api-version";
import { checkPinnedKind, type PinnedKind } from "../../policy/kinds";
import { checkJobObject } from "../../policy/objects";
import { checkBackupStorageLocationWrite, VELERO_GROUP } from "../../policy/velero";
import type { AppliedRef, JobErrorCode } from "../../protocol";
import {
  AGENT_FIELD_MANAGER,
  checkClusterApply,
  checkKindAllowed,
  checkNamespace,
  checkOwnership,
  withControlPlaneLabels,
  type GroupKind,
  type NamespaceView,
  type Refusal,
} from "./authorise";

export type WriteOutcome =
  | { outcome: "succeeded"; appliedRef: AppliedRef; written?: KubeObject; type: ResourceType }
  | { outcome: "failed"; code: JobErrorCode; detail: string }
  | { outcome: "conflict"; code: "FieldManagerConflict"; detail: string; conflicts: { manager: string; field: string }[] };

export interface WriterDeps {
  client: Pick<KubeClient, "get" | "patch" | "delete">;
  discovery: Pick<Discovery, "resourceType">;
  namespaces: NamespaceView;
  veleroNamespace: string;
  /** `--allow-job-backup-storage-locations`: jobs may write Velero BackupStorageLocations. */
  allowBackupStorageLocations: boolean;
  clusterId(): string;
  honouredCluster(): string | undefined;
  allowedKinds(): readonly GroupKind[] | undefined;
  /** An object from an informer cache (null: absent), undefined when no cache covers it. */
  cached(type: ResourceType, namespace: string, name: string): KubeObject | null | undefined;
}

export interface ApplyTarget {
  object: Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> & { name: string; namespace?: string } };
  /** Typed intents write exactly this kind instead of what the allow-list admits. */
  pinned?: PinnedKind;
}

export interface DeleteTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  pinned?: PinnedKind;
}

function refused(refusal: Refusal): WriteOutcome {
  return { outcome: "failed", ...refusal };
}

export class JobWriter {
  constructor(private readonly deps: WriterDeps) {}

  async apply(target: ApplyTarget, signal?: AbortSignal): Promise<WriteOutcome> {
    const { object } = target;
    const groupVersion = parseApiVersion(object.apiVersion);
    if (isRefusal(groupVersion)) return refused(groupVersion);
    const gk = { group: groupVersion.group, kind: object.kind };
    const prepared = await this.#prepare(gk, groupVersion.version, object.metadata.name, object.metadata.namespace ?? "", target.pinned, signal);
    if ("outcome" in prepared) return prepared;
    const { type, namespace } = prepared;
    // The guard limits a Cluster apply to the few fields the CP may own; those it takes over from whoever
    // created the Cluster (usually an installer), so only there is the apply forced.
    const cluster = isCluster(gk);
    if (cluster) {
      const refusal = checkClusterApply(object, this.deps.honouredCluster());
      if (refusal) return refused(refusal);
    }
    const checked = checkJobObject(object, {
      group: gk.group,
      namespace,
      namespaceLabels: (name) => this.deps.namespaces.labels(name),
      allowBackupStorageLocations: this.deps.allowBackupStorageLocations,
    });
    if ("refusal" in checked) return refused(checked.refusal);
    const body = withControlPlaneLabels({ ...checked.object, metadata: { ...checked.object.metadata, ...(namespace ? { namespace } : {}) } }, this.deps.clusterId()) as unknown as KubeObject;
    if (!namespace) delete body.metadata.namespace;
    try {
      const written = await applyObject(this.deps.client, type, body, { fieldManager: AGENT_FIELD_MANAGER, force: cluster, signal });
      return { outcome: "succeeded", appliedRef: refOf(written), written, type };
    } catch (err) {
      return apiFailure(err);
    }
  }

  async delete(target: DeleteTarget, signal?: AbortSignal): Promise<WriteOutcome> {
    const groupVersion = parseApiVersion(target.apiVersion);
    if (isRefusal(groupVersion)) return refused(groupVersion);
    const gk = { group: groupVersion.group, kind: target.kind };
    if (isCluster(gk)) return refused({ code: "ProtectedField", detail: "the control plane may not delete the Cluster" });
    const location = gk.group === VELERO_GROUP ? checkBackupStorageLocationWrite(gk.kind, target.name, this.deps.allowBackupStorageLocations) : undefined;
    if (location) return refused(location);
    const prepared = await this.#prepare(gk, groupVersion.version, target.name, target.namespace, target.pinned, signal);
    if ("outcome" in prepared) return prepared;
    const ref: AppliedRef = { apiVersion: target.apiVersion, kind: target.kind, namespace: prepared.namespace, name: target.name };
    try {
      await this.deps.client.delete(prepared.type, target.name, { namespace: prepared.namespace || undefined, signal });
    } catch (err) {
      if (classifyError(err) !== "notFound") return apiFailure(err);
    }
    return { outcome: "succeeded", appliedRef: ref, type: prepared.type };
  }

  /** Name shapes, allow-list or pinned kind, kind resolution, namespace rules and ownership, in that order. */
  async #prepare(
    gk: GroupKind,
    version: string,
    name: string,
    requestedNamespace: string,
    pinned: PinnedKind | undefined,
    signal?: AbortSignal,
  ): Promise<WriteOutcome | { type: ResourceType; namespace: string }> {
    const names = checkTargetNames(gk.kind, name, requestedNamespace);
    if (names) return refused(names);
    const kindRefusal = pinned ? checkPinnedKind(pinned, { ...gk, version }) : checkKindAllowed(gk, this.deps.allowedKinds());
    if (kindRefusal) return refused(kindRefusal);
    let type: ResourceType | undefined;
    try {
      type = await this.deps.discovery.resourceType(gk.group, version, gk.kind, signal);
    } catch (err) {
      return apiFailure(err);
    }
    if (!type) return refused({ code: "ApplyFailed", detail: `${gk.kind} in ${gk.group || "core"}/${version} is not served by the API server` });
    const namespace = type.namespaced ? requestedNamespace : "";
    if (type.namespaced) {
      if (!namespace) return refused({ code: "InvalidPayload", detail: `${gk.kind} ${name} needs a namespace` });
      const refusal = checkNamespace({ ...gk, namespace }, this.deps.namespaces, this.deps.veleroNamespace);
      if (refusal) return refused(refusal);
    }
    if (!isCluster(gk)) {
      // The watch cache answers for ApplicationInstances and Operations; other kinds are read live.
      const cached = this.deps.cached(type, namespace, name);
      let existing = cached ?? undefined;
      if (cached === undefined) {
        try {
          existing = await this.deps.client.get(type, name, { namespace: namespace || undefined, signal });
        } catch (err) {
          if (classifyError(err) !== "notFound") return apiFailure(err);
        }
      }
      const refusal = checkOwnership(existing, gk.kind, name);
      if (refusal) return refused(refusal);
    }
    return { type, namespace };
  }
}

function isCluster(gk: GroupKind): boolean {
  return gk.group === CLUSTER.group && gk.kind === CLUSTER.kind;
}

export function refOf(object: KubeObject): AppliedRef {
  const ref: AppliedRef = { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace ?? "", name: object.metadata.name };
  if (object.metadata.uid) ref.uid = object.metadata.uid;
  if (object.metadata.generation) ref.generation = object.metadata.generation;
  return ref;
}

/** API messages can quote object values (the API server's own or a Flux admission webhook's): redacted like conditions. */
function apiFailure(err: unknown): WriteOutcome {
  if (err instanceof ApplyConflictError) {
    return { outcome: "conflict", code: "FieldManagerConflict", detail: redactMessage(err.serverMessage), conflicts: err.conflicts };
  }
  if (err instanceof KubeApiError) {
    if (err.status === 403) return { outcome: "failed", code: "Forbidden", detail: redactMessage(err.serverMessage) };
    return { outcome: "failed", code: "ApplyFailed", detail: redactMessage(err.serverMessage) };
  }
  return { outcome: "failed", code: "ApplyFailed", detail: redactMessage(err instanceof Error ? err.message : String(err)) };
}
