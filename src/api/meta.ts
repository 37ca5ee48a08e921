/** Envelope of every object we decode: apiVersion, kind and ObjectMeta around a kind-specific body. */

import * as v from "valibot";
import { apiVersionOf, type ObjectMeta, type OwnerReference, type ResourceType } from "../kube/types";

const ownerReferenceSchema: v.GenericSchema<unknown, OwnerReference> = v.looseObject({
  apiVersion: v.string(),
  kind: v.string(),
  name: v.string(),
  uid: v.string(),
  controller: v.optional(v.boolean()),
  blockOwnerDeletion: v.optional(v.boolean()),
});

/** Loose: fields we do not model (generateName, selfLink, ...) pass through untouched. */
const objectMetaSchema: v.GenericSchema<unknown, ObjectMeta> = v.looseObject({
  name: v.string(),
  namespace: v.optional(v.string()),
  uid: v.optional(v.string()),
  resourceVersion: v.optional(v.string()),
  generation: v.optional(v.number()),
  creationTimestamp: v.optional(v.string()),
  deletionTimestamp: v.optional(v.string()),
  labels: v.optional(v.record(v.string(), v.string())),
  annotations: v.optional(v.record(v.string(), v.string())),
  finalizers: v.optional(v.array(v.string())),
  ownerReferences: v.optional(v.array(ownerReferenceSchema)),
  managedFields: v.optional(v.array(v.unknown())),
});

/** The whole object of `type`: its apiVersion and kind are checked, its body entries (spec, status) decoded. */
export function kubeObjectSchema<TBody extends v.ObjectEntries>(type: ResourceType, body: TBody) {
  return v.object({
    apiVersion: v.literal(apiVersionOf(type)),
    kind: v.literal(type.kind),
    metadata: objectMetaSchema,
    ...body,
  });
}
