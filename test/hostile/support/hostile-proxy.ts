/**
 * A scripted hostile control plane on 127.0.0.1: it forwards every agent request to the reference control
 * plane, except jobs answers a test injects (garbled, duplicate-key, huge or fuzzed envelopes the reference
 * plane cannot send). Jobs it injected are acked and answered here, and their results kept for the test.
 */
import type { Server } from "bun";

const JOB_ACTION = /^\/api\/agent\/jobs\/([^/]+)\/(ack|status|result)$/;
const MEDIA_TYPE = "application/vnd.vworkspace.agent.v1+json";

interface Injection {
  answer: () => Response;
  served: () => void;
}

export interface StreamStats {
  /** Bytes the proxy handed to the socket before the agent stopped reading. */
  bytesProduced: number;
  /** The agent hung up (cancelled the stream) before the end. */
  cancelled: boolean;
  finished: Promise<void>;
}

export class HostileProxy {
  readonly results = new Map<string, Record<string, unknown>>();
  readonly statuses = new Map<string, Record<string, unknown>[]>();
  /** GET /jobs requests seen, injected or forwarded. */
  polls = 0;
  /** Polls the reference plane answered (not replaced by an injection). */
  forwardedPolls = 0;
  readonly #localIds = new Set<string>();
  readonly #injections: Injection[] = [];
  #wakePoll: (() => void) | undefined;
  readonly #server: Server<undefined>;

  constructor(private readonly upstream: string) {
    this.#server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: (request, server) => {
      server.timeout(request, 0);
      return this.#route(request);
    } });
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.port}`;
  }

  /** Answers the next jobs poll with `answer()`; resolves once it was served. Ids in `localIds` are handled here. */
  inject(answer: () => Response, localIds: Iterable<string> = []): Promise<void> {
    for (const id of localIds) this.#localIds.add(id);
    return new Promise((resolve) => {
      this.#injections.push({ answer, served: resolve });
      this.#wakePoll?.();
    });
  }

  /** A jobs answer carrying `jobs` as given (their ids handled here). */
  injectJobs(jobs: Array<Record<string, unknown>>): Promise<void> {
    const ids = jobs.map((job) => job.id).filter((id): id is string => typeof id === "string");
    return this.inject(() => jsonAnswer(JSON.stringify({ jobs })), ids);
  }

  /** A jobs answer streamed from `head`, `size` bytes of filler, then `tail`; counts what the agent pulled. */
  injectStream(head: string, size: number, tail: string, chunkBytes = 1 << 20): StreamStats {
    const chunk = new TextEncoder().encode("a".repeat(chunkBytes));
    let resolveFinished: () => void = () => undefined;
    const stats: StreamStats = { bytesProduced: 0, cancelled: false, finished: new Promise((resolve) => (resolveFinished = resolve)) };
    void this.inject(() => {
      let produced = 0;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(head));
        },
        pull(controller) {
          if (produced >= size) {
            controller.enqueue(new TextEncoder().encode(tail));
            controller.close();
            resolveFinished();
            return;
          }
          produced += chunk.byteLength;
          stats.bytesProduced = produced;
          controller.enqueue(chunk);
        },
        cancel() {
          stats.cancelled = true;
          resolveFinished();
        },
      }, { highWaterMark: 1 });
      return new Response(body, { status: 200, headers: { "Content-Type": MEDIA_TYPE } });
    });
    return stats;
  }

  async stop(): Promise<void> {
    await this.#server.stop(true);
  }

  async #route(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/api/agent/jobs") return this.#poll(request, url);
    const action = JOB_ACTION.exec(url.pathname);
    if (action && this.#localIds.has(decodeURIComponent(action[1]!))) return this.#local(decodeURIComponent(action[1]!), action[2]!, request);
    return this.#forward(request, url);
  }

  async #poll(request: Request, url: URL): Promise<Response> {
    this.polls += 1;
    const ready = this.#injections.shift();
    if (ready) return this.#serve(ready);
    const upstreamAbort = new AbortController();
    const injected = new Promise<"injected">((resolve) => (this.#wakePoll = () => resolve("injected")));
    const forwarded = this.#forward(request, url, upstreamAbort.signal);
    const winner = await Promise.race([forwarded, injected]);
    this.#wakePoll = undefined;
    if (winner !== "injected") {
      this.forwardedPolls += 1;
      return winner;
    }
    // The plane's jobs (if any) stay unacked and are redelivered on the next poll.
    upstreamAbort.abort();
    await forwarded.catch(() => undefined);
    return this.#serve(this.#injections.shift()!);
  }

  #serve(injection: Injection): Response {
    injection.served();
    return injection.answer();
  }

  async #local(id: string, action: string, request: Request): Promise<Response> {
    if (action === "result") this.results.set(id, (await request.json()) as Record<string, unknown>);
    if (action === "status") this.statuses.set(id, [...(this.statuses.get(id) ?? []), (await request.json()) as Record<string, unknown>]);
    return new Response(null, { status: 204 });
  }

  async #forward(request: Request, url: URL, signal?: AbortSignal): Promise<Response> {
    const headers = new Headers(request.headers);
    headers.delete("host");
    const body = request.method === "GET" ? undefined : await request.arrayBuffer();
    try {
      const answer = await fetch(`${this.upstream}${url.pathname}${url.search}`, { method: request.method, headers, ...(body && body.byteLength > 0 ? { body } : {}), ...(signal ? { signal } : {}) });
      const copied = new Headers(answer.headers);
      copied.delete("content-encoding");
      copied.delete("content-length");
      return new Response(await answer.arrayBuffer(), { status: answer.status, headers: copied });
    } catch (err) {
      if (signal?.aborted) throw err;
      return new Response(JSON.stringify({ error: "BadGateway", message: "upstream unreachable" }), { status: 502, headers: { "Content-Type": MEDIA_TYPE } });
    }
  }
}

export function jsonAnswer(text: string): Response {
  return new Response(text, { status: 200, headers: { "Content-Type": MEDIA_TYPE } });
}
