/** In-memory dependencies for the Cluster reconciler: a Map for the API server, a recording driver and events. */
import { Registry } from "prom-client";
import type { Cluster, ConnectivityMode } from "../../../../src/api/cluster";
import { DEFAULT_AGENT_CONFIG } from "../../../../src/agent/config";
import type { Secret } from "../../../../src/agent/credentials/credentials";
import type { RotationResult, RotationTrigger } from "../../../../src/agent/status/rotation";
import type { ConnectivityDriver, DriverInputs, DriverObservations } from "../../../../src/connectivity/types";
import { ClusterReconciler, type ClusterReconcilerDeps } from "../../../../src/controllers/cluster/reconciler";
import type { RegisterOutcome } from "../../../../src/controllers/cluster/registration";
import type { ModeHealth } from "../../../../src/controllers/cluster/health";
import { KubeApiError } from "../../../../src/kube/errors";
import type { EventInput } from "../../../../src/kube/events";
import type { KubeObject, ResourceType } from "../../../../src/kube/types";
import { AgentMetrics } from "../../../../src/observability/agent-metrics";
import { createLogger } from "../../../../src/observability/logger";

export const NAMESPACE = "vworkspace-system";
export const TOKEN_SECRET = "registration-token";

export class RecordingDriver implements ConnectivityDriver {
  readonly calls: string[] = [];
  readonly rotations: RotationTrigger[] = [];
  rotating = false;
  paused: string | undefined;
  inputs: DriverInputs;
  rotationResult: RotationResult = { ok: true, newTokenFingerprint: "sha256:new" };

  /** `timeline` receives `<mode> start` and `<mode> stop`, interleaved with the reconciler's other effects. */
  constructor(readonly mode: ConnectivityMode, inputs: DriverInputs, private readonly timeline: string[] = []) {
    this.inputs = inputs;
  }

  get clusterId(): string {
    return this.inputs.credentials.clusterId;
  }

  async start(): Promise<void> {
    this.calls.push("start");
    this.timeline.push(`${this.mode} start`);
  }

  update(inputs: DriverInputs): void {
    this.inputs = inputs;
    this.calls.push("update");
  }

  async stop(): Promise<void> {
    this.calls.push("stop");
    this.timeline.push(`${this.mode} stop`);
  }

  observe(): void {}

  async rotate(trigger: RotationTrigger): Promise<RotationResult> {
    this.rotations.push(trigger);
    return this.rotationResult;
  }

  pause(reason: string): void {
    this.paused = reason;
  }

  registered(): void {
    this.calls.push("registered");
  }

  observations(): DriverObservations {
    return { heartbeat: { misses: 0, lastMissTls: false, completed: true }, overflow: { active: false, dropped: 0 }, rotationPending: false, paused: this.paused !== undefined };
  }
}

export function clusterObject(name: string, uid: string, spec: Record<string, unknown>, created = "2026-01-01T00:00:00Z"): Cluster {
  return { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name, uid, generation: 1, resourceVersion: "1", creationTimestamp: created }, spec } as unknown as Cluster;
}

export function secretObject(name: string, values: Record<string, string>): Secret {
  const data = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Buffer.from(value).toString("base64")]));
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: NAMESPACE, resourceVersion: "1" }, data };
}

/** A reconciler over in-memory state; `register` answers with `outcomes` in turn (the last one repeats). */
export function setup(options: { clusters: Cluster[]; secrets?: Secret[]; outcomes?: RegisterOutcome[]; health?: ModeHealth; pushAccess?: readonly string[] }) {
  const clusters = options.clusters;
  const namespaces = (options.pushAccess ?? []).map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
  const secrets = new Map((options.secrets ?? []).map((secret) => [secret.metadata.name, secret]));
  const events: Array<EventInput & { on: string }> = [];
  const statuses: Array<{ name: string; status: Record<string, unknown> }> = [];
  const registerCalls: Array<{ endpoint: string; body: unknown }> = [];
  const drivers: RecordingDriver[] = [];
  const healthModes: ConnectivityMode[] = [];
  const handOvers: string[] = [];
  /** Driver starts and stops, hand-overs, mode Events and the mode status records, in order. */
  const timeline: string[] = [];
  let failHandOver: Error | undefined;
  let pushAccessRemovals = 0;
  let version = 10;
  const client = {
    get: async (type: ResourceType, name: string) => {
      const found = type.kind === "Secret" ? secrets.get(name) : undefined;
      if (!found) throw new KubeApiError(404, { reason: "NotFound", message: `${name} not found` }, { verb: "GET", path: `/${name}` });
      return found;
    },
    create: async (_type: ResourceType, object: KubeObject) => {
      const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(version++) } } as Secret;
      secrets.set(object.metadata.name, stored);
      return stored;
    },
    replace: async (_type: ResourceType, object: KubeObject) => {
      const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(version++) } } as Secret;
      secrets.set(object.metadata.name, stored);
      return stored;
    },
    patch: async (type: ResourceType, name: string, patch: { type: string; body?: unknown; ops?: Array<{ op: string; path: string; value?: unknown }> }) => {
      const index = clusters.findIndex((cluster) => cluster.metadata.name === name);
      const current = clusters[index]!;
      const next = structuredClone(current) as Cluster;
      if (patch.type === "json") for (const op of patch.ops ?? []) applyFinalizerOp(next, op);
      if (patch.type === "merge") mergeInto(next as unknown as Record<string, unknown>, patch.body as Record<string, unknown>);
      next.metadata.resourceVersion = String(version++);
      clusters[index] = next;
      return type.kind === "Cluster" ? next : current;
    },
  };
  const deps = {
    client,
    discovery: { resourceType: async () => undefined },
    config: DEFAULT_AGENT_CONFIG,
    namespace: NAMESPACE,
    clusters: { list: () => clusters },
    secret: (name: string) => secrets.get(name),
    gate: { isGated: () => true, view: { list: () => namespaces, get: () => undefined } },
    managedObjects: () => [],
    cached: () => undefined,
    status: {
      apply: async (_type: ResourceType, object: KubeObject, status: Record<string, unknown>) => {
        statuses.push({ name: object.metadata.name, status: structuredClone(status) });
        timeline.push(`status ${String(status.connectivityMode)}`);
        return { written: true, object };
      },
    },
    events: {
      record: (object: KubeObject, event: EventInput) => {
        events.push({ ...event, on: object.metadata.name });
        if (event.reason === "ConnectivityModeChanged") timeline.push(`event ${event.note}`);
      },
    },
    metrics: new AgentMetrics(new Registry()),
    logger: createLogger({ level: "silent" }),
    enqueue: () => undefined,
    createDriver: (mode: ConnectivityMode, _deps: unknown, inputs: DriverInputs) => {
      const driver = new RecordingDriver(mode, inputs, timeline);
      drivers.push(driver);
      return driver;
    },
    register: async (endpoint: string, _token: string, body: unknown) => {
      registerCalls.push({ endpoint, body });
      const outcomes = options.outcomes ?? [];
      return outcomes[Math.min(registerCalls.length, outcomes.length) - 1] ?? { kind: "retry", message: "no answer scripted" };
    },
    pushAccess: (name: string) => (options.pushAccess ?? []).includes(name),
    removePushAccess: async () => {
      pushAccessRemovals++;
    },
    handOverFieldOwnership: async (handOver: { from: string; to: string }) => {
      if (failHandOver) throw failHandOver;
      handOvers.push(`${handOver.from}→${handOver.to}`);
      timeline.push(`hand over ${handOver.from}→${handOver.to}`);
      return 0;
    },
    controllersHealthy: async (mode: ConnectivityMode) => {
      healthModes.push(mode);
      return options.health ?? { status: "True", reason: "AllControllersReady", message: "required controllers are available" };
    },
  } as unknown as ClusterReconcilerDeps;
  const reconciler = new ClusterReconciler(deps);
  const pass = () => reconciler.reconcile(new AbortController().signal);
  const lastStatus = (name: string) => statuses.filter((entry) => entry.name === name).at(-1)?.status;
  return { reconciler, pass, clusters, secrets, events, statuses, registerCalls, drivers, lastStatus, healthChecks: () => healthModes.length, healthModes, pushAccessRemovals: () => pushAccessRemovals, handOvers, timeline, failHandOvers: (err: Error | undefined) => {
    failHandOver = err;
  }, deps };
}

function applyFinalizerOp(cluster: Cluster, op: { op: string; path: string; value?: unknown }): void {
  if (op.path === "/metadata/finalizers" && op.op === "add") cluster.metadata.finalizers = op.value as string[];
  else if (op.path === "/metadata/finalizers/-") cluster.metadata.finalizers = [...(cluster.metadata.finalizers ?? []), op.value as string];
  else if (op.op === "remove" && op.path.startsWith("/metadata/finalizers/")) cluster.metadata.finalizers = cluster.metadata.finalizers?.filter((_, index) => index !== Number(op.path.split("/").at(-1)));
}

function mergeInto(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (typeof value === "object" && !Array.isArray(value)) {
      const child = (target[key] ?? {}) as Record<string, unknown>;
      mergeInto(child, value as Record<string, unknown>);
      target[key] = child;
    } else target[key] = value;
  }
}
