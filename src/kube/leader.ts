/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's algorithm:
 * - a candidate takes the lease when it is free (no holder) or when the holder has not renewed
 *   it for `leaseDurationMs`, measured on the local clock from when the record last changed (so
 *   clock skew between replicas does not matter);
 * - the leader renews every `retryPeriodMs` and steps down when no renewal succeeded within
 *   `renewDeadlineMs`;
 * - on a graceful stop the leader clears `holderIdentity` so a successor takes over at once; a candidate
 *   whose first read finds the lease released waits one retry period, leaving it to a waiting standby.
 * Every write is a PUT guarded by resourceVersion, so two candidates can never both win.
 * After losing the lease the elector campaigns again until stopped.
 */
import type { Logger } from "../observability/logger";
import { systemClock, sleep, type Clock } from "./clock";
import type { KubeClient } from "./client";
import { classifyError } from "./errors";
import { formatMicroTime } from "./time";
import type { KubeObject, ResourceType } from "./types";

export const LEASE_TYPE: ResourceType = {
  group: "coordination.k8s.io",
  version: "v1",
  kind: "Lease",
  plural: "leases",
  namespaced: true,
};

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectorOptions {
  client: Pick<KubeClient, "get" | "create" | "replace">;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Receives a signal that aborts when leadership ends. */
  onStartedLeading?(signal: AbortSignal): void;
  onStoppedLeading?(): void;
  onNewLeader?(identity: string): void;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

const JITTER_FACTOR = 1.2;

export class LeaderElector {
  readonly #options: LeaderElectorOptions;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  #observed: { spec: LeaseSpec; resourceVersion: string | undefined } | undefined;
  #observedAt = 0;
  #leading: AbortController | undefined;
  #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #releaseOnStop = true;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(this.#leaseDurationMs > this.#renewDeadlineMs && this.#renewDeadlineMs > this.#retryPeriodMs * JITTER_FACTOR)) {
      throw new RangeError("leader election needs leaseDuration > renewDeadline > retryPeriod × 1.2");
    }
    this.#clock = options.clock ?? systemClock();
    this.#random = options.random ?? Math.random;
  }

  isLeader(): boolean {
    return this.#leading !== undefined;
  }

  /** The holder as last observed; undefined when the lease is free or not yet read. */
  holder(): string | undefined {
    return this.#observed?.spec.holderIdentity || undefined;
  }

  /** Starts campaigning in the background. */
  start(): void {
    if (this.#loop) throw new Error("leader elector already started");
    this.#stop = new AbortController();
    this.#loop = this.#run(this.#stop.signal);
  }

  /**
   * Stops campaigning. With `release` (the default) a leader hands the lease back so a
   * successor need not wait for expiry; without it the lease simply stops being renewed.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#releaseOnStop = options.release ?? true;
    this.#stop.abort();
    await this.#loop;
    this.#loop = undefined;
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.#acquire(signal);
      if (signal.aborted) break;
      await this.#renewWhileLeading(signal);
    }
    if (this.#leading) await this.#stepDown(this.#releaseOnStop);
  }

  async #acquire(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (await this.#tryAcquireOrRenew(signal)) {
        this.#startLeading();
        return;
      }
      await sleep(this.#clock, this.#jittered(this.#retryPeriodMs), signal);
    }
  }

  async #renewWhileLeading(signal: AbortSignal): Promise<void> {
    let lastRenewal = this.#clock.now();
    while (!signal.aborted) {
      await sleep(this.#clock, this.#retryPeriodMs, signal);
      if (signal.aborted) return;
      if (await this.#tryAcquireOrRenew(signal)) {
        lastRenewal = this.#clock.now();
      } else if (this.#clock.now() - lastRenewal >= this.#renewDeadlineMs || this.#heldByOther()) {
        this.#options.logger?.warn({ lease: this.#options.name }, "leadership lost");
        await this.#stepDown(false);
        return;
      }
    }
  }

  /** One attempt: true when this identity holds the lease afterwards. Never throws. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, namespace, name, identity } = this.#options;
    try {
      const lease = await this.#getLease(signal);
      const now = this.#clock.now();
      if (!lease) {
        const created = await client.create<Lease>(LEASE_TYPE, this.#leaseBody(undefined, now), { namespace, signal });
        this.#observe(created);
        return true;
      }
      const firstRead = this.#observed === undefined;
      this.#observe(lease);
      const spec = lease.spec ?? {};
      const heldByOther = !!spec.holderIdentity && spec.holderIdentity !== identity;
      if (heldByOther && this.#observedAt + this.#leaseDurationMs > now) return false;
      // A released lease found on a candidate's first read waits one retry period, so a standby already
      // campaigning (caches synced) takes it before the cold Pod that replaces the old leader.
      if (!spec.holderIdentity && firstRead) return false;
      const updated = await client.replace<Lease>(LEASE_TYPE, this.#leaseBody(lease, now), { namespace, signal });
      this.#observe(updated);
      return true;
    } catch (err) {
      if (!signal.aborted) {
        const errorClass = classifyError(err);
        const level = errorClass === "conflict" || errorClass === "alreadyExists" ? "debug" : "warn";
        this.#options.logger?.[level]({ lease: name, errorClass, err: String(err) }, "lease update failed");
      }
      return false;
    }
  }

  async #getLease(signal: AbortSignal): Promise<Lease | undefined> {
    try {
      return await this.#options.client.get<Lease>(LEASE_TYPE, this.#options.name, {
        namespace: this.#options.namespace,
        signal,
      });
    } catch (err) {
      if (classifyError(err) === "notFound") return undefined;
      throw err;
    }
  }

  #leaseBody(current: Lease | undefined, now: number): Lease {
    const { name, namespace, identity } = this.#options;
    const previous = current?.spec ?? {};
    const renewing = previous.holderIdentity === identity;
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace, resourceVersion: current?.metadata.resourceVersion },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: Math.ceil(this.#leaseDurationMs / 1000),
        acquireTime: renewing && previous.acquireTime ? previous.acquireTime : formatMicroTime(now),
        renewTime: formatMicroTime(now),
        leaseTransitions: (previous.leaseTransitions ?? 0) + (current && !renewing ? 1 : 0),
      },
    };
  }

  /** Records the lease; the expiry clock restarts only when the record itself changed. */
  #observe(lease: Lease): void {
    const spec = lease.spec ?? {};
    const previous = this.#observed?.spec;
    const changed =
      !previous ||
      previous.holderIdentity !== spec.holderIdentity ||
      previous.renewTime !== spec.renewTime ||
      previous.leaseTransitions !== spec.leaseTransitions;
    if (changed) {
      this.#observedAt = this.#clock.now();
      if (spec.holderIdentity && spec.holderIdentity !== previous?.holderIdentity) {
        this.#options.onNewLeader?.(spec.holderIdentity);
      }
    }
    this.#observed = { spec, resourceVersion: lease.metadata.resourceVersion };
  }

  #heldByOther(): boolean {
    const holder = this.#observed?.spec.holderIdentity;
    return !!holder && holder !== this.#options.identity;
  }

  #startLeading(): void {
    this.#leading = new AbortController();
    this.#options.logger?.info({ lease: this.#options.name, identity: this.#options.identity }, "became leader");
    this.#safely(() => this.#options.onStartedLeading?.(this.#leading!.signal));
  }

  async #stepDown(release: boolean): Promise<void> {
    this.#leading?.abort();
    this.#leading = undefined;
    if (release) await this.#release();
    this.#safely(() => this.#options.onStoppedLeading?.());
  }

  /** Hands the lease back: empty holder, so candidates take it without waiting for expiry. */
  async #release(): Promise<void> {
    const { client, namespace, name, identity } = this.#options;
    try {
      const lease = await this.#getLease(AbortSignal.timeout(this.#renewDeadlineMs));
      if (!lease || lease.spec?.holderIdentity !== identity) return;
      const now = formatMicroTime(this.#clock.now());
      const released: Lease = {
        ...lease,
        spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
      };
      this.#observe(await client.replace<Lease>(LEASE_TYPE, released, { namespace }));
      this.#options.logger?.info({ lease: name, identity }, "lease released");
    } catch (err) {
      this.#options.logger?.warn({ lease: name, errorClass: classifyError(err), err: String(err) }, "lease release failed");
    }
  }

  #safely(callback: () => void): void {
    try {
      callback();
    } catch (err) {
      this.#options.logger?.error({ err }, "leader election callback threw");
    }
  }

  #jittered(ms: number): number {
    return ms + ms * (JITTER_FACTOR - 1) * this.#random();
  }
}
