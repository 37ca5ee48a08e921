/**
 * What a job means for a cluster the control plane writes itself (Push and GitOps,
 * docs/connectivity.md#one-control-plane-three-modes): the job's payload decoded with the wire schemas the agent
 * uses, reduced to "apply this ApplicationInstance or Operation" or "delete that one". Pure. Those two kinds
 * are all the control plane's RBAC and the GitOps layout admit, so anything else is refused here.
 */
import * as v from "valibot";
import { APPLICATION_INSTANCE, OPERATION } from "../api/groups";
import { desiredStateLabels } from "../gitops/layout";
import type { KubeObject, ResourceType } from "../kube/types";
import { PINNED_INTENT_KINDS, pinnedApiVersion, withPinnedTypeMeta } from "../policy/kinds";
import type { Refusal } from "../policy/refusal";
import { applyPayloadSchema, deletePayloadSchema, intentPayloadSchemas, isIntentName, isJobKind } from "../protocol/job";
import type { AppliedRef } from "../protocol";

export const DIRECT_KINDS: readonly ResourceType[] = [APPLICATION_INSTANCE, OPERATION];

export type DirectWrite =
  | { action: "apply"; type: ResourceType; object: KubeObject }
  | { action: "delete"; type: ResourceType; ref: AppliedRef }
  | { action: "refuse"; refusal: Refusal };

function refuse(code: Refusal["code"], detail: string): DirectWrite {
  return { action: "refuse", refusal: { code, detail } };
}

function typeOf(apiVersion: string, kind: string): ResourceType | undefined {
  return DIRECT_KINDS.find((type) => `${type.group}/${type.version}` === apiVersion && type.kind === kind);
}

function notAllowed(apiVersion: string, kind: string): DirectWrite {
  const allowed = DIRECT_KINDS.map((type) => `${type.kind} ${type.group}/${type.version}`).join(" and ");
  return refuse("KindNotAllowed", `${kind} ${apiVersion} cannot be written in this mode: only ${allowed}`);
}

/** The manifest with the control-plane labels stamped over its own, exactly as the agent stamps them. */
function applyWrite(object: Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> }, clusterId: string): DirectWrite {
  const type = typeOf(object.apiVersion, object.kind);
  if (!type) return notAllowed(object.apiVersion, object.kind);
  const namespace = object.metadata.namespace;
  if (typeof namespace !== "string" || namespace === "") return refuse("InvalidPayload", `${object.kind} ${String(object.metadata.name)} needs a namespace`);
  const labels = { ...((object.metadata.labels as Record<string, string> | undefined) ?? {}), ...desiredStateLabels(clusterId) };
  return { action: "apply", type, object: { ...object, metadata: { ...object.metadata, labels } } as unknown as KubeObject };
}

function deleteWrite(ref: { apiVersion: string; kind: string; namespace: string; name: string }): DirectWrite {
  const type = typeOf(ref.apiVersion, ref.kind);
  if (!type) return notAllowed(ref.apiVersion, ref.kind);
  if (ref.namespace === "") return refuse("InvalidPayload", `${ref.kind} ${ref.name} needs a namespace`);
  return { action: "delete", type, ref: { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name } };
}

export function directWriteOf(kind: string, payload: unknown, clusterId: string): DirectWrite {
  if (!isJobKind(kind)) return refuse("UnsupportedJobKind", `unsupported job kind ${JSON.stringify(kind.slice(0, 64))}`);
  if (kind === "apply") {
    const parsed = v.safeParse(applyPayloadSchema, payload);
    if (!parsed.success) return refuse("InvalidPayload", "apply payload must be a manifest with apiVersion, kind and metadata.name");
    return applyWrite(parsed.output, clusterId);
  }
  if (kind === "delete") {
    const parsed = v.safeParse(deletePayloadSchema, payload);
    if (!parsed.success) return refuse("InvalidPayload", "delete payload needs apiVersion, kind, name and namespace");
    return deleteWrite(parsed.output);
  }
  const intent = (payload as { intent?: unknown } | null)?.intent;
  if (!isIntentName(intent)) return refuse("UnsupportedIntent", `unsupported intent ${JSON.stringify(String(intent).slice(0, 64))}`);
  const parsed = v.safeParse(intentPayloadSchemas[intent], payload);
  if (!parsed.success) return refuse("InvalidPayload", `${intent} payload is incomplete`);
  switch (intent) {
    case "ensure-application-instance":
      return applyWrite(withPinnedTypeMeta((parsed.output as { applicationInstance: Record<string, unknown> }).applicationInstance, PINNED_INTENT_KINDS[intent]) as never, clusterId);
    case "request-operation":
      return applyWrite(withPinnedTypeMeta((parsed.output as { operation: Record<string, unknown> }).operation, PINNED_INTENT_KINDS[intent]) as never, clusterId);
    case "delete-application-instance": {
      const { name, namespace } = parsed.output as { name: string; namespace: string };
      const pin = PINNED_INTENT_KINDS[intent];
      return deleteWrite({ apiVersion: pinnedApiVersion(pin), kind: pin.kind, namespace, name });
    }
    case "rotate-operator-credentials":
      return refuse("UnsupportedIntent", "rotate-operator-credentials needs the agent's status channel: send it to a cluster in Pull mode");
  }
}
