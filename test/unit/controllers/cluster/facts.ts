/** Observed facts for the pure Cluster status, healthy and in pull mode unless a test overrides them. */
import type { AgentObservations } from "../../../../src/agent/transport/state";
import type { ClusterFacts } from "../../../../src/controllers/cluster/status";

export const NOW = new Date("2026-11-22T08:00:00Z");

export function agentObservations(overrides: Partial<AgentObservations> = {}, paused = false): AgentObservations & { paused: boolean } {
  return { heartbeat: { misses: 0, lastMissTls: false, completed: true }, overflow: { active: false, dropped: 0 }, rotationPending: false, ...overrides, paused };
}

export function clusterFacts(overrides: Partial<ClusterFacts> = {}): ClusterFacts {
  return {
    mode: "pull",
    previousPhase: undefined,
    previousConditions: undefined,
    generation: 1,
    now: NOW,
    hasCredentials: true,
    tokenResolvable: true,
    tokenSecretMissing: false,
    registration: { state: "none" },
    agent: agentObservations(),
    controllersHealthy: { status: "True", reason: "AllControllersReady", message: "ok" },
    signingMode: "warn",
    trustedKeys: { available: true, message: "1 key" },
    keypairReady: true,
    ...overrides,
  };
}
