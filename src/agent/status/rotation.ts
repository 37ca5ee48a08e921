/**
 * Credential rotation (docs/connectivity.md#credential-rotation): `POST …/credentials/rotate`, one Secret update (new token,
 * previous token kept for the grace period), an in-process swap, then confirmation by a heartbeat with the new
 * token. Confirmed: the previous token is removed. Not confirmed or refused: the old token is restored when it
 * still works and the failure is observed. One rotation at a time; later triggers join the running one.
 */
import * as v from "valibot";
import type { KubeClient } from "../../kube/client";
import { formatTime } from "../../kube/time";
import type { Logger } from "../../observability/logger";
import { AGENT_PATHS, rotateResponseSchema } from "../../protocol";
import { tokenFingerprint, type ClusterPublicKey } from "../../security";
import { ANNOTATION_TOKEN_ISSUED_AT, credentialsData, credentialsFromSecret, type Credentials, type CredentialsProvider, type Secret } from "../credentials/credentials";
import { heartbeatEvent } from "./event-factory";
import type { Heartbeat } from "./heartbeat";
import { CpTransportError, cpRequest } from "../transport/http";
import type { AgentMetrics } from "../../observability/agent-metrics";
import { fullJitterBackoff, retryAfterMs } from "../transport/retry";
import type { AgentState } from "../transport/state";
import type { AgentTransport } from "../transport/transport";
import { pause } from "../transport/wakeup";

export type RotationTrigger = "spec" | "intent" | "expiry" | "keypair";
export type RotationResult = { ok: true; newTokenFingerprint: string } | { ok: false; detail: string };

const SECRET_TYPE = { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true };
const CONFIRM_ATTEMPTS = 3;

export interface RotationDeps {
  client: Pick<KubeClient, "get" | "replace">;
  namespace: string;
  secretName: string;
  transport: AgentTransport;
  provider: CredentialsProvider;
  heartbeat: Heartbeat;
  state: AgentState;
  metrics: AgentMetrics;
  logger: Logger;
  publicKey(): ClusterPublicKey | undefined;
  wireExtensions: boolean;
  /** Confirmed: spec flag reset, lastRotatedAt, CredentialRotated event and Kubernetes Event. */
  onConfirmed(newTokenFingerprint: string): Promise<void>;
  onFailed(detail: string): void;
}

export class Rotation {
  #running: Promise<RotationResult> | undefined;

  constructor(private readonly deps: RotationDeps) {}

  get running(): boolean {
    return this.#running !== undefined;
  }

  rotate(trigger: RotationTrigger, signal: AbortSignal): Promise<RotationResult> {
    if (!this.#running) {
      this.#running = this.#rotate(trigger, signal).finally(() => {
        this.#running = undefined;
        this.deps.state.rotationInFlight = undefined;
      });
      this.deps.state.rotationInFlight = this.#running;
    }
    return this.#running;
  }

  async #rotate(trigger: RotationTrigger, signal: AbortSignal): Promise<RotationResult> {
    const { metrics, logger, state } = this.deps;
    const before = this.deps.provider.snapshot()?.credentials;
    if (!before) return { ok: false, detail: "no agent credentials" };
    state.observations.rotationPending = true;
    const result = await this.#exchangeAndConfirm(before, signal);
    state.observations.rotationPending = false;
    metrics.rotations.inc({ trigger, result: result.ok ? "confirmed" : "failed" });
    if (result.ok) {
      logger.info({ trigger, token: result.newTokenFingerprint }, "credential rotated and confirmed");
      state.observations.lastRotatedAt = formatTime(Date.now());
      if (state.observations.auth?.state === "rotation-failed") state.observations.auth = { state: "accepted" };
      await this.deps.onConfirmed(result.newTokenFingerprint);
    } else {
      logger.warn({ trigger, detail: result.detail }, "credential rotation failed");
      state.observations.auth = { state: "rotation-failed", message: result.detail };
      this.deps.onFailed(result.detail);
    }
    state.changed();
    return result;
  }

  async #exchangeAndConfirm(before: Credentials, signal: AbortSignal): Promise<RotationResult> {
    const exchanged = await this.#exchange(signal);
    if (!exchanged.ok) return exchanged;
    const { token, expiresAt } = exchanged;
    const rotated: Credentials = { ...before, token, previousToken: before.token };
    if (expiresAt) rotated.expiresAt = expiresAt;
    else delete rotated.expiresAt;
    try {
      await this.#writeSecret(rotated, true);
    } catch (err) {
      return { ok: false, detail: `storing the rotated credential failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    const current = this.deps.provider.snapshot();
    this.deps.provider.set(rotated, current?.tls);
    for (let attempt = 0; attempt < CONFIRM_ATTEMPTS && !signal.aborted; attempt++) {
      if (await this.#accepted(token, signal)) {
        const confirmed: Credentials = { ...rotated };
        delete confirmed.previousToken;
        await this.#writeSecret(confirmed, false).catch((err) => this.deps.logger.warn({ err: String(err) }, "removing previous-token failed"));
        this.deps.provider.set(confirmed, this.deps.provider.snapshot()?.tls);
        this.deps.heartbeat.poke();
        return { ok: true, newTokenFingerprint: tokenFingerprint(token) };
      }
      await pause(fullJitterBackoff().next(), signal);
    }
    await this.#restore(before);
    return { ok: false, detail: "the new token was not confirmed by a heartbeat" };
  }

  async #exchange(signal: AbortSignal): Promise<{ ok: true; token: string; expiresAt?: string } | { ok: false; detail: string }> {
    const backoff = fullJitterBackoff();
    const publicKey = this.deps.wireExtensions ? this.deps.publicKey() : undefined;
    for (let attempt = 1; attempt <= 3 && !signal.aborted; attempt++) {
      try {
        const response = await this.deps.transport.send({
          endpoint: "rotate",
          method: "POST",
          path: AGENT_PATHS.rotate,
          body: publicKey ? { publicKey } : {},
          timeoutMs: 30_000,
          signal,
        });
        if (response.status === 200) {
          const parsed = v.safeParse(rotateResponseSchema, response.body);
          if (!parsed.success) return { ok: false, detail: "rotate answer has no token" };
          return { ok: true, token: parsed.output.token, ...(parsed.output.expiresAt ? { expiresAt: parsed.output.expiresAt } : {}) };
        }
        if (response.status === 401 || response.status === 403 || response.status === 400) return { ok: false, detail: `rotate refused (${response.status})` };
        const retryAfter = response.status === 429 || response.status === 503 ? retryAfterMs(response.headers.get("retry-after"), Date.now()) : undefined;
        await pause(retryAfter ?? backoff.next(), signal);
      } catch (err) {
        if (!(err instanceof CpTransportError)) throw err;
        await pause(backoff.next(), signal);
      }
    }
    return { ok: false, detail: "rotate request failed after 3 attempts" };
  }

  /** Restores the old token when the server still accepts it (grace period). */
  async #restore(before: Credentials): Promise<void> {
    if (!(await this.#accepted(before.token))) return;
    await this.#writeSecret(before, false).catch(() => undefined);
    this.deps.provider.set(before, this.deps.provider.snapshot()?.tls);
  }

  /** A heartbeat sent directly with `token`: a 2xx proves the server accepts exactly that token. */
  async #accepted(token: string, signal?: AbortSignal): Promise<boolean> {
    const target = this.deps.provider.target(token);
    const clusterId = this.deps.provider.snapshot()?.credentials.clusterId;
    if (!target || !clusterId) return false;
    try {
      const body = { events: [heartbeatEvent(clusterId, undefined, new Date())] };
      const response = await cpRequest(target, { endpoint: "heartbeat", method: "POST", path: AGENT_PATHS.events, body, timeoutMs: 10_000, ...(signal ? { signal } : {}) }, this.deps.metrics);
      return response.status >= 200 && response.status < 300;
    } catch {
      return false;
    }
  }

  async #writeSecret(credentials: Credentials, issued: boolean): Promise<void> {
    const { client, namespace, secretName } = this.deps;
    const secret = await client.get<Secret>(SECRET_TYPE, secretName, { namespace });
    const stored = credentialsFromSecret(secret);
    const annotations = { ...(secret.metadata.annotations ?? {}) };
    if (issued) annotations[ANNOTATION_TOKEN_ISSUED_AT] = formatTime(Date.now());
    const next: Secret = { ...secret, metadata: { ...secret.metadata, annotations }, data: credentialsData({ ...(stored ?? credentials), ...credentials, jwks: stored?.jwks ?? credentials.jwks }) };
    if (!credentials.previousToken) delete next.data!["previous-token"];
    if (!credentials.expiresAt) delete next.data!["token-expires-at"];
    await client.replace(SECRET_TYPE, next, { namespace });
  }
}
