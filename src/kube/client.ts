/**
 * A small dynamic REST client on Bun's fetch: typed verbs over any ResourceType (what kube-rs calls
 * Api<DynamicObject>), a raw `request` for non-resource paths, and a line-by-line watch reader.
 * No retries here: callers (watcher, work queue, leader elector) own their retry policy.
 */
import type { ApiCall, ApiCallObserver, ApiVerb } from "./api-calls";
import { connectionFrom, type KubeConnection, type ResolvedKubeConfig } from "./config";
import { KubeApiError, KubeTimeoutError, KubeTransportError, isDomError, parseStatus, transportCode } from "./errors";
import { sleep, systemClock } from "./clock";
import { throttleDelayMs } from "./throttle";
import { collectionPath, objectPath, parseResourcePath, queryString, type QueryValue } from "./paths";
import type { KubeList, KubeObject, ResourceType } from "./types";
import { decodeWatchEvent, readLines, type WatchEvent } from "./watch-events";

export interface KubeClientOptions {
  connection: KubeConnection;
  observer?: ApiCallObserver;
  /** Bound on every non-watch request, body included. */
  requestTimeoutMs?: number;
  userAgent?: string;
}

export interface ObjectOptions {
  namespace?: string;
  signal?: AbortSignal;
}

export interface GetOptions extends ObjectOptions {
  /**
   * "0": any version the API server holds, answered from its watch cache without a read of the store. That
   * cache feeds every informer, so it is never behind ours.
   */
  resourceVersion?: "0";
}

/** Accept headers that make the API server answer with metadata only (labels, annotations, owners, …). */
const METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
const METADATA_OBJECT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

export interface ListOptions extends ObjectOptions {
  /** Items as PartialObjectMetadata: for caches whose readers need nothing beyond `metadata`. */
  metadataOnly?: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: "Exact" | "NotOlderThan";
  limit?: number;
  continue?: string;
}

export interface ListAllOptions extends Omit<ListOptions, "limit" | "continue"> {
  pageSize?: number;
}

export interface WriteOptions extends ObjectOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** Strict: a field the schema does not know fails the write instead of being dropped with a warning. */
  fieldValidation?: "Strict" | "Warn" | "Ignore";
}

export interface JsonPatchOp {
  op: "add" | "remove" | "replace" | "test" | "move" | "copy";
  path: string;
  value?: unknown;
  from?: string;
}

export type Patch =
  | { type: "json"; ops: JsonPatchOp[] }
  | { type: "merge"; body: unknown }
  | { type: "strategic"; body: unknown }
  | { type: "apply"; body: unknown };

export interface PatchOptions extends WriteOptions {
  subresource?: string;
  /** Only for apply patches: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions extends ObjectOptions {
  dryRun?: boolean;
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface WatchOptions extends ObjectOptions {
  /** Event objects as PartialObjectMetadata. */
  metadataOnly?: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  /** Server-side end of the stream; keep it below Bun's 300 s idle timeout. */
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
}

export interface RawRequest {
  method: string;
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  verb?: ApiVerb;
}

const PATCH_CONTENT_TYPES: Record<Patch["type"], string> = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
};

export class KubeClient {
  readonly server: string;
  readonly #connection: KubeConnection;
  readonly #observer: ApiCallObserver | undefined;
  readonly #timeoutMs: number;
  readonly #userAgent: string;

  constructor(options: KubeClientOptions) {
    this.#connection = options.connection;
    this.server = options.connection.server;
    this.#observer = options.observer;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#userAgent = options.userAgent ?? "vworkspace-operator";
  }

  static fromKubeConfig(resolved: ResolvedKubeConfig, options: Omit<KubeClientOptions, "connection"> = {}): KubeClient {
    return new KubeClient({ ...options, connection: connectionFrom(resolved) });
  }

  /** Same connection and settings, another observer (e.g. a per-controller recorder). */
  withObserver(observer: ApiCallObserver | undefined): KubeClient {
    return new KubeClient({
      connection: this.#connection,
      observer,
      requestTimeoutMs: this.#timeoutMs,
      userAgent: this.#userAgent,
    });
  }

  get<T extends KubeObject = KubeObject>(type: ResourceType, name: string, options: GetOptions = {}): Promise<T> {
    return this.request<T>({
      verb: "get",
      method: "GET",
      path: objectPath(type, name, options.namespace),
      query: { resourceVersion: options.resourceVersion },
      signal: options.signal,
    });
  }

  /** One page; see listAll for every page. */
  list<T extends KubeObject = KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>({
      verb: "list",
      method: "GET",
      path: collectionPath(type, options.namespace),
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        resourceVersion: options.resourceVersion,
        resourceVersionMatch: options.resourceVersionMatch,
        limit: options.limit,
        continue: options.continue,
      },
      ...(options.metadataOnly ? { accept: METADATA_LIST } : {}),
      signal: options.signal,
    });
  }

  /** Follows `continue` tokens; the pages form one consistent snapshot at the returned resourceVersion. */
  async listAll<T extends KubeObject = KubeObject>(type: ResourceType, options: ListAllOptions = {}): Promise<KubeList<T>> {
    const { pageSize = 500, ...rest } = options;
    const items: T[] = [];
    let page: KubeList<T> | undefined;
    let token: string | undefined;
    do {
      // A continue token carries its snapshot's version: the server refuses a resourceVersion beside it.
      const version = token ? { resourceVersion: undefined, resourceVersionMatch: undefined } : {};
      page = await this.list<T>(type, { ...rest, ...version, limit: pageSize, continue: token });
      // An empty PartialObjectMetadataList comes back with `items: null`.
      items.push(...(page.items ?? []));
      token = page.metadata.continue || undefined;
    } while (token);
    return { ...page, metadata: { resourceVersion: page.metadata.resourceVersion }, items };
  }

  create<T extends KubeObject = KubeObject>(type: ResourceType, object: T, options: WriteOptions = {}): Promise<T> {
    return this.request<T>({
      verb: "create",
      method: "POST",
      path: collectionPath(type, options.namespace ?? object.metadata.namespace),
      query: writeQuery(options),
      body: object,
      signal: options.signal,
    });
  }

  /** PUT; optimistic concurrency through `metadata.resourceVersion` of `object`. */
  replace<T extends KubeObject = KubeObject>(
    type: ResourceType,
    object: T,
    options: WriteOptions & { subresource?: string } = {},
  ): Promise<T> {
    const namespace = options.namespace ?? object.metadata.namespace;
    return this.request<T>({
      verb: "update",
      method: "PUT",
      path: objectPath(type, object.metadata.name, namespace, options.subresource),
      query: writeQuery(options),
      body: object,
      signal: options.signal,
    });
  }

  replaceStatus<T extends KubeObject = KubeObject>(type: ResourceType, object: T, options: WriteOptions = {}): Promise<T> {
    return this.replace(type, object, { ...options, subresource: "status" });
  }

  patch<T extends KubeObject = KubeObject>(
    type: ResourceType,
    name: string,
    patch: Patch,
    options: PatchOptions = {},
  ): Promise<T> {
    if (patch.type === "apply" && !options.fieldManager) {
      throw new Error(`apply patch of ${type.kind} ${name} needs a fieldManager`);
    }
    return this.request<T>({
      verb: patch.type === "apply" ? "apply" : "patch",
      method: "PATCH",
      path: objectPath(type, name, options.namespace, options.subresource),
      query: { ...writeQuery(options), force: patch.type === "apply" && options.force ? true : undefined },
      body: patch.type === "json" ? patch.ops : patch.body,
      contentType: PATCH_CONTENT_TYPES[patch.type],
      signal: options.signal,
    });
  }

  patchStatus<T extends KubeObject = KubeObject>(
    type: ResourceType,
    name: string,
    patch: Patch,
    options: Omit<PatchOptions, "subresource"> = {},
  ): Promise<T> {
    return this.patch<T>(type, name, patch, { ...options, subresource: "status" });
  }

  /** Returns the object (still present while finalizers run) or the server's Status. */
  delete(type: ResourceType, name: string, options: DeleteOptions = {}): Promise<KubeObject | { kind: "Status" }> {
    const body =
      options.propagationPolicy || options.gracePeriodSeconds !== undefined || options.preconditions
        ? {
            apiVersion: "v1",
            kind: "DeleteOptions",
            propagationPolicy: options.propagationPolicy,
            gracePeriodSeconds: options.gracePeriodSeconds,
            preconditions: options.preconditions,
          }
        : undefined;
    return this.request({
      verb: "delete",
      method: "DELETE",
      path: objectPath(type, name, options.namespace),
      query: { dryRun: options.dryRun ? "All" : undefined },
      body,
      signal: options.signal,
    });
  }

  /**
   * Opens a watch and yields its events until the server ends the stream. Errors (HTTP status,
   * transport, abort) are thrown; restarting is the watcher's job.
   */
  async *watch<T extends KubeObject = KubeObject>(
    type: ResourceType,
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const response = await this.#send({
      verb: "watch",
      method: "GET",
      path: collectionPath(type, options.namespace),
      query: {
        watch: 1,
        allowWatchBookmarks: options.allowWatchBookmarks ?? true,
        timeoutSeconds: options.timeoutSeconds,
        resourceVersion: options.resourceVersion,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      },
      ...(options.metadataOnly ? { accept: METADATA_OBJECT } : {}),
      signal: options.signal,
      timeoutMs: 0,
    });
    if (!response.body) return;
    const context = { verb: "watch", path: collectionPath(type, options.namespace) };
    try {
      for await (const line of readLines(response.body)) yield decodeWatchEvent<T>(line);
    } catch (err) {
      throw wrapFetchError(err, context, 0);
    }
  }

  /** Any path (discovery, /readyz, subresources); the JSON answer, or undefined for an empty body. */
  async request<T = unknown>(req: RawRequest): Promise<T> {
    const text = await this.requestText(req);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  async requestText(req: RawRequest): Promise<string> {
    const timeoutMs = req.timeoutMs ?? this.#timeoutMs;
    const deadline = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const signal = anySignal(req.signal, deadline);
    const response = await this.#send({ ...req, signal, timeoutMs });
    try {
      return await response.text();
    } catch (err) {
      throw wrapFetchError(err, contextOf(req), timeoutMs);
    }
  }

  async #send(req: RawRequest): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#sendOnce(req);
      } catch (err) {
        const delayMs = err instanceof KubeApiError ? throttleDelayMs(err.status, err.retryAfter, err.details?.retryAfterSeconds, attempt) : undefined;
        if (delayMs === undefined || req.signal?.aborted) throw err;
        await sleep(systemClock(), delayMs, req.signal);
        if (req.signal?.aborted) throw err;
      }
    }
  }

  async #sendOnce(req: RawRequest): Promise<Response> {
    const context = contextOf(req);
    const started = performance.now();
    const query = queryString(req.query);
    const report = (code: ApiCall["code"]) =>
      this.#observer?.onApiCall({
        verb: context.verb,
        method: req.method,
        path: req.path,
        query: Object.fromEntries(new URLSearchParams(query)),
        resource: parseResourcePath(req.path),
        code,
        durationMs: performance.now() - started,
      });
    let response: Response;
    try {
      const { headers, tls } = await this.#connection.requestOptions();
      response = await fetch(`${this.server}${req.path}${query}`, {
        method: req.method,
        headers: {
          ...headers,
          "User-Agent": this.#userAgent,
          Accept: req.accept ?? "application/json",
          ...(req.body !== undefined ? { "Content-Type": req.contentType ?? "application/json" } : {}),
        },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: req.signal,
        tls,
      });
    } catch (err) {
      const wrapped = wrapFetchError(err, context, req.timeoutMs ?? 0);
      report(wrapped instanceof KubeTransportError ? "transport" : wrapped instanceof KubeTimeoutError ? "timeout" : "aborted");
      throw wrapped;
    }
    report(response.status);
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    throw new KubeApiError(response.status, parseStatus(text), context, response.headers.get("retry-after"));
  }
}

function contextOf(req: RawRequest): { verb: ApiVerb; path: string } {
  return { verb: req.verb ?? "request", path: req.path };
}

function writeQuery(options: WriteOptions): Record<string, QueryValue> {
  return { fieldManager: options.fieldManager, dryRun: options.dryRun ? "All" : undefined, fieldValidation: options.fieldValidation };
}

/** Bun rejects with the abort reason: a TimeoutError DOMException when our deadline fired. */
function wrapFetchError(err: unknown, context: { verb: string; path: string }, timeoutMs: number): unknown {
  if (isDomError(err, "TimeoutError")) return new KubeTimeoutError(context, timeoutMs);
  const code = transportCode(err);
  if (code !== undefined && !(err instanceof KubeTransportError)) return new KubeTransportError(code, context, err);
  return err;
}

function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}
