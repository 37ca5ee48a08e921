/**
 * Authenticated requests for every loop (docs/connectivity.md#backoff): the current token from the provider, and the
 * 401/403 rules. A 401 re-reads the credentials Secret from the API once; a changed token is retried, else the
 * previous token; a 401 that persists, or a 403 on a cluster-scoped endpoint, pauses the agent.
 */
import type { Logger } from "../../observability/logger";
import { credentialsFromSecret, type Credentials, type CredentialsProvider, type Secret } from "../credentials/credentials";
import { tokenFingerprint } from "../../security";
import { cpRequest, type CpRequest, type CpResponse } from "./http";
import type { AgentMetrics } from "../../observability/agent-metrics";
import type { AgentState } from "./state";

export class NotConfiguredError extends Error {
  override readonly name = "NotConfiguredError";
}

export interface TransportDeps {
  provider: CredentialsProvider;
  state: AgentState;
  /** Reads the credentials Secret from the API server, not the cache. */
  readSecret(): Promise<Secret | undefined>;
  metrics: AgentMetrics;
  logger: Logger;
}

export interface SendOptions {
  /** Job-scoped endpoints (ack, status, result) skip a job on 403 instead of pausing. */
  jobScoped?: boolean;
  /** Send with this token instead of the provider's (rotation confirmation). */
  token?: string;
}

export class AgentTransport {
  constructor(private readonly deps: TransportDeps) {}

  async send(request: CpRequest, options: SendOptions = {}): Promise<CpResponse> {
    const { provider, metrics } = this.deps;
    const target = provider.target(options.token);
    if (!target) throw new NotConfiguredError("no agent credentials");
    let response = await cpRequest(target, request, metrics);
    if (response.status === 401) response = await this.#retryAfter401(request, target.token);
    if (response.status === 401) this.#reject(request, response, "the control plane rejected the agent token (401)");
    else if (response.status === 403 && !options.jobScoped) this.#reject(request, response, "the token is not valid for this cluster (403)");
    else if (response.status >= 200 && response.status < 300) this.#accepted();
    return response;
  }

  async #retryAfter401(request: CpRequest, usedToken: string): Promise<CpResponse> {
    const { provider, metrics, logger, state } = this.deps;
    if (state.rotationInFlight && request.endpoint !== "rotate") {
      await state.rotationInFlight.catch(() => undefined);
      const current = provider.target();
      if (current && current.token !== usedToken) return cpRequest(current, request, metrics);
    }
    const reloaded = credentialsFromSecret(await this.deps.readSecret().catch(() => undefined));
    const current = provider.snapshot();
    if (reloaded && reloaded.token !== usedToken && current) {
      logger.info({ endpoint: request.endpoint, token: tokenFingerprint(reloaded.token) }, "401: retrying with the token re-read from the credentials Secret");
      provider.set(mergeReloaded(current.credentials, reloaded), current.tls);
      return cpRequest(provider.target()!, request, metrics);
    }
    const previous = (reloaded ?? current?.credentials)?.previousToken;
    if (previous && previous !== usedToken) {
      logger.info({ endpoint: request.endpoint }, "401: retrying with the previous token");
      return cpRequest(provider.target(previous)!, request, metrics);
    }
    return { status: 401, headers: new Headers(), body: undefined };
  }

  #reject(request: CpRequest, response: CpResponse, message: string): void {
    const { state, logger } = this.deps;
    logger.warn({ endpoint: request.endpoint, status: response.status, requestId: response.requestId, error: response.errorCode }, "control plane rejected the credential; agent paused");
    state.observations.auth = { state: "rejected", message };
    state.pause("CredentialRejected");
  }

  #accepted(): void {
    const { state } = this.deps;
    const auth = state.observations.auth;
    if (auth?.state === "accepted" || auth?.state === "rotation-failed") return;
    state.observations.auth = { state: "accepted" };
    state.changed();
  }
}

function mergeReloaded(current: Credentials, reloaded: Credentials): Credentials {
  return { ...current, ...reloaded };
}
