/**
 * The checks every agent request passes before its handler (docs/connectivity.md#agent-api): media type (406), bearer
 * authentication (401; register: a live registration token), rate limit (429), only then the body, streamed with
 * the 1 MiB cap (413) and its media type (415), and injected faults. No body is read for an unauthenticated caller.
 */
import type { Context, MiddlewareHandler } from "hono";
import { AGENT_MEDIA_TYPE, AGENT_PATHS, type AgentEndpoint } from "../protocol/endpoints";
import { readCappedBody } from "../protocol/capped-body";
import { MAX_EVENTS_BODY_BYTES } from "../protocol/events";
import type { BearerIdentity } from "./store/tokens";
import { acceptsAgentMediaType, bearerOf, mediaTypeOf, problem, requestIdOf } from "./http";
import type { ControlPlaneState } from "./state";
import type { PeerIdentity } from "./tls-terminator";

export interface AgentVariables {
  requestId: string;
  identity: BearerIdentity;
  /** Raw request body text ("" when none). */
  bodyText: string;
  /** Set by the events handler for the request log. */
  eventKinds?: Record<string, number>;
}

export type AgentContext = Context<{ Variables: AgentVariables; Bindings: AgentBindings }>;

export interface AgentBindings {
  /** Bun's server, to lift the idle timeout for a long poll; absent when the app is called directly. */
  server?: { timeout(request: Request, seconds: number): void };
  /** The verified client certificate's identity, when certificates are bound to clusters. */
  peer?: PeerIdentity;
}

/** A certificate naming a registered cluster may only act for that cluster; other certificates are fleet-wide. */
export function peerMismatch(state: ControlPlaneState, peer: PeerIdentity | undefined, clusterId: string): boolean {
  return peer !== undefined && peer.commonName !== clusterId && state.clusters.get(peer.commonName) !== undefined;
}

export function endpointOf(method: string, path: string): AgentEndpoint | undefined {
  if (path === AGENT_PATHS.jobs && method === "GET") return "jobs";
  if (path === AGENT_PATHS.events && method === "POST") return "events";
  if (path === AGENT_PATHS.register && method === "POST") return "register";
  if (path === AGENT_PATHS.rotate && method === "POST") return "rotate";
  const match = /^\/api\/agent\/jobs\/[^/]+\/(ack|status|result)$/.exec(path);
  return match && method === "POST" ? (match[1] as AgentEndpoint) : undefined;
}

/** Logs every authenticated request with its arrival time once answered, faults and refusals included. */
export function requestRecorder(state: ControlPlaneState): MiddlewareHandler<{ Variables: AgentVariables; Bindings: AgentBindings }> {
  return async (c, next) => {
    const receivedAt = new Date(state.now()).toISOString();
    await next();
    const identity = c.get("identity") as BearerIdentity | undefined;
    const endpoint = endpointOf(c.req.method, c.req.path);
    if (!identity || !endpoint) return;
    const eventKinds = c.get("eventKinds");
    state.requests.record(identity.clusterId, { endpoint, receivedAt, status: c.res.status, ...(eventKinds ? { eventKinds } : {}) });
  };
}

export function agentGuard(state: ControlPlaneState): MiddlewareHandler<{ Variables: AgentVariables; Bindings: AgentBindings }> {
  return async (c, next) => {
    requestIdOf(c);
    const endpoint = endpointOf(c.req.method, c.req.path);
    if (!endpoint) return problem(c, 404, "NotFound", `no agent endpoint ${c.req.method} ${c.req.path}`);
    if (!acceptsAgentMediaType(c.req.header("Accept"))) return problem(c, 406, "NotAcceptable", `Accept must include ${AGENT_MEDIA_TYPE}`);
    const now = state.now();
    const token = bearerOf(c.req.header("Authorization"));
    let clusterId: string | undefined;
    if (endpoint === "register") {
      // The handler checks the token again against the body; this only keeps strangers from sending one.
      if (!token || !state.tokens.findRegistrationToken(token, now).ok) {
        return problem(c, 401, "InvalidRegistrationToken", "registration token is unknown, used or expired");
      }
    } else {
      const identity = token ? state.tokens.authenticate(token, now) : undefined;
      if (!identity) return problem(c, 401, "Unauthorized", "missing, unknown, revoked or expired bearer token");
      if (!state.rateLimiter.allow(identity.hash, now)) {
        return problem(c, 429, "RateLimited", "request rate limit exceeded", { retryAfterSeconds: state.config.retryAfterSeconds });
      }
      if (peerMismatch(state, c.env?.peer, identity.clusterId)) return problem(c, 403, "Forbidden", "the client certificate belongs to another cluster");
      c.set("identity", identity);
      clusterId = identity.clusterId;
    }
    // Every agent body is small; the 1 MiB events limit bounds them all, chunked bodies included.
    const body = c.req.method === "GET" ? { ok: true as const, text: "" } : await readCappedBody(c.req.raw, MAX_EVENTS_BODY_BYTES);
    if (!body.ok) return problem(c, 413, "PayloadTooLarge", "request body exceeds 1 MiB");
    if (body.text !== "" && mediaTypeOf(c.req.header("Content-Type")) !== AGENT_MEDIA_TYPE) {
      return problem(c, 415, "UnsupportedMediaType", `Content-Type must be ${AGENT_MEDIA_TYPE}`);
    }
    c.set("bodyText", body.text);
    const fault = state.faults.take(endpoint, clusterId);
    if (fault?.delayMs) await Bun.sleep(fault.delayMs);
    if (fault?.status !== undefined) {
      const options = fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : {};
      return problem(c, fault.status, "InjectedFault", `fault injected for ${endpoint}`, options);
    }
    await next();
  };
}
