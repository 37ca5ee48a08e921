/**
 * Typed intents write one kind each, whatever the payload says: the type meta of the payload object may be
 * absent (filled with the pinned one) or equal to it; anything else is refused, so an intent can never be
 * used to write a kind the allow-list would refuse. See docs/security.md.
 */
import { APPLICATION_INSTANCE, OPERATION } from "../api/groups";
import type { Refusal } from "./refusal";

export interface PinnedKind {
  group: string;
  version: string;
  kind: string;
}

export const PINNED_INTENT_KINDS = {
  "ensure-application-instance": { group: APPLICATION_INSTANCE.group, version: APPLICATION_INSTANCE.version, kind: APPLICATION_INSTANCE.kind },
  "request-operation": { group: OPERATION.group, version: OPERATION.version, kind: OPERATION.kind },
  "delete-application-instance": { group: APPLICATION_INSTANCE.group, version: APPLICATION_INSTANCE.version, kind: APPLICATION_INSTANCE.kind },
} as const satisfies Record<string, PinnedKind>;

export function pinnedApiVersion(pin: PinnedKind): string {
  return pin.group ? `${pin.group}/${pin.version}` : pin.version;
}

/** The payload object with absent (or empty) `apiVersion`/`kind` filled from the pin; other values are kept for the check. */
export function withPinnedTypeMeta<T extends Record<string, unknown>>(object: T, pin: PinnedKind): T & { apiVersion: string; kind: string } {
  const apiVersion = object.apiVersion === undefined || object.apiVersion === "" ? pinnedApiVersion(pin) : String(object.apiVersion);
  const kind = object.kind === undefined || object.kind === "" ? pin.kind : String(object.kind);
  return { ...object, apiVersion, kind };
}

/** Group, version and kind must be exactly the pinned ones. */
export function checkPinnedKind(pin: PinnedKind, target: PinnedKind): Refusal | undefined {
  if (target.group === pin.group && target.version === pin.version && target.kind === pin.kind) return undefined;
  return { code: "KindNotAllowed", detail: `this job may only write ${pin.kind} ${pinnedApiVersion(pin)}` };
}
