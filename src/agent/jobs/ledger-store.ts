/**
 * The ledger kept in ConfigMap `vworkspace-applied-jobs` (docs/connectivity.md). Memory is authoritative while
 * the process runs; writes are coalesced (at most one per 200 ms, carrying every change since) and use
 * optimistic concurrency, merging with what another writer stored on a 409. Only jobs admitted by `admitJob`
 * (those that passed signature screening) are recorded.
 */
import type { KubeClient } from "../../kube/client";
import { classifyError } from "../../kube/errors";
import type { KubeObject, ResourceType } from "../../kube/types";
import type { Logger } from "../../observability/logger";
import { admitJob, emptyLedger, jobBytes, keyBytes, ledgerBytes, parseLedger, pruneLedger, serializeLedger, type JobState, type LedgerMaps, type PruneLimits } from "./ledger";

const WRITE_INTERVAL_MS = 200;

export const CONFIG_MAP: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export interface LedgerStoreOptions {
  client: Pick<KubeClient, "get" | "create" | "replace">;
  namespace: string;
  name: string;
  limits: PruneLimits;
  logger: Logger;
}

export class LedgerStore {
  #ledger: LedgerMaps = emptyLedger();
  /** Running `ledgerBytes(#ledger)`, so admission stays cheap. */
  #bytes = ledgerBytes(this.#ledger);
  #resourceVersion: string | undefined;
  #dirty = false;
  #writing: Promise<void> | undefined;

  constructor(private readonly options: LedgerStoreOptions) {}

  async load(): Promise<void> {
    const stored = await this.#read();
    this.#replace(parseLedger(stored?.data, new Date()));
    this.#resourceVersion = stored?.metadata.resourceVersion;
  }

  jobState(id: string): JobState | undefined {
    return this.#ledger.processedJobs.get(id)?.state;
  }

  hasKey(key: string): boolean {
    return this.#ledger.appliedKeys.has(key);
  }

  /**
   * Records the job as `acked`; `signedUntil` (for a verified signature) keeps it from eviction until then.
   * False when the ledger is full of live signed entries: the job must be refused, not processed unrecorded.
   */
  admitJob(id: string, signedUntil: Date | undefined): boolean {
    const now = new Date();
    const entry = { at: now.toISOString(), state: "acked" as const, ...(signedUntil ? { signedUntil: signedUntil.toISOString() } : {}) };
    const admission = admitJob(this.#ledger, this.#bytes, id, entry, this.options.limits, now);
    this.#ledger = admission.ledger;
    this.#bytes = admission.bytes;
    if (admission.admitted) this.#schedule();
    return admission.admitted;
  }

  /** Marks an admitted job `done`, keeping its replay window. */
  completeJob(id: string): void {
    const entry = this.#ledger.processedJobs.get(id);
    if (!entry) return;
    const done = { ...entry, at: new Date().toISOString(), state: "done" as const };
    this.#ledger.processedJobs.set(id, done);
    this.#bytes += jobBytes(id, done) - jobBytes(id, entry);
    this.#schedule();
  }

  recordKey(key: string): void {
    const at = new Date().toISOString();
    const previous = this.#ledger.appliedKeys.get(key);
    this.#ledger.appliedKeys.set(key, at);
    this.#bytes += keyBytes(key, at) - (previous === undefined ? 0 : keyBytes(key, previous));
    this.#schedule();
  }

  /** Resolves once everything recorded so far is stored. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  #schedule(): void {
    this.#dirty = true;
    this.#writing ??= this.#writeLoop();
  }

  async #writeLoop(): Promise<void> {
    try {
      while (this.#dirty) {
        // Changes arriving within one interval share a write: a job burst costs a few writes, not three per job.
        await Bun.sleep(WRITE_INTERVAL_MS);
        this.#dirty = false;
        await this.#write().catch((err) => {
          this.#dirty = true;
          this.options.logger.warn({ err: String(err), configMap: this.options.name }, "ledger write failed; retrying");
          return Bun.sleep(1_000);
        });
      }
    } finally {
      this.#writing = undefined;
    }
  }

  async #write(): Promise<void> {
    const { client, namespace, name, limits } = this.options;
    for (let attempt = 0; attempt < 5; attempt++) {
      this.#replace(pruneLedger(this.#ledger, limits, new Date()));
      const body: ConfigMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data: serializeLedger(this.#ledger) };
      try {
        const written = this.#resourceVersion
          ? await client.replace<ConfigMap>(CONFIG_MAP, { ...body, metadata: { ...body.metadata, resourceVersion: this.#resourceVersion } })
          : await client.create<ConfigMap>(CONFIG_MAP, body);
        this.#resourceVersion = written.metadata.resourceVersion;
        return;
      } catch (err) {
        const kind = classifyError(err);
        if (kind !== "conflict" && kind !== "alreadyExists" && kind !== "notFound") throw err;
        const stored = await this.#read();
        this.#resourceVersion = stored?.metadata.resourceVersion;
        if (stored) this.#replace(merge(parseLedger(stored.data, new Date()), this.#ledger));
      }
    }
    throw new Error(`ledger ConfigMap ${namespace}/${name}: too many concurrent updates`);
  }

  #replace(ledger: LedgerMaps): void {
    this.#ledger = ledger;
    this.#bytes = ledgerBytes(ledger);
  }

  async #read(): Promise<ConfigMap | undefined> {
    try {
      return await this.options.client.get<ConfigMap>(CONFIG_MAP, this.options.name, { namespace: this.options.namespace });
    } catch (err) {
      if (classifyError(err) === "notFound") return undefined;
      throw err;
    }
  }
}

/** Union of both; for a job in both, `done` wins over `acked` and a replay window is never dropped. */
function merge(stored: LedgerMaps, mine: LedgerMaps): LedgerMaps {
  const appliedKeys = new Map([...stored.appliedKeys, ...mine.appliedKeys]);
  const processedJobs = new Map(stored.processedJobs);
  for (const [id, entry] of mine.processedJobs) {
    const theirs = processedJobs.get(id);
    const winner = theirs?.state !== "done" || entry.state === "done" ? entry : theirs;
    const signedUntil = [entry.signedUntil, theirs?.signedUntil].filter((at) => at !== undefined).sort().at(-1);
    processedJobs.set(id, signedUntil ? { ...winner, signedUntil } : winner);
  }
  return { appliedKeys, processedJobs };
}
