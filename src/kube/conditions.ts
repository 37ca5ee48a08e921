/**
 * Condition bookkeeping (docs/concepts.md#conditions), pure: `lastTransitionTime` moves only when `status` changes,
 * every condition carries the generation it was computed from, messages are redacted and bounded.
 */
import { formatTime } from "./time";
import type { Condition, ConditionStatus } from "./types";

export const MAX_CONDITION_MESSAGE = 1024;

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message?: string;
}

export interface ConditionOptions {
  /** Applied to the message before truncation, e.g. to blank out PEM blocks and sensitive values. */
  redact?: (message: string) => string;
  maxMessageLength?: number;
}

/**
 * Returns a new list with `next` set: appended when its type is new, replaced in place otherwise.
 * The previous `lastTransitionTime` is kept unless `status` changed.
 */
export function setCondition(
  list: readonly Condition[] | undefined,
  next: ConditionInput,
  generation: number | undefined,
  now: Date | number,
  options: ConditionOptions = {},
): Condition[] {
  const conditions = list ?? [];
  const previous = conditions.find((condition) => condition.type === next.type);
  const condition: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: conditionMessage(next.message ?? "", options),
    lastTransitionTime:
      previous && previous.status === next.status ? previous.lastTransitionTime : formatTime(now),
  };
  if (generation !== undefined) condition.observedGeneration = generation;
  return previous
    ? conditions.map((existing) => (existing === previous ? condition : existing))
    : [...conditions, condition];
}

export function findCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((condition) => condition.type === type);
}

export function removeCondition(list: readonly Condition[] | undefined, type: string): Condition[] {
  return (list ?? []).filter((condition) => condition.type !== type);
}

export function isConditionTrue(list: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(list, type)?.status === "True";
}

/** Equal lists (same order) apart from `lastTransitionTime`. */
export function conditionsEqual(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  return left.length === right.length && left.every((condition, index) => sameCondition(condition, right[index]));
}

function sameCondition(a: Condition, b: Condition | undefined): boolean {
  return (
    b !== undefined &&
    a.type === b.type &&
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.observedGeneration === b.observedGeneration
  );
}

/**
 * Conditions of `after` whose status or reason differ from `before`, including first appearances:
 * the transitions that get a Kubernetes Event (docs/concepts.md#conditions).
 */
export function conditionTransitions(
  before: readonly Condition[] | undefined,
  after: readonly Condition[] | undefined,
): Array<{ previous: Condition | undefined; current: Condition }> {
  return (after ?? []).flatMap((current) => {
    const previous = findCondition(before, current.type);
    const changed = !previous || previous.status !== current.status || previous.reason !== current.reason;
    return changed ? [{ previous, current }] : [];
  });
}

export function conditionMessage(message: string, options: ConditionOptions = {}): string {
  const redacted = options.redact ? options.redact(message) : message;
  return truncateMessage(redacted, options.maxMessageLength ?? MAX_CONDITION_MESSAGE);
}

/** At most `max` characters (code points, so surrogate pairs stay whole), the last one `…` when cut. */
export function truncateMessage(message: string, max = MAX_CONDITION_MESSAGE): string {
  if (message.length <= max) return message;
  const characters = Array.from(message);
  if (characters.length <= max) return message;
  return `${characters.slice(0, max - 1).join("")}…`;
}
