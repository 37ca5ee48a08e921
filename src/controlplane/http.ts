/** Response helpers shared by the agent and admin APIs: the docs/connectivity.md#pull-mode-wire-protocol error body with a request id. */
import type { Context } from "hono";
import { AGENT_MEDIA_TYPE } from "../protocol/endpoints";

export function requestIdOf(c: Context): string {
  let id = c.get("requestId") as string | undefined;
  if (!id) {
    id = crypto.randomUUID();
    c.set("requestId", id);
  }
  return id;
}

export function agentJson(c: Context, status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": AGENT_MEDIA_TYPE, "X-Request-Id": requestIdOf(c) } });
}

export function noContent(c: Context): Response {
  return new Response(null, { status: 204, headers: { "X-Request-Id": requestIdOf(c) } });
}

/** `{"error","message","requestId"}` in the agent media type (or plain JSON for the admin API). */
export function problem(c: Context, status: number, error: string, message: string, options: { retryAfterSeconds?: number; admin?: boolean } = {}): Response {
  const requestId = requestIdOf(c);
  const headers: Record<string, string> = {
    "Content-Type": options.admin ? "application/json" : AGENT_MEDIA_TYPE,
    "X-Request-Id": requestId,
  };
  if (options.retryAfterSeconds !== undefined) headers["Retry-After"] = String(options.retryAfterSeconds);
  return new Response(JSON.stringify({ error, message, requestId }), { status, headers });
}

export function adminJson(c: Context, status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", "X-Request-Id": requestIdOf(c) } });
}

/** Media type of a header value without parameters, lower-cased. */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

export function acceptsAgentMediaType(accept: string | undefined): boolean {
  return (accept ?? "").split(",").some((item) => mediaTypeOf(item) === AGENT_MEDIA_TYPE);
}

export function bearerOf(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match?.[1];
}
