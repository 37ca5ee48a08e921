/** A typed client of the admin API (docs/connectivity.md#admin-api), used by the CLI helpers and by tests. */
import type { AgentEndpoint } from "../protocol/endpoints";
import type { AgentEvent } from "../protocol/events";
import type { JobResult } from "../protocol/result";
import type { ClusterPublicKey } from "../security/keys";
import type { ConnectivityRequest, ConnectivitySummary } from "./connectivity-api";
import type { Fault } from "./faults";
import type { AgentRequestRecord } from "./request-log";
import type { JobRecord, JobState } from "./store/jobs";

export interface AdminClientOptions {
  url: string;
  adminToken: string;
  /** CA to trust and, for an mTLS plane, the client certificate to present. */
  tls?: { ca?: string; cert?: string; key?: string };
}

export interface NewJob {
  kind: string;
  payload: unknown;
  id?: string;
  idempotencyKey?: string;
  expiresAt?: string;
  ttlSeconds?: number;
}

export interface EnqueueOptions {
  sign?: boolean;
  encrypt?: boolean;
  /** Used verbatim instead of signing (negative tests). */
  signature?: string;
}

export interface ClusterSummary extends ConnectivitySummary {
  clusterId: string;
  registeredAt: string;
  lastHeartbeatAt: string | null;
  publicKey: ClusterPublicKey | null;
  activeTokens: number;
}

export interface EventQuery {
  clusterId: string;
  kind?: string;
  namespace?: string;
  name?: string;
  eventKind?: string;
  after?: number;
}

export class AdminApiError extends Error {
  override name = "AdminApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class AdminClient {
  readonly #base: string;

  constructor(private readonly options: AdminClientOptions) {
    this.#base = options.url.replace(/\/+$/, "");
  }

  async #request(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.options.adminToken}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const init: RequestInit & { tls?: AdminClientOptions["tls"] } = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (this.options.tls) init.tls = { ...this.options.tls };
    return fetch(`${this.#base}${path}`, init);
  }

  async #json<T>(method: string, path: string, body?: unknown, expected = 200): Promise<T> {
    const response = await this.#request(method, path, body);
    if (response.status !== expected) throw await this.#error(method, path, response);
    return (await response.json()) as T;
  }

  async #none(method: string, path: string, body?: unknown): Promise<void> {
    const response = await this.#request(method, path, body);
    if (response.status !== 204) throw await this.#error(method, path, response);
  }

  async #error(method: string, path: string, response: Response): Promise<AdminApiError> {
    const text = await response.text();
    let code = "";
    let message = text.slice(0, 512);
    try {
      const parsed = JSON.parse(text) as { error?: string; message?: string };
      code = parsed.error ?? "";
      message = parsed.message ?? message;
    } catch {
      // A non-JSON error body is reported as text.
    }
    return new AdminApiError(response.status, code, `${method} ${path}: ${response.status} ${code} ${message}`.trim());
  }

  createRegistrationToken(clusterId?: string, ttlSeconds?: number): Promise<{ token: string; clusterId: string | null; expiresAt: string }> {
    const body: Record<string, unknown> = {};
    if (clusterId !== undefined) body.clusterId = clusterId;
    if (ttlSeconds !== undefined) body.ttlSeconds = ttlSeconds;
    return this.#json("POST", "/api/admin/registration-tokens", body, 201);
  }

  async clusters(): Promise<ClusterSummary[]> {
    return (await this.#json<{ clusters: ClusterSummary[] }>("GET", "/api/admin/clusters")).clusters;
  }

  /** Sets the cluster's mode (creating it when it never registered); the answer never holds the kubeconfig. */
  setConnectivity(clusterId: string, request: ConnectivityRequest): Promise<ConnectivitySummary & { clusterId: string }> {
    return this.#json("PUT", `/api/admin/clusters/${encodeURIComponent(clusterId)}/connectivity`, request);
  }

  /**
   * Enqueues a job built, encrypted and signed by the plane; returns the envelope as it will be delivered. For a
   * Push or GitOps cluster the job is carried out at once (its result is there when this returns), and a
   * field-manager conflict throws an AdminApiError with status 409 and code FieldManagerConflict.
   */
  async enqueueJob(clusterId: string, job: NewJob, options: EnqueueOptions = {}): Promise<Record<string, unknown> & { id: string }> {
    const body = { job, ...options };
    const answer = await this.#json<{ job: Record<string, unknown> & { id: string } }>("POST", `/api/admin/clusters/${encodeURIComponent(clusterId)}/jobs`, body, 201);
    return answer.job;
  }

  /** Stores an envelope verbatim (Go-mock compatible `/api/admin/enqueue`): unsigned, forged or replayed jobs. */
  enqueueRawJob(clusterId: string, envelope: Record<string, unknown>): Promise<void> {
    return this.#none("POST", "/api/admin/enqueue", { clusterId, job: envelope });
  }

  async jobs(clusterId: string, state?: JobState): Promise<JobRecord[]> {
    const query = state ? `?state=${state}` : "";
    return (await this.#json<{ jobs: JobRecord[] }>("GET", `/api/admin/clusters/${encodeURIComponent(clusterId)}/jobs${query}`)).jobs;
  }

  job(id: string): Promise<JobRecord> {
    return this.#json("GET", `/api/admin/jobs/${encodeURIComponent(id)}`);
  }

  /** The job's result, or undefined while it has none. */
  async jobResult(id: string): Promise<JobResult | undefined> {
    const response = await this.#request("GET", `/api/admin/jobs/${encodeURIComponent(id)}/result`);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw await this.#error("GET", "/api/admin/jobs/{id}/result", response);
    return (await response.json()) as JobResult;
  }

  events(query: EventQuery): Promise<{ events: (AgentEvent & { seq: number })[]; next: number }> {
    const params = new URLSearchParams({ cluster: query.clusterId });
    for (const name of ["kind", "namespace", "name", "eventKind"] as const) {
      const value = query[name];
      if (value !== undefined) params.set(name, value);
    }
    if (query.after !== undefined) params.set("after", String(query.after));
    return this.#json("GET", `/api/admin/events?${params.toString()}`);
  }

  /** The authenticated agent requests the plane answered for the cluster since it started, oldest first. */
  async requests(clusterId: string, endpoint?: AgentEndpoint): Promise<AgentRequestRecord[]> {
    const query = endpoint ? `?endpoint=${endpoint}` : "";
    return (await this.#json<{ requests: AgentRequestRecord[] }>("GET", `/api/admin/clusters/${encodeURIComponent(clusterId)}/requests${query}`)).requests;
  }

  revoke(clusterId: string): Promise<void> {
    return this.#none("POST", `/api/admin/clusters/${encodeURIComponent(clusterId)}/revoke`);
  }

  injectFault(fault: Fault): Promise<void> {
    return this.#none("POST", "/api/admin/faults", fault);
  }

  clearFaults(): Promise<void> {
    return this.#none("DELETE", "/api/admin/faults");
  }

  async rotateSigningKey(): Promise<string> {
    return (await this.#json<{ kid: string }>("POST", "/api/admin/signing-keys/rotate", {}, 201)).kid;
  }

  /** The key the plane signs its GitOps commits with: fingerprint and armored public key (for the keys Secret). */
  gitopsSigningKey(): Promise<{ fingerprint: string; publicKey: string }> {
    return this.#json("GET", "/api/admin/gitops/signing-key");
  }

  /** The public JWKS (no admin token needed, sent anyway). */
  jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    return this.#json("GET", "/.well-known/vworkspace/jwks.json");
  }
}
