/** The standard Kubernetes Condition (metav1.Condition) as required by docs/concepts.md#schemas-and-generated-crds. */

import * as v from "valibot";
import type { Condition } from "../kube/types";
import { int64, dateTime, kube } from "./kube-schema";
import { CONDITION_REASON, CONDITION_TYPE } from "./patterns";

export const CONDITION_STATUSES = ["True", "False", "Unknown"] as const;

export const conditionSchema: v.GenericSchema<unknown, Condition> = v.pipe(
  v.object({
    type: v.pipe(
      v.string(),
      v.maxLength(316),
      v.regex(CONDITION_TYPE),
      v.description("Type of condition in CamelCase."),
    ),
    status: v.pipe(v.picklist(CONDITION_STATUSES), v.description("Status of the condition.")),
    reason: v.pipe(
      v.string(),
      v.minLength(1),
      v.maxLength(1024),
      v.regex(CONDITION_REASON),
      v.description("Programmatic identifier of the reason for the last transition."),
    ),
    message: v.pipe(v.string(), v.maxLength(32768), v.description("Human-readable details; may be empty.")),
    lastTransitionTime: v.pipe(dateTime(), v.description("Last time the status changed.")),
    observedGeneration: v.optional(
      v.pipe(int64(), v.minValue(0), v.description("metadata.generation the condition was computed from.")),
    ),
  }),
  v.description("One aspect of the object's current state."),
);

/** `status.conditions`: a list-map keyed by `type`, so server-side apply merges per condition. */
export function conditionsSchema(description: string) {
  return v.pipe(v.array(conditionSchema), kube({ listType: "map", listMapKeys: ["type"] }), v.description(description));
}
