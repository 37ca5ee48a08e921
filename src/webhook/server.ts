/**
 * The HTTPS listener. Bun's `server.reload()` keeps the old TLS context (verified under Bun 1.4.5), so a
 * new certificate is served by binding a second server to the same port with SO_REUSEPORT and stopping the
 * old one gracefully: new connections get the new certificate, in-flight requests finish on the old one.
 */
import type { Server } from "bun";
import type { Logger } from "../observability/logger";
import { serverErrors } from "../observability/server-errors";

export interface ServingPair {
  certPem: string;
  keyPem: string;
}

/** A serving pair and the CA bundle for `caBundle`, unknown in files mode without a CA file. */
export interface ServedCertificates extends ServingPair {
  caPem?: string;
}

export interface TlsServerOptions {
  hostname: string;
  port: number;
  fetch: (request: Request) => Response | Promise<Response>;
  logger?: Logger;
}

/** Above the API server's 5 s webhook timeout so it can reuse connections (docs/operations.md#admission-webhooks). */
const IDLE_TIMEOUT_SECONDS = 30;
/** Bun's own cap stays above the app's 3 MiB limit so oversized bodies get the app's clear 413. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export class TlsServer {
  #server: Server<undefined> | undefined;
  #port: number;
  readonly #draining = new Set<Promise<void>>();

  constructor(private readonly options: TlsServerOptions) {
    this.#port = options.port;
  }

  get port(): number {
    return this.#port;
  }

  get serving(): boolean {
    return this.#server !== undefined;
  }

  /** Starts serving `pair`, or swaps to it without dropping in-flight requests. */
  serve(pair: ServingPair): void {
    const previous = this.#server;
    this.#server = Bun.serve({
      hostname: this.options.hostname,
      port: this.#port,
      reusePort: true,
      ...serverErrors(this.options.logger, "webhook"),
      idleTimeout: IDLE_TIMEOUT_SECONDS,
      maxRequestBodySize: MAX_BODY_BYTES,
      tls: { cert: pair.certPem, key: pair.keyPem },
      fetch: this.options.fetch,
    });
    this.#port = this.#server.port as number;
    if (previous) this.#drain(previous);
  }

  async stop(): Promise<void> {
    const current = this.#server;
    this.#server = undefined;
    if (current) this.#drain(current);
    await Promise.all(this.#draining);
  }

  #drain(server: Server<undefined>): void {
    const done: Promise<void> = server.stop(false).then(() => {
      this.#draining.delete(done);
    });
    this.#draining.add(done);
  }
}
