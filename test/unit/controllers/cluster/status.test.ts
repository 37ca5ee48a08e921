import { describe, expect, test } from "bun:test";
import { honouredCluster } from "../../../../src/api/honoured-cluster";
import { clusterStatus } from "../../../../src/controllers/cluster/status";
import type { KubeObject } from "../../../../src/kube/types";
import { agentObservations as agent, clusterFacts as facts, NOW as now } from "./facts";

const reasonOf = (view: ReturnType<typeof clusterStatus>, type: string) => view.conditions.find((condition) => condition.type === type);

describe("Cluster phase and conditions (docs/connectivity.md#phase, docs/connectivity.md#cluster-conditions, docs/connectivity.md#heartbeat-and-controller-health)", () => {
  test("1–2 misses keep Connected with RoundTripOK; the 3rd disconnects; Authenticated never moves", () => {
    for (const misses of [1, 2]) {
      const view = clusterStatus(facts({ agent: agent({ heartbeat: { misses, lastMissTls: false, completed: true }, auth: { state: "accepted" } }) }));
      expect(view.phase).toBe("Connected");
      expect(reasonOf(view, "Connected")).toMatchObject({ status: "True", reason: "RoundTripOK" });
      expect(reasonOf(view, "Disconnected")?.status).toBe("False");
      expect(reasonOf(view, "Authenticated")?.reason).toBe("CredentialAccepted");
    }
    const third = clusterStatus(facts({ agent: agent({ heartbeat: { misses: 3, lastMissTls: true, completed: true }, auth: { state: "accepted" } }) }));
    expect(third.phase).toBe("Disconnected");
    expect(reasonOf(third, "Connected")).toMatchObject({ status: "False", reason: "TLSHandshakeFailed" });
    expect(reasonOf(third, "Disconnected")).toMatchObject({ status: "True", reason: "NoRecentRoundTrip" });
    expect(reasonOf(third, "Authenticated")?.status).toBe("True");
  });

  test("registration states", () => {
    expect(clusterStatus(facts({ hasCredentials: false, tokenResolvable: false, agent: undefined })).phase).toBe("Pending");
    const missing = clusterStatus(facts({ hasCredentials: false, tokenResolvable: false, tokenSecretMissing: true, agent: undefined }));
    expect(reasonOf(missing, "Authenticated")?.reason).toBe("TokenSecretMissing");
    const refused = clusterStatus(facts({ hasCredentials: false, registration: { state: "failed", message: "401" }, agent: undefined }));
    expect(refused.phase).toBe("Error");
    expect(reasonOf(refused, "Authenticated")?.reason).toBe("RegistrationFailed");
    const retrying = clusterStatus(facts({ hasCredentials: false, registration: { state: "pending", message: "unreachable" }, agent: undefined }));
    expect(retrying.phase).toBe("Pending");
    expect(reasonOf(retrying, "Connected")?.reason).toBe("RegistrationPending");
    const exchanged = clusterStatus(facts({ registration: { state: "exchanged" }, agent: agent({ heartbeat: { misses: 0, lastMissTls: false, completed: false } }) }));
    expect(exchanged.phase).toBe("Registering");
    expect(reasonOf(exchanged, "Connected")?.reason).toBe("ControlPlaneReachable");
    expect(reasonOf(exchanged, "Authenticated")?.reason).toBe("RegistrationComplete");
  });

  test("rejection, TLS configuration, rotation failure and expiry are Error; payload conditions never change phase", () => {
    const rejected = clusterStatus(facts({ agent: agent({ auth: { state: "rejected", message: "401" } }, true) }));
    expect(rejected.phase).toBe("Error");
    expect(reasonOf(rejected, "Connected")?.reason).toBe("CredentialRejected");
    expect(clusterStatus(facts({ tlsInvalid: "bad key" })).phase).toBe("Error");
    expect(reasonOf(clusterStatus(facts({ agent: agent({ auth: { state: "rotation-failed", message: "x" } }) })), "Authenticated")?.reason).toBe("RotationFailed");
    expect(reasonOf(clusterStatus(facts({ expired: "expired" })), "Authenticated")?.reason).toBe("CredentialExpired");
    const audit = clusterStatus(facts({ agent: agent({ signature: { ok: false, reason: "JobPayloadSignatureInvalid", message: "job j: stale" } }) }));
    expect(audit.phase).toBe("Connected");
    expect(reasonOf(audit, "PayloadsVerified")).toMatchObject({ status: "False", reason: "JobPayloadSignatureInvalid" });
    expect(reasonOf(clusterStatus(facts({ signingMode: "disabled" })), "PayloadsVerified")).toBeUndefined();
    expect(reasonOf(clusterStatus(facts({ trustedKeys: { available: false, message: "none" } })), "PayloadsVerified")?.reason).toBe("TrustedKeysUnavailable");
  });

  test("lastTransitionTime moves only when status changes", () => {
    const first = clusterStatus(facts({ agent: agent({ heartbeat: { misses: 1, lastMissTls: false, completed: true } }) }));
    const later = clusterStatus(facts({ now: new Date(now.getTime() + 60_000), previousConditions: first.conditions, agent: agent({ heartbeat: { misses: 2, lastMissTls: false, completed: true } }) }));
    expect(reasonOf(later, "Connected")?.lastTransitionTime).toBe(reasonOf(first, "Connected")!.lastTransitionTime);
  });
});

describe("honoured Cluster (docs/connectivity.md#identity-and-selection)", () => {
  const cluster = (name: string, created: string): KubeObject => ({ apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", metadata: { name, creationTimestamp: created } });
  test("the oldest wins; ties go to the smallest name", () => {
    expect(honouredCluster([cluster("b", "2026-01-02T00:00:00Z"), cluster("a", "2026-01-03T00:00:00Z")])?.metadata.name).toBe("b");
    expect(honouredCluster([cluster("z", "2026-01-01T00:00:00Z"), cluster("m", "2026-01-01T00:00:00Z")])?.metadata.name).toBe("m");
    expect(honouredCluster([])).toBeUndefined();
  });
});
