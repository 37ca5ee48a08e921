/** The v1 agent API, strictly (docs/connectivity.md#pull-mode-wire-protocol, docs/connectivity.md#agent-api). Tokens are looked up by hash and never logged. */
import { Hono } from "hono";
import { AGENT_MEDIA_TYPE, AGENT_PATHS } from "../protocol/endpoints";
import { eventsBatchStrictSchema, MAX_EVENTS_PER_BATCH } from "../protocol/events";
import { registerRequestStrictSchema, rotateRequestStrictSchema } from "../protocol/registration";
import { JOB_OUTCOMES, jobResultStrictSchema, statusUpdateStrictSchema } from "../protocol/result";
import { tokenFingerprint } from "../security/fingerprint";
import { agentGuard, peerMismatch, requestRecorder, type AgentBindings, type AgentContext, type AgentVariables } from "./agent-guard";
import { decodeBody, parseJsonText } from "./body";
import { STATUS_WINDOW_MS } from "./config";
import { agentJson, bearerOf, noContent, problem } from "./http";
import { countKinds } from "./request-log";
import type { ControlPlaneState } from "./state";
import type { JobRow } from "./store/jobs";

type JobLookup = { ok: true; row: JobRow } | { ok: false; response: Response };

function ownedJob(c: AgentContext, state: ControlPlaneState): JobLookup {
  const id = c.req.param("id") ?? "";
  const row = state.jobs.row(id);
  if (!row) return { ok: false, response: problem(c, 404, "JobNotFound", "no such job") };
  if (row.cluster_id !== c.get("identity").clusterId) return { ok: false, response: problem(c, 403, "Forbidden", "the job belongs to another cluster") };
  return { ok: true, row };
}

function isoOrUndefined(ms: number | null): string | undefined {
  return ms === null ? undefined : new Date(ms).toISOString();
}

async function pollJobs(c: AgentContext, state: ControlPlaneState): Promise<Response> {
  const cluster = c.req.query("cluster");
  if (!cluster) return problem(c, 400, "MissingCluster", "query parameter cluster is required");
  const waitText = c.req.query("wait") ?? "0";
  if (!/^\d+$/.test(waitText)) return problem(c, 400, "InvalidWait", "wait must be a non-negative integer number of seconds");
  if (cluster !== c.get("identity").clusterId) return problem(c, 403, "Forbidden", "the token does not belong to this cluster");
  const waitSeconds = Math.min(Number(waitText), state.config.maxWaitSeconds);
  const limit = state.config.maxJobsPerPoll;
  let jobs = state.jobs.deliver(cluster, limit);
  if (jobs.length === 0 && waitSeconds > 0) {
    if (state.polls.inflight >= state.config.maxInflightPolls) {
      return problem(c, 503, "Overloaded", "too many long polls in flight", { retryAfterSeconds: state.config.retryAfterSeconds });
    }
    // Bun closes a request idle for 10 s by default; a long poll is idle on purpose.
    c.env?.server?.timeout(c.req.raw, 0);
    state.polls.inflight += 1;
    try {
      await state.signal.wait(cluster, waitSeconds * 1000, c.req.raw.signal);
    } finally {
      state.polls.inflight -= 1;
    }
    // A poll whose client went away delivers nothing, so the delivery count stays honest.
    if (c.req.raw.signal.aborted) return new Response(null, { status: 499 });
    jobs = state.jobs.deliver(cluster, limit);
  }
  // Envelopes go out exactly as stored: never `null`, and byte for byte what was signed.
  return new Response(`{"jobs":[${jobs.join(",")}]}`, {
    status: 200,
    headers: { "Content-Type": AGENT_MEDIA_TYPE, "X-Request-Id": c.get("requestId") },
  });
}

function ack(c: AgentContext, state: ControlPlaneState): Response {
  const lookup = ownedJob(c, state);
  if (!lookup.ok) return lookup.response;
  if (lookup.row.result !== null) return problem(c, 409, "JobClosed", "the job already has a result");
  state.jobs.ack(lookup.row.id, state.now());
  return noContent(c);
}

function postStatus(c: AgentContext, state: ControlPlaneState): Response {
  const json = parseJsonText(c.get("bodyText"));
  if (!json.ok) return problem(c, 400, "InvalidBody", json.message);
  const update = decodeBody(statusUpdateStrictSchema, json.value);
  if (!update.ok) return problem(c, 400, "InvalidBody", update.message);
  const lookup = ownedJob(c, state);
  if (!lookup.ok) return lookup.response;
  const now = state.now();
  if (lookup.row.acked_at === null) return problem(c, 400, "JobNotAcked", "the job has not been acknowledged");
  if (lookup.row.result_at !== null && now - lookup.row.result_at > STATUS_WINDOW_MS) {
    return problem(c, 409, "JobClosed", "status updates are accepted until 24 h after the result");
  }
  state.jobs.addStatus(lookup.row.id, update.value, now);
  return noContent(c);
}

function postResult(c: AgentContext, state: ControlPlaneState): Response {
  const json = parseJsonText(c.get("bodyText"));
  if (!json.ok) return problem(c, 400, "InvalidBody", json.message);
  const outcome = (json.value as { outcome?: unknown } | null)?.outcome;
  if (typeof json.value === "object" && json.value !== null && !(JOB_OUTCOMES as readonly unknown[]).includes(outcome)) {
    return problem(c, 400, "InvalidOutcome", `outcome must be one of ${JOB_OUTCOMES.join(", ")}`);
  }
  const result = decodeBody(jobResultStrictSchema, json.value);
  if (!result.ok) return problem(c, 400, "InvalidBody", result.message);
  const lookup = ownedJob(c, state);
  if (!lookup.ok) return lookup.response;
  if (lookup.row.acked_at === null) return problem(c, 400, "JobNotAcked", "a result needs an acknowledged job");
  if (lookup.row.result !== null || !state.jobs.recordResult(lookup.row.id, result.value, state.now())) {
    return problem(c, 409, "ResultAlreadyRecorded", "the job already has a result");
  }
  return noContent(c);
}

function postEvents(c: AgentContext, state: ControlPlaneState): Response {
  const json = parseJsonText(c.get("bodyText"));
  if (!json.ok) return problem(c, 400, "InvalidBody", json.message);
  const items = (json.value as { events?: unknown } | null)?.events;
  if (Array.isArray(items) && items.length > MAX_EVENTS_PER_BATCH) {
    return problem(c, 400, "TooManyEvents", `at most ${MAX_EVENTS_PER_BATCH} events per request`);
  }
  const batch = decodeBody(eventsBatchStrictSchema, json.value);
  if (!batch.ok) return problem(c, 400, "InvalidBody", batch.message);
  const clusterId = c.get("identity").clusterId;
  const now = state.now();
  c.set("eventKinds", countKinds(batch.value.events));
  state.events.append(clusterId, batch.value.events, now);
  if (batch.value.events.some((event) => event.kind === "ClusterHeartbeat")) state.clusters.touchHeartbeat(clusterId, now);
  return noContent(c);
}

function register(c: AgentContext, state: ControlPlaneState): Response {
  const json = parseJsonText(c.get("bodyText"));
  if (!json.ok) return problem(c, 400, "InvalidBody", json.message);
  const request = decodeBody(registerRequestStrictSchema, json.value);
  if (!request.ok) return problem(c, 400, "InvalidBody", request.message);
  const invalid = () => problem(c, 401, "InvalidRegistrationToken", "registration token is unknown, used or expired");
  const bearer = bearerOf(c.req.header("Authorization"));
  if (bearer === undefined || bearer !== request.value.registrationToken) return invalid();
  const now = state.now();
  const lookup = state.tokens.findRegistrationToken(bearer, now);
  if (!lookup.ok) return invalid();
  const requested = request.value.clusterId;
  if (lookup.boundClusterId !== null && requested !== undefined && requested !== lookup.boundClusterId) {
    return problem(c, 403, "ClusterMismatch", "the registration token is bound to another cluster");
  }
  const clusterId = lookup.boundClusterId ?? requested ?? crypto.randomUUID();
  // Only a token bound to a cluster may re-register it: an unbound one would otherwise take the cluster over.
  if (lookup.boundClusterId === null && state.clusters.get(clusterId)) {
    return problem(c, 409, "ClusterExists", "a cluster with this id is already registered; re-registration needs a registration token bound to it");
  }
  if (peerMismatch(state, c.env?.peer, clusterId)) return problem(c, 403, "ClusterMismatch", "the client certificate belongs to another cluster");
  if (!state.tokens.consumeRegistrationToken(lookup.hash, now)) return invalid();
  if (state.clusters.get(clusterId)) state.tokens.revokeCluster(clusterId, now);
  state.clusters.upsert(clusterId, now, request.value.publicKey);
  const issued = state.tokens.issueBearer(clusterId, state.config.tokenTtlMs, now);
  state.logger.info({ clusterId, tokenFingerprint: tokenFingerprint(issued.token) }, "cluster registered");
  const body: Record<string, unknown> = { clusterId, token: issued.token };
  const expiresAt = isoOrUndefined(issued.expiresAt);
  if (expiresAt) body.expiresAt = expiresAt;
  if (state.config.signing !== "off") body.signingKeys = state.signingKeys.jwks();
  return agentJson(c, 200, body);
}

function rotate(c: AgentContext, state: ControlPlaneState): Response {
  const identity = c.get("identity");
  if (identity.superseded) return problem(c, 401, "Unauthorized", "a rotated-away token cannot rotate again");
  const text = c.get("bodyText");
  const json = text === "" ? { ok: true as const, value: {} } : parseJsonText(text);
  if (!json.ok) return problem(c, 400, "InvalidBody", json.message);
  const request = decodeBody(rotateRequestStrictSchema, json.value);
  if (!request.ok) return problem(c, 400, "InvalidBody", request.message);
  const now = state.now();
  const issued = state.tokens.issueBearer(identity.clusterId, state.config.tokenTtlMs, now);
  state.tokens.supersede(identity.hash, state.config.rotationGraceMs, now);
  if (request.value.publicKey) state.clusters.setPublicKey(identity.clusterId, request.value.publicKey);
  state.logger.info({ clusterId: identity.clusterId, tokenFingerprint: tokenFingerprint(issued.token) }, "credentials rotated");
  const body: Record<string, unknown> = { token: issued.token };
  const expiresAt = isoOrUndefined(issued.expiresAt);
  if (expiresAt) body.expiresAt = expiresAt;
  return agentJson(c, 200, body);
}

export function agentApi(state: ControlPlaneState): Hono<{ Variables: AgentVariables; Bindings: AgentBindings }> {
  const app = new Hono<{ Variables: AgentVariables; Bindings: AgentBindings }>();
  app.use("*", requestRecorder(state));
  app.use("*", agentGuard(state));
  app.get(AGENT_PATHS.jobs, (c) => pollJobs(c, state));
  app.post(`${AGENT_PATHS.jobs}/:id/ack`, (c) => ack(c, state));
  app.post(`${AGENT_PATHS.jobs}/:id/status`, (c) => postStatus(c, state));
  app.post(`${AGENT_PATHS.jobs}/:id/result`, (c) => postResult(c, state));
  app.post(AGENT_PATHS.events, (c) => postEvents(c, state));
  app.post(AGENT_PATHS.register, (c) => register(c, state));
  app.post(AGENT_PATHS.rotate, (c) => rotate(c, state));
  return app;
}
