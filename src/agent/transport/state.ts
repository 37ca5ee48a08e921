/**
 * What the agent loops observed, for the Cluster controller to turn into conditions and phase (the controller
 * is the only writer of Cluster status). Also the pause of docs/connectivity.md#backoff: while paused no loop sends anything until the
 * credentials Secret's resourceVersion or the Cluster's generation differs from what it was at the pause.
 */

export type AuthObservation =
  | { state: "accepted" }
  | { state: "rejected"; message: string }
  | { state: "expired"; message: string }
  | { state: "rotation-failed"; message: string };

export interface HeartbeatObservation {
  /** Consecutive misses (docs/connectivity.md#heartbeat-and-controller-health). */
  misses: number;
  /** The last miss was a TLS verification or handshake failure. */
  lastMissTls: boolean;
  /** RFC 3339 time of the last `204`. */
  lastHeartbeat?: string;
  /** Whether any heartbeat has completed since the last registration. */
  completed: boolean;
}

export interface PayloadObservation {
  ok: boolean;
  reason: string;
  message: string;
}

export interface AgentObservations {
  auth?: AuthObservation;
  heartbeat: HeartbeatObservation;
  overflow: { active: boolean; dropped: number };
  signature?: PayloadObservation;
  encryption?: PayloadObservation;
  lastRotatedAt?: string;
  rotationPending: boolean;
}

export interface PauseMarks {
  secretResourceVersion: string | undefined;
  clusterGeneration: number | undefined;
}

export class AgentState {
  readonly observations: AgentObservations = {
    heartbeat: { misses: 0, lastMissTls: false, completed: false },
    overflow: { active: false, dropped: 0 },
    rotationPending: false,
  };
  /** Set while a rotation runs: a 401 meanwhile waits for it instead of pausing (the old token may be gone). */
  rotationInFlight: Promise<unknown> | undefined;
  #pause: { marks: PauseMarks; reason: string } | undefined;
  #resume: { promise: Promise<void>; resolve: () => void } | undefined;
  readonly #listeners = new Set<() => void>();

  constructor(private marks: () => PauseMarks) {}

  /** Tells the controller that something it reports on changed. */
  changed(): void {
    for (const listener of this.#listeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get paused(): boolean {
    return this.#pause !== undefined;
  }

  get pauseReason(): string | undefined {
    return this.#pause?.reason;
  }

  pause(reason: string): void {
    if (this.#pause) return;
    this.#pause = { marks: this.marks(), reason };
    let resolve!: () => void;
    const promise = new Promise<void>((done) => (resolve = done));
    this.#resume = { promise, resolve };
    this.changed();
  }

  /** Lifts the pause when the Secret or the Cluster generation moved since it began. */
  maybeResume(current: PauseMarks): boolean {
    const pause = this.#pause;
    if (!pause) return false;
    const moved = pause.marks.secretResourceVersion !== current.secretResourceVersion || pause.marks.clusterGeneration !== current.clusterGeneration;
    if (!moved) return false;
    this.#pause = undefined;
    this.#resume?.resolve();
    this.#resume = undefined;
    this.changed();
    return true;
  }

  /** Resolves at once when not paused, else when resumed or `signal` aborts. */
  async whenActive(signal: AbortSignal): Promise<void> {
    while (this.#resume && !signal.aborted) {
      const resumed = this.#resume.promise;
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener("abort", onAbort, { once: true });
        void resumed.then(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
  }
}
