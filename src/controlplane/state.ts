/** Everything the control plane's handlers share: settings, stores and in-memory coordination. */
import type { Database } from "bun:sqlite";
import type { Logger } from "../observability/logger";
import type { ControlPlaneConfig } from "./config";
import { FaultTable } from "./faults";
import { JobSignal } from "./job-signal";
import { RateLimiter } from "./rate-limit";
import { RequestLog } from "./request-log";
import { ClusterStore } from "./store/clusters";
import { EventStore } from "./store/events";
import { JobStore } from "./store/jobs";
import { SigningKeyStore } from "./store/signing-keys";
import { TokenStore } from "./store/tokens";

export interface ControlPlaneState {
  config: ControlPlaneConfig;
  logger: Logger;
  clusters: ClusterStore;
  tokens: TokenStore;
  jobs: JobStore;
  events: EventStore;
  signingKeys: SigningKeyStore;
  faults: FaultTable;
  requests: RequestLog;
  rateLimiter: RateLimiter;
  signal: JobSignal;
  polls: { inflight: number };
  now: () => number;
}

export function createState(db: Database, config: ControlPlaneConfig, logger: Logger): ControlPlaneState {
  return {
    config,
    logger,
    clusters: new ClusterStore(db),
    tokens: new TokenStore(db),
    jobs: new JobStore(db),
    events: new EventStore(db),
    signingKeys: new SigningKeyStore(db),
    faults: new FaultTable(),
    requests: new RequestLog(),
    rateLimiter: new RateLimiter(config.rateLimitPerSecond),
    signal: new JobSignal(),
    polls: { inflight: 0 },
    now: () => Date.now(),
  };
}
