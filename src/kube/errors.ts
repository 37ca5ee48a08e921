/**
 * Errors of the API client and their classification. Every error names the request (verb and
 * path) but never carries a request or response body beyond the server's Status message, so a
 * Secret's content cannot leak through an error log.
 */

/** metav1.Status as returned by the API server on failure and inside watch ERROR events. */
export interface KubeStatus {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: StatusDetails;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** metav1.StatusCause; its Go field `Type` is serialised as `reason`. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface RequestContext {
  verb: string;
  path: string;
}

/** The API server answered with a non-2xx status (or a watch ERROR event). */
export class KubeApiError extends Error {
  override readonly name: string = "KubeApiError";
  readonly status: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  /** The server's own message, without the request prefix. */
  readonly serverMessage: string;
  readonly verb: string;
  readonly path: string;
  /** The Retry-After header, when the server sent one. */
  readonly retryAfter: string | null;

  constructor(status: number, body: KubeStatus | undefined, request: RequestContext, retryAfter: string | null = null) {
    const reason = body?.reason ?? "";
    const detail = body?.message ?? (reason || `HTTP ${status}`);
    super(`${request.verb} ${request.path}: ${status}${reason ? ` ${reason}` : ""}: ${detail}`);
    this.status = status;
    this.reason = reason;
    this.serverMessage = detail;
    this.details = body?.details;
    this.verb = request.verb;
    this.path = request.path;
    this.retryAfter = retryAfter;
  }
}

/** The request never got an HTTP answer: refused, reset, TLS failure. `code` is Bun's error code. */
export class KubeTransportError extends Error {
  override readonly name = "KubeTransportError";
  readonly code: string;
  readonly verb: string;
  readonly path: string;

  constructor(code: string, request: RequestContext, cause: unknown) {
    super(`${request.verb} ${request.path}: transport error ${code}: ${messageOf(cause)}`, { cause });
    this.code = code;
    this.verb = request.verb;
    this.path = request.path;
  }
}

/** The client-side deadline of a request passed. */
export class KubeTimeoutError extends Error {
  override readonly name = "KubeTimeoutError";
  readonly verb: string;
  readonly path: string;

  constructor(request: RequestContext, timeoutMs: number) {
    super(`${request.verb} ${request.path}: no answer within ${timeoutMs} ms`);
    this.verb = request.verb;
    this.path = request.path;
  }
}

export type ErrorClass =
  | "conflict"
  | "alreadyExists"
  | "notFound"
  | "gone"
  | "forbidden"
  | "invalid"
  | "transport"
  | "timeout"
  | "other";

/** Maps any error thrown by this package, by client-node or by Bun's fetch to one class. */
export function classifyError(err: unknown): ErrorClass {
  if (err instanceof KubeTransportError) return "transport";
  if (err instanceof KubeTimeoutError) return "timeout";
  if (isDomError(err, "TimeoutError")) return "timeout";
  const status = apiStatus(err);
  if (status?.code !== undefined) return classifyStatus(status.code, status.reason ?? "");
  if (transportCode(err) !== undefined) return "transport";
  return "other";
}

function classifyStatus(code: number, reason: string): ErrorClass {
  if (reason === "AlreadyExists") return "alreadyExists";
  if (reason === "Timeout" || reason === "ServerTimeout") return "timeout";
  switch (code) {
    case 409:
      return "conflict";
    case 404:
      return "notFound";
    case 410:
      return "gone";
    case 401:
    case 403:
      return "forbidden";
    case 400:
    case 422:
      return "invalid";
    case 408:
    case 504:
      return "timeout";
    default:
      return "other";
  }
}

/**
 * The Status behind an error: ours, or client-node's ApiException whose `body` is a string (usually
 * a JSON Status, sometimes plain text), parsed defensively.
 */
export function apiStatus(err: unknown): KubeStatus | undefined {
  if (err instanceof KubeApiError) {
    return { kind: "Status", code: err.status, reason: err.reason, message: err.serverMessage, details: err.details };
  }
  if (!isRecord(err) || typeof err.code !== "number") return undefined;
  const parsed = typeof err.body === "string" ? parseStatus(err.body) : isRecord(err.body) ? err.body : undefined;
  return { ...(parsed as KubeStatus | undefined), code: err.code };
}

/** Parses a response body as a Status; undefined when it is not one (HTML from a proxy, empty, …). */
export function parseStatus(text: string): KubeStatus | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) && value.kind === "Status" ? (value as KubeStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** Bun reports transport failures as a plain TypeError (or Error) carrying a string `.code`. */
export function transportCode(err: unknown): string | undefined {
  if (err instanceof KubeTransportError) return err.code;
  if (err instanceof Error && !isDomError(err) && isRecord(err) && typeof err.code === "string") return err.code;
  return undefined;
}

export function isDomError(err: unknown, name?: string): boolean {
  return err instanceof DOMException && (name === undefined || err.name === name);
}

export function isNotFound(err: unknown): boolean {
  return classifyError(err) === "notFound";
}

export function isConflict(err: unknown): boolean {
  return classifyError(err) === "conflict";
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
