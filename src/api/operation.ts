/** Operation: the schema of spec and status (docs/operations.md#the-operation-resource) and everything derived from it. */

import * as v from "valibot";
import type { KubeObject } from "../kube/types";
import { conditionsSchema } from "./condition";
import type { CrdSource } from "./crd/types";
import { decodeWith, type DecodeResult } from "./decode";
import { OPERATION } from "./groups";
import { dateTime, freeformObject, int32, kube, type CelRule } from "./kube-schema";
import { kubeObjectSchema } from "./meta";
import { NON_EMPTY } from "./patterns";

export const OPERATION_TYPES = ["Backup", "Restore", "Upgrade", "Migration", "RunCommand", "Runbook"] as const;
export const OPERATION_ENGINES = ["velero", "workflow", "job", "helm", "volsync", "helmHookJob", "snapshot"] as const;
export const OPERATION_PHASES = ["Pending", "Running", "Succeeded", "Failed", "Cancelled"] as const;
export const TERMINAL_OPERATION_PHASES = ["Succeeded", "Failed", "Cancelled"] as const;

// Webhook twin: rule OP-4. Strings under targetRef are bounded so the equality stays cheap for CEL.
const identityImmutable: CelRule = {
  rule: "self.type == oldSelf.type && self.engine == oldSelf.engine && self.targetRef == oldSelf.targetRef",
  message: "spec.type, spec.engine and spec.targetRef are immutable",
};

const targetRefSchema = v.pipe(
  v.object({
    apiVersion: v.pipe(v.string(), v.maxLength(253), v.description("Must be apps.vworkspace.io/v1alpha1.")),
    kind: v.pipe(v.string(), v.maxLength(63), v.description("Must be ApplicationInstance.")),
    name: v.pipe(
      v.string(),
      v.minLength(1, NON_EMPTY),
      v.maxLength(253),
      v.description("ApplicationInstance in the Operation's namespace."),
    ),
  }),
  v.description("The ApplicationInstance this Operation acts on."),
);

const approvalsSchema = v.pipe(
  v.object({
    required: v.optional(v.pipe(v.boolean(), v.description("OR-ed with the template's own requirement."))),
    claim: v.optional(v.pipe(v.string(), v.maxLength(4096), v.description("vws1 approval claim."))),
    approvedBy: v.optional(v.pipe(v.string(), v.description("Informational; never compared."))),
    approvedAt: v.optional(v.pipe(v.string(), v.description("Informational; never compared."))),
  }),
  v.description("Approval of Operations whose template or spec requires one."),
);

export const operationSpecSchema = v.pipe(
  v.object({
    targetRef: targetRefSchema,
    type: v.pipe(v.picklist(OPERATION_TYPES), v.description("What to do. Immutable.")),
    engine: v.pipe(v.picklist(OPERATION_ENGINES), v.description("What does it. Immutable.")),
    parameters: v.optional(
      v.pipe(freeformObject(), v.description("Template parameters, validated per (type, engine) template.")),
    ),
    approvals: v.optional(approvalsSchema),
    timeoutSeconds: v.optional(
      v.pipe(int32(), v.minValue(1), v.maxValue(604800), v.description("Overrides the template's default timeout.")),
    ),
  }),
  kube({ validations: [identityImmutable] }),
  v.description("Desired day-2 action."),
);

const childRefEntries = { kind: v.string(), name: v.string(), namespace: v.optional(v.string()) };

export const operationStatusSchema = v.pipe(
  v.object({
    phase: v.optional(
      v.pipe(v.picklist(OPERATION_PHASES), v.description("Lifecycle phase; absent until first evaluated.")),
    ),
    startedAt: v.optional(v.pipe(dateTime(), v.description("When the engine child was created."))),
    finishedAt: v.optional(v.pipe(dateTime(), v.description("When a terminal phase was written."))),
    engineRef: v.optional(v.pipe(v.object(childRefEntries), v.description("The engine's child object."))),
    conditions: v.optional(conditionsSchema("Accepted, Running, Succeeded, Failed, Cancelled, Blocked, Degraded.")),
    outputs: v.optional(
      v.pipe(
        freeformObject<string>((value) => typeof value === "string", "must be an object of strings"),
        v.description("Engine results; every value is a string."),
      ),
    ),
    logsRef: v.optional(
      v.pipe(
        v.object({ ...childRefEntries, url: v.optional(v.string()) }),
        v.description("Where to read logs (Job and Workflow children); url may be empty."),
      ),
    ),
  }),
  v.description("Observed state of the Operation."),
);

export type OperationType = (typeof OPERATION_TYPES)[number];
export type OperationEngine = (typeof OPERATION_ENGINES)[number];
export type OperationPhase = (typeof OPERATION_PHASES)[number];
export type OperationSpec = v.InferOutput<typeof operationSpecSchema>;
export type OperationStatus = v.InferOutput<typeof operationStatusSchema>;

export interface Operation extends KubeObject {
  spec: OperationSpec;
  status?: OperationStatus;
}

export function isTerminalPhase(phase: OperationPhase | undefined): boolean {
  return (TERMINAL_OPERATION_PHASES as readonly (OperationPhase | undefined)[]).includes(phase);
}

const body = v.object({ spec: operationSpecSchema, status: v.optional(operationStatusSchema) });
const operationSchema: v.GenericSchema<unknown, Operation> = kubeObjectSchema(OPERATION, body.entries);

/** Decodes an object read from the API server; never throws. */
export function decodeOperation(obj: unknown): DecodeResult<Operation> {
  return decodeWith(operationSchema, obj);
}

export const operationCrd: CrdSource = {
  kind: OPERATION,
  description: "One day-2 action (backup, restore, upgrade, ...) against one ApplicationInstance.",
  body,
  printerColumns: [
    { name: "Phase", type: "string", jsonPath: ".status.phase" },
    { name: "Type", type: "string", jsonPath: ".spec.type" },
    { name: "Engine", type: "string", jsonPath: ".spec.engine" },
    // A column shows one condition: Failed says why an Operation ended badly, Accepted why it is held.
    { name: "Reason", type: "string", jsonPath: '.status.conditions[?(@.type=="Failed")].reason' },
    { name: "Accepted", type: "string", jsonPath: '.status.conditions[?(@.type=="Accepted")].reason', priority: 1 },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};
