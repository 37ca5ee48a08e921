/** The connectivity driver registry: one driver per mode; push and gitops run the status channel without polling. */
import { describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { DEFAULT_AGENT_CONFIG } from "../../../src/agent/config";
import { createDriver, driverFor } from "../../../src/connectivity";
import type { DriverDeps, DriverInputs } from "../../../src/connectivity/types";
import { AgentMetrics } from "../../../src/observability/agent-metrics";
import { createLogger } from "../../../src/observability/logger";

const deps = {
  client: {},
  discovery: {},
  config: DEFAULT_AGENT_CONFIG,
  namespace: "vworkspace-system",
  namespaces: { labels: () => undefined },
  managedObjects: () => [],
  cached: () => undefined,
  metrics: new AgentMetrics(new Registry()),
  logger: createLogger({ level: "silent" }),
  readCredentialsSecret: async () => undefined,
  controllersHealthy: () => undefined,
  recordEvent: () => undefined,
  onChange: () => undefined,
  onRotationConfirmed: async () => undefined,
} as unknown as DriverDeps;

const inputs = (mode: string): DriverInputs =>
  ({
    cluster: { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name: "main", uid: "uid-a", generation: 1 }, spec: { connectivityMode: mode } },
    credentials: { baseUrl: "http://cp.example", clusterId: "c-1", token: "agent-token" },
    tls: undefined,
    trustedKeys: undefined,
    keypair: undefined,
  }) as unknown as DriverInputs;

describe("connectivity driver registry", () => {
  test("pull, push and gitops are registered; an unknown mode is not and cannot get a driver", () => {
    expect(driverFor("pull")?.mode).toBe("pull");
    expect(driverFor("push")?.mode).toBe("push");
    expect(driverFor("gitops")?.mode).toBe("gitops");
    expect(driverFor("carrier-pigeon")).toBeUndefined();
    expect(() => createDriver("carrier-pigeon" as never, deps, inputs("pull"))).toThrow(/no connectivity driver for mode "carrier-pigeon"/);
  });

  test.each(["pull", "push", "gitops"] as const)("createDriver(%s) answers for that mode and the credentials' cluster id, idle until started", (mode) => {
    const driver = createDriver(mode, deps, inputs(mode));
    expect(driver.mode).toBe(mode);
    expect(driver.clusterId).toBe("c-1");
    expect(driver.rotating).toBe(false);
    expect(driver.observations()).toMatchObject({ paused: false, heartbeat: { misses: 0, completed: false } });
  });

  test("a driver's pause shows in its observations; a registration starts heartbeat and authentication afresh", () => {
    const driver = createDriver("pull", deps, inputs("pull"));
    driver.pause("ClusterIdMismatch");
    expect(driver.observations().paused).toBe(true);
    driver.registered();
    expect(driver.observations()).toMatchObject({ heartbeat: { misses: 0, lastMissTls: false, completed: false } });
    expect(driver.observations().auth).toBeUndefined();
  });
});
