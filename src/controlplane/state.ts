/** Everything the control plane's handlers share: settings, stores and in-memory coordination. */
import type { Database } from "bun:sqlite";
import type { Logger } from "../observability/logger";
import type { ControlPlaneConfig } from "./config";
import { FaultTable } from "./faults";
import { JobSignal } from "./job-signal";
import { RateLimiter } from "./rate-limit";
import { RequestLog } from "./request-log";
import { GitOpsPublisher } from "./gitops-publisher";
import { StatusWatches } from "./status-watch";
import { ClusterStore } from "./store/clusters";
import { ConnectivityStore } from "./store/connectivity";
import { DesiredObjectStore } from "./store/desired-objects";
import { EventStore } from "./store/events";
import { JobStore } from "./store/jobs";
import { SigningKeyStore } from "./store/signing-keys";
import { TokenStore } from "./store/tokens";

export interface ControlPlaneState {
  config: ControlPlaneConfig;
  logger: Logger;
  clusters: ClusterStore;
  connectivity: ConnectivityStore;
  gitops: GitOpsPublisher;
  statusWatches: StatusWatches;
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
  const connectivity = new ConnectivityStore(db);
  const events = new EventStore(db);
  const state: ControlPlaneState = {
    config,
    logger,
    clusters: new ClusterStore(db),
    connectivity,
    gitops: new GitOpsPublisher(config.gitopsDir, new DesiredObjectStore(db), config.gitopsSigningKey),
    statusWatches: new StatusWatches({ connectivity, events, logger, now: () => state.now(), watchTimeoutSeconds: config.statusWatchTimeoutSeconds }),
    tokens: new TokenStore(db),
    jobs: new JobStore(db),
    events,
    signingKeys: new SigningKeyStore(db),
    faults: new FaultTable(),
    requests: new RequestLog(),
    rateLimiter: new RateLimiter(config.rateLimitPerSecond),
    signal: new JobSignal(),
    polls: { inflight: 0 },
    now: () => Date.now(),
  };
  return state;
}
