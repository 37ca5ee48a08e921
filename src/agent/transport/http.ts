/**
 * One request to the control plane (docs/connectivity.md#pull-mode-wire-protocol): bearer, v1 media type, User-Agent, per-endpoint
 * timeout, TLS material from the caller's credentials snapshot. Transport failures become CpTransportError
 * (`tls` when the handshake or certificate check failed); every HTTP answer is returned, never thrown.
 * Bodies are streamed with a cap per request: past it the request is aborted (`oversized`), so a hostile or
 * broken server can never make the agent buffer more than the cap.
 */
import pkg from "../../../package.json";
import { AGENT_MEDIA_TYPE, errorBodySchema, readCappedBody } from "../../protocol";
import * as v from "valibot";
import type { AgentMetrics, RequestEndpoint } from "../../observability/agent-metrics";
import type { CpTarget, TlsMaterial } from "../credentials/credentials";

export interface CpRequest {
  endpoint: RequestEndpoint;
  method: "GET" | "POST";
  /** Path and query below the base URL. */
  path: string;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Largest response body read; default `DEFAULT_MAX_RESPONSE_BYTES`. */
  maxResponseBytes?: number;
}

/** Cap of every answer but the jobs poll: register, rotate, ack, result, events and status answers are small. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

export interface CpResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when empty or not JSON. */
  body: unknown;
  /** The error body's `error` code and `requestId` when present (logged, never trusted). */
  errorCode?: string;
  requestId?: string;
}

export type TransportKind = "network" | "tls" | "timeout" | "aborted" | "oversized";

export class CpTransportError extends Error {
  override readonly name = "CpTransportError";
  constructor(readonly kind: TransportKind, readonly endpoint: RequestEndpoint, cause: unknown) {
    super(`${endpoint} request failed (${kind}): ${describe(cause)}`, { cause });
  }
}

export const USER_AGENT = `vworkspace-operator/${pkg.version}`;

const TLS_ERROR = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|HANDSHAKE|ERR_TLS|DEPTH_ZERO|UNABLE_TO_GET_ISSUER|HOSTNAME|ALTNAME|ECONNRESET_TLS/i;

export async function cpRequest(target: CpTarget, request: CpRequest, metrics?: AgentMetrics): Promise<CpResponse> {
  const started = performance.now();
  const deadline = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
  const headers: Record<string, string> = {
    Authorization: `Bearer ${target.token}`,
    Accept: AGENT_MEDIA_TYPE,
    "User-Agent": USER_AGENT,
  };
  if (request.body !== undefined) headers["Content-Type"] = AGENT_MEDIA_TYPE;
  // Aborts the connection when the body outgrows its cap, so nothing more is received.
  const overflow = new AbortController();
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${target.baseUrl}${request.path}`, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.any([signal, overflow.signal]),
      // Explicit, so NODE_TLS_REJECT_UNAUTHORIZED can never weaken the check (docs/connectivity.md#mtls-and-ca-pinning).
      tls: { ...tlsOptions(target.tls), rejectUnauthorized: true },
    });
    text = await readCapped(response, request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, overflow);
  } catch (err) {
    const kind = err instanceof ResponseTooLargeError ? "oversized" : transportKind(err, deadline, request.signal);
    metrics?.requests.inc({ endpoint: request.endpoint, code: kind === "tls" ? "tls" : "network" });
    metrics?.requestDuration.observe({ endpoint: request.endpoint }, (performance.now() - started) / 1000);
    throw new CpTransportError(kind, request.endpoint, err);
  }
  metrics?.requests.inc({ endpoint: request.endpoint, code: String(response.status) });
  metrics?.requestDuration.observe({ endpoint: request.endpoint }, (performance.now() - started) / 1000);
  const body = parseJson(text);
  const errorBody = response.ok ? undefined : v.safeParse(errorBodySchema, body);
  return {
    status: response.status,
    headers: response.headers,
    body,
    ...(errorBody?.success && errorBody.output.error ? { errorCode: errorBody.output.error } : {}),
    ...(errorBody?.success && errorBody.output.requestId ? { requestId: errorBody.output.requestId } : {}),
  };
}

class ResponseTooLargeError extends Error {
  override readonly name = "ResponseTooLargeError";
}

/** The body as text; more than `maxBytes` (declared or received) aborts the request. */
export async function readCapped(response: Response, maxBytes: number, overflow: AbortController): Promise<string> {
  const body = await readCappedBody(response, maxBytes);
  if (body.ok) return body.text;
  overflow.abort();
  throw new ResponseTooLargeError(`response body larger than the ${maxBytes}-byte limit; request aborted`);
}

function tlsOptions(tls: TlsMaterial | undefined): Record<string, string> {
  if (!tls) return {};
  const options: Record<string, string> = {};
  if (tls.cert) options.cert = tls.cert;
  if (tls.key) options.key = tls.key;
  if (tls.ca) options.ca = tls.ca;
  return options;
}

function transportKind(err: unknown, deadline: AbortSignal, caller: AbortSignal | undefined): TransportKind {
  if (caller?.aborted) return "aborted";
  if (deadline.aborted) return "timeout";
  const code = typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : "";
  return TLS_ERROR.test(code) || TLS_ERROR.test(describe(err)) ? "tls" : "network";
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
