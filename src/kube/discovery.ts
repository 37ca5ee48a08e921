/**
 * Discovery: which group/versions and resources the API server serves. Used to detect optional
 * APIs (Flux, Velero, our own CRDs) at start-up and when they get installed later. Answers are
 * cached for `ttlMs`; `invalidate()` forgets them (e.g. after a CRD event).
 */
import { systemClock, type Clock } from "./clock";
import type { KubeClient } from "./client";
import { classifyError } from "./errors";
import { groupVersionPath } from "./paths";
import type { ResourceType } from "./types";

export interface ApiResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
}

interface ApiResourceList {
  groupVersion: string;
  resources: ApiResource[];
}

export interface DiscoveryOptions {
  ttlMs?: number;
  clock?: Clock;
}

export type DiscoveryApi = Pick<KubeClient, "request">;

export class Discovery {
  readonly #client: DiscoveryApi;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #cache = new Map<string, { at: number; resources: ApiResource[] | undefined }>();

  constructor(client: DiscoveryApi, options: DiscoveryOptions = {}) {
    this.#client = client;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#clock = options.clock ?? systemClock();
  }

  /** The resources of a group/version, or undefined when the group/version is not served. */
  async resources(group: string, version: string, signal?: AbortSignal): Promise<ApiResource[] | undefined> {
    const path = groupVersionPath(group, version);
    const cached = this.#cache.get(path);
    if (cached && this.#clock.now() - cached.at < this.#ttlMs) return cached.resources;
    const resources = await this.#fetch(path, signal);
    this.#cache.set(path, { at: this.#clock.now(), resources });
    return resources;
  }

  /** Whether `plural` (e.g. `helmreleases`) is served in group/version; subresources excluded. */
  async isServed(resource: Pick<ResourceType, "group" | "version" | "plural">, signal?: AbortSignal): Promise<boolean> {
    const resources = await this.resources(resource.group, resource.version, signal);
    return resources?.some((candidate) => candidate.name === resource.plural) ?? false;
  }

  /** Builds a ResourceType from discovery, for kinds whose plural or scope is not known up front. */
  async resourceType(group: string, version: string, kind: string, signal?: AbortSignal): Promise<ResourceType | undefined> {
    const resources = await this.resources(group, version, signal);
    const found = resources?.find((candidate) => candidate.kind === kind && !candidate.name.includes("/"));
    return found && { group, version, kind, plural: found.name, namespaced: found.namespaced };
  }

  invalidate(): void {
    this.#cache.clear();
  }

  async #fetch(path: string, signal?: AbortSignal): Promise<ApiResource[] | undefined> {
    try {
      const list = await this.#client.request<ApiResourceList>({ verb: "get", method: "GET", path, signal });
      return list.resources.filter((resource) => !resource.name.includes("/"));
    } catch (err) {
      if (classifyError(err) === "notFound") return undefined;
      throw err;
    }
  }
}
