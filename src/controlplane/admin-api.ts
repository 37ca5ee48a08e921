/** The admin API (docs/connectivity.md#admin-api) behind the admin token; JSON in `application/json`. */
import { timingSafeEqual, createHash } from "node:crypto";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import * as v from "valibot";
import { armoredPublicKey } from "../gitops/openpgp";
import { AGENT_ENDPOINTS, type AgentEndpoint } from "../protocol/endpoints";
import { DEFAULT_REGISTRATION_TOKEN_TTL_MS } from "./config";
import { decodeBody, parseJsonText } from "./body";
import { faultSchema } from "./faults";
import { connectivityRequestSchema, ConnectivityRequestError, connectivitySummary, setConnectivity } from "./connectivity-api";
import { runDirectJob } from "./direct-jobs";
import { adminJson, bearerOf, noContent, problem, requestIdOf } from "./http";
import { adminJobRequestSchema, buildJobEnvelope, ClusterKeyMissingError, type AdminJobRequest } from "./job-factory";
import type { ControlPlaneState } from "./state";
import type { ClusterConnectivity } from "./store/connectivity";
import type { JobState } from "./store/jobs";

const registrationTokenRequestSchema = v.strictObject({
  clusterId: v.optional(v.pipe(v.string(), v.minLength(1))),
  ttlSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

const goMockEnqueueSchema = v.looseObject({ clusterId: v.optional(v.string()), job: v.optional(v.unknown()) });

const JOB_STATES: readonly JobState[] = ["pending", "acked", "closed"];
const EVENTS_PAGE = 1000;

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function adminAuth(state: ControlPlaneState): MiddlewareHandler {
  return async (c, next) => {
    const given = bearerOf(c.req.header("Authorization")) ?? c.req.header("X-Mock-Control-Plane-Admin-Token");
    if (!sameSecret(given, state.config.adminToken)) return problem(c, 401, "Unauthorized", "admin token required", { admin: true });
    await next();
  };
}

async function jsonBody<T>(c: Context, schema: v.GenericSchema<unknown, T>, code: string): Promise<{ ok: true; value: T } | { ok: false; response: Response }> {
  const text = await c.req.text();
  const json = parseJsonText(text === "" ? "{}" : text);
  const decoded = json.ok ? decodeBody(schema, json.value) : json;
  return decoded.ok ? decoded : { ok: false, response: problem(c, 400, code, decoded.message, { admin: true }) };
}

async function createJob(c: Context, state: ControlPlaneState): Promise<Response> {
  const clusterId = c.req.param("clusterId") ?? "";
  const request = await jsonBody(c, adminJobRequestSchema, "InvalidJob");
  if (!request.ok) return request.response;
  const cluster = state.clusters.get(clusterId);
  if (!cluster) return problem(c, 404, "ClusterNotFound", `cluster ${clusterId} is not registered`, { admin: true });
  const id = request.value.job.id;
  if (id !== undefined && state.jobs.row(id)) return problem(c, 409, "DuplicateJobId", `job ${id} already exists`, { admin: true });
  const connectivity = state.connectivity.get(clusterId);
  if (connectivity.mode !== "pull") return createDirectJob(c, state, connectivity, request.value, id ?? crypto.randomUUID());
  const encrypt = request.value.encrypt ?? (state.config.encryptJobs && cluster.publicKey !== null);
  let envelope: Record<string, unknown>;
  try {
    envelope = await buildJobEnvelope(request.value, {
      clusterId,
      now: new Date(state.now()),
      clusterKey: cluster.publicKey,
      sign: request.value.sign ?? state.config.signing !== "off",
      encrypt,
      signingKey: () => state.signingKeys.active(),
    });
  } catch (err) {
    if (err instanceof ClusterKeyMissingError) return problem(c, 409, "ClusterKeyMissing", err.message, { admin: true });
    throw err;
  }
  if (!state.jobs.insert(clusterId, envelope.id as string, envelope, state.now())) {
    return problem(c, 409, "DuplicateJobId", `job ${String(envelope.id)} already exists`, { admin: true });
  }
  state.signal.notify(clusterId);
  return adminJson(c, 201, { job: envelope });
}

/** Push and GitOps: done at once; a field-manager conflict is answered 409 with the fields, never forced. */
async function createDirectJob(c: Context, state: ControlPlaneState, connectivity: ClusterConnectivity, request: AdminJobRequest, id: string): Promise<Response> {
  const { envelope, result, commit } = await runDirectJob(state, connectivity, request, id);
  if (result.outcome === "conflict") {
    return adminJson(c, 409, { error: "FieldManagerConflict", message: result.error ?? "field manager conflict", requestId: requestIdOf(c), conflicts: result.conflicts ?? [], job: envelope, result });
  }
  return adminJson(c, 201, { job: envelope, result, ...(commit ? { commit } : {}) });
}

async function putConnectivity(c: Context, state: ControlPlaneState): Promise<Response> {
  const clusterId = c.req.param("clusterId") ?? "";
  const request = await jsonBody(c, connectivityRequestSchema, "InvalidConnectivity");
  if (!request.ok) return request.response;
  try {
    return adminJson(c, 200, { clusterId, ...connectivitySummary(setConnectivity(state, clusterId, request.value)) });
  } catch (err) {
    if (err instanceof ConnectivityRequestError) return problem(c, 400, "InvalidConnectivity", err.message, { admin: true });
    throw err;
  }
}

/** Go-mock compatible raw enqueue: the envelope is stored and delivered verbatim (unsigned, forged, replayed…). */
async function enqueueRaw(c: Context, state: ControlPlaneState): Promise<Response> {
  const json = parseJsonText(await c.req.text());
  if (!json.ok) return problem(c, 400, "InvalidBody", json.message, { admin: true });
  const body = decodeBody(goMockEnqueueSchema, json.value);
  if (!body.ok) return problem(c, 400, "InvalidBody", body.message, { admin: true });
  const { clusterId, job } = body.value;
  if (!clusterId) return problem(c, 400, "MissingCluster", "clusterId is required", { admin: true });
  const id = typeof job === "object" && job !== null ? (job as { id?: unknown }).id : undefined;
  if (typeof id !== "string" || id === "") return problem(c, 400, "MissingJobID", "job.id is required", { admin: true });
  if (!state.jobs.insert(clusterId, id, job as Record<string, unknown>, state.now())) {
    return problem(c, 409, "DuplicateJobId", `job ${id} already exists`, { admin: true });
  }
  state.signal.notify(clusterId);
  return noContent(c);
}

function listClusters(c: Context, state: ControlPlaneState): Response {
  const now = state.now();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const clusters = state.clusters.list().map((cluster) => ({
    clusterId: cluster.clusterId,
    registeredAt: new Date(cluster.registeredAt).toISOString(),
    lastHeartbeatAt: iso(cluster.lastHeartbeatAt),
    publicKey: cluster.publicKey,
    activeTokens: state.tokens.activeCount(cluster.clusterId, now),
    ...connectivitySummary(state.connectivity.get(cluster.clusterId)),
  }));
  return adminJson(c, 200, { clusters });
}

function listEvents(c: Context, state: ControlPlaneState): Response {
  const clusterId = c.req.query("cluster");
  if (!clusterId) return problem(c, 400, "MissingCluster", "query parameter cluster is required", { admin: true });
  const after = Number(c.req.query("after") ?? "0");
  const filter = {
    clusterId,
    kind: c.req.query("kind"),
    namespace: c.req.query("namespace"),
    name: c.req.query("name"),
    eventKind: c.req.query("eventKind"),
    after: Number.isSafeInteger(after) && after > 0 ? after : 0,
    limit: EVENTS_PAGE,
  };
  return adminJson(c, 200, state.events.query(filter));
}

export function adminApi(state: ControlPlaneState): Hono {
  const app = new Hono();
  app.use("*", adminAuth(state));
  app.post("/api/admin/registration-tokens", async (c) => {
    const request = await jsonBody(c, registrationTokenRequestSchema, "InvalidBody");
    if (!request.ok) return request.response;
    const ttlMs = request.value.ttlSeconds !== undefined ? request.value.ttlSeconds * 1000 : DEFAULT_REGISTRATION_TOKEN_TTL_MS;
    const issued = state.tokens.createRegistrationToken(request.value.clusterId, ttlMs, state.now());
    return adminJson(c, 201, { token: issued.token, clusterId: request.value.clusterId ?? null, expiresAt: new Date(issued.expiresAt as number).toISOString() });
  });
  app.get("/api/admin/clusters", (c) => listClusters(c, state));
  app.put("/api/admin/clusters/:clusterId/connectivity", (c) => putConnectivity(c, state));
  app.post("/api/admin/clusters/:clusterId/jobs", (c) => createJob(c, state));
  app.get("/api/admin/clusters/:clusterId/jobs", (c) => {
    const stateFilter = c.req.query("state");
    if (stateFilter !== undefined && !JOB_STATES.includes(stateFilter as JobState)) {
      return problem(c, 400, "InvalidState", "state must be pending, acked or closed", { admin: true });
    }
    return adminJson(c, 200, { jobs: state.jobs.list(c.req.param("clusterId"), stateFilter as JobState | undefined) });
  });
  app.get("/api/admin/clusters/:clusterId/requests", (c) => {
    const endpoint = c.req.query("endpoint");
    if (endpoint !== undefined && !AGENT_ENDPOINTS.includes(endpoint as AgentEndpoint)) {
      return problem(c, 400, "InvalidEndpoint", `endpoint must be one of ${AGENT_ENDPOINTS.join(", ")}`, { admin: true });
    }
    return adminJson(c, 200, { requests: state.requests.list(c.req.param("clusterId"), endpoint as AgentEndpoint | undefined) });
  });
  app.post("/api/admin/clusters/:clusterId/revoke", (c) => {
    state.tokens.revokeCluster(c.req.param("clusterId"), state.now());
    return noContent(c);
  });
  app.post("/api/admin/enqueue", (c) => enqueueRaw(c, state));
  app.get("/api/admin/jobs/:id", (c) => {
    const record = state.jobs.record(c.req.param("id"));
    return record ? adminJson(c, 200, record) : problem(c, 404, "NotFound", "no such job", { admin: true });
  });
  app.get("/api/admin/jobs/:id/result", (c) => {
    const result = state.jobs.record(c.req.param("id"))?.result;
    return result ? adminJson(c, 200, result) : problem(c, 404, "NotFound", "no result for this job", { admin: true });
  });
  app.get("/api/admin/events", (c) => listEvents(c, state));
  app.post("/api/admin/faults", async (c) => {
    const fault = await jsonBody(c, faultSchema, "InvalidBody");
    if (!fault.ok) return fault.response;
    state.faults.add(fault.value);
    return noContent(c);
  });
  app.delete("/api/admin/faults", (c) => {
    state.faults.clear();
    return noContent(c);
  });
  app.get("/api/admin/gitops/signing-key", async (c) => {
    const key = state.config.gitopsSigningKey;
    if (!key) return problem(c, 404, "NotConfigured", "GitOps commits are not signed: the plane has no --gitops-signing-key", { admin: true });
    return adminJson(c, 200, { fingerprint: key.fingerprint, publicKey: await armoredPublicKey(key) });
  });
  app.post("/api/admin/signing-keys/rotate", async (c) => adminJson(c, 201, { kid: await state.signingKeys.rotate() }));
  return app;
}
