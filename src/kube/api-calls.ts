/**
 * The hook every API request reports to: metrics count requests by verb and code, tests record
 * calls to assert write discipline ("zero status writes", "no GET of a Secret").
 */

import type { ResourcePath } from "./paths";

export type ApiVerb =
  | "get"
  | "list"
  | "watch"
  | "create"
  | "update"
  | "patch"
  | "apply"
  | "delete"
  | "deletecollection"
  | "request";

export interface ApiCall {
  verb: ApiVerb;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** The resource addressed, when the path is a resource path. */
  resource: ResourcePath | undefined;
  /** HTTP status, or "transport" / "timeout" / "aborted" when no answer arrived. */
  code: number | "transport" | "timeout" | "aborted";
  durationMs: number;
}

export interface ApiCallObserver {
  onApiCall(call: ApiCall): void;
}

export function combineObservers(...observers: Array<ApiCallObserver | undefined>): ApiCallObserver {
  const present = observers.filter((observer): observer is ApiCallObserver => observer !== undefined);
  return { onApiCall: (call) => present.forEach((observer) => observer.onApiCall(call)) };
}

const WRITE_VERBS: ReadonlySet<ApiVerb> = new Set(["create", "update", "patch", "apply", "delete", "deletecollection"]);

/** Keeps every call in memory; for tests and debugging, not for production (unbounded by design). */
export class ApiCallRecorder implements ApiCallObserver {
  readonly calls: ApiCall[] = [];

  onApiCall(call: ApiCall): void {
    this.calls.push(call);
  }

  clear(): void {
    this.calls.length = 0;
  }

  filter(predicate: (call: ApiCall) => boolean): ApiCall[] {
    return this.calls.filter(predicate);
  }

  /** Writes to the status subresource, optionally of one resource plural. */
  statusWrites(plural?: string): ApiCall[] {
    return this.filter(
      (call) =>
        isWrite(call) &&
        call.resource?.subresource === "status" &&
        (plural === undefined || call.resource.plural === plural),
    );
  }

  /** Calls addressing a resource plural (e.g. `secrets`, `namespaces`), optionally with given verbs. */
  callsTo(plural: string, verbs?: readonly ApiVerb[]): ApiCall[] {
    return this.filter((call) => call.resource?.plural === plural && (!verbs || verbs.includes(call.verb)));
  }
}

export function isWrite(call: ApiCall): boolean {
  return WRITE_VERBS.has(call.verb);
}
