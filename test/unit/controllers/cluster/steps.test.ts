/** The Cluster reconciler's pure steps: registration due, exchange verdicts, rotation due, warnings, transitions, gauges. */
import { describe, expect, test } from "bun:test";
import type { Cluster } from "../../../../src/api/cluster";
import { ANNOTATION_ROTATE_CREDENTIALS } from "../../../../src/api/labels";
import { freshMemory, type ClusterMemory } from "../../../../src/controllers/cluster/memory";
import { exchangeVerdict, registrationStep, type RegistrationInput } from "../../../../src/controllers/cluster/registration-step";
import { configurationWarnings, connectivityState, credentialProblems, rotationDue, transitionEvents } from "../../../../src/controllers/cluster/steps";
import type { Condition } from "../../../../src/kube/types";

const token = { kind: "resolved", token: "one-time", fingerprint: "sha256:abc", source: "secret" } as const;
const cluster = (spec: Record<string, unknown> = {}, annotations?: Record<string, string>): Cluster =>
  ({ metadata: { name: "main", uid: "uid-a", generation: 3, resourceVersion: "7", ...(annotations ? { annotations } : {}) }, spec }) as unknown as Cluster;
const input = (overrides: Partial<RegistrationInput> = {}): RegistrationInput => ({ cluster: cluster(), status: {}, token, endpoint: "https://cp", hasCredentials: false, ...overrides });
const memory = (overrides: Partial<ClusterMemory> = {}): ClusterMemory => ({ ...freshMemory("uid-a"), ...overrides });

describe("registrationStep", () => {
  test("a new token is exchanged with the spec's cluster id", () => {
    expect(registrationStep(input({ cluster: cluster({ clusterId: " c-9 " }) }), memory())).toMatchObject({ kind: "exchange", clusterId: "c-9" });
  });
  test("the token status already records is current; with the re-register annotation it is exchanged again", () => {
    expect(registrationStep(input({ status: { observedToken: token.fingerprint } }), memory()).kind).toBe("current");
    const annotated = cluster({}, { [ANNOTATION_ROTATE_CREDENTIALS]: "true" });
    expect(registrationStep(input({ cluster: annotated, status: { observedToken: token.fingerprint } }), memory()).kind).toBe("exchange");
  });
  test("credentials from a consumed token are adopted without an exchange", () => {
    expect(registrationStep(input({ status: { credentialStatus: { registrationTokenConsumed: true } as never }, hasCredentials: true }), memory()).kind).toBe("adopt");
  });
  test("never twice for one resourceVersion or one token; an annotation after the exchange is only removed", () => {
    expect(registrationStep(input(), memory({ exchangedAt: "7" }))).toEqual({ kind: "exchanged", removeAnnotation: false });
    const annotated = cluster({}, { [ANNOTATION_ROTATE_CREDENTIALS]: "true" });
    expect(registrationStep(input({ cluster: annotated }), memory({ exchangedToken: token.fingerprint }))).toEqual({ kind: "exchanged", removeAnnotation: true });
  });
  test("inputs refused before stay blocked until one of them changes", () => {
    const first = registrationStep(input(), memory());
    if (first.kind !== "exchange") throw new Error("expected an exchange");
    expect(registrationStep(input(), memory({ blockedRegistration: first.inputs })).kind).toBe("blocked");
    expect(registrationStep(input({ endpoint: "https://other" }), memory({ blockedRegistration: first.inputs })).kind).toBe("exchange");
  });
});

describe("exchangeVerdict", () => {
  test("retry is pending, refusal fails and blocks, a 401 with credentials keeps them", () => {
    expect(exchangeVerdict({ kind: "retry", message: "busy", retryAfterMs: 5 }, "k", false)).toEqual({ verdict: { kind: "retry", retryAfterMs: 5 }, memory: { registration: { state: "pending", message: "busy" } } });
    expect(exchangeVerdict({ kind: "refused", status: 403, message: "no" }, "k", true)).toEqual({ verdict: { kind: "failed", message: "no" }, memory: { blockedRegistration: "k", registration: { state: "failed", message: "no" } } });
    expect(exchangeVerdict({ kind: "refused", status: 401, message: "no" }, "k", true)).toEqual({ verdict: { kind: "keep-credentials" }, memory: { blockedRegistration: "k" } });
  });
});

describe("rotationDue", () => {
  const credentials = { baseUrl: "https://cp", clusterId: "c-1", token: "t" };
  const driver = { running: true, rotating: false, paused: false };
  const now = new Date("2026-01-10T00:00:00Z");
  test("an unannounced keypair first, then the spec's request once per generation", () => {
    expect(rotationDue({ cluster: cluster({ rotateCredentials: true }), credentials, driver, now }, memory({ keypairAnnounced: false }))).toEqual({ trigger: "keypair", memory: { keypairAnnounced: true } });
    expect(rotationDue({ cluster: cluster({ rotateCredentials: true }), credentials, driver, now }, memory())).toEqual({ trigger: "spec", memory: { specRotationGeneration: 3 } });
    expect(rotationDue({ cluster: cluster({ rotateCredentials: true }), credentials, driver, now }, memory({ specRotationGeneration: 3 }))).toBeUndefined();
  });
  test("the last fifth of the token's lifetime, not before it and not after expiry", () => {
    const lifetime = (issuedAt: string, expiresAt: string) => ({ ...credentials, issuedAt, expiresAt });
    expect(rotationDue({ cluster: cluster(), credentials: lifetime("2026-01-01T00:00:00Z", "2026-01-11T00:00:00Z"), driver, now }, memory())?.trigger).toBe("expiry");
    expect(rotationDue({ cluster: cluster(), credentials: lifetime("2026-01-09T00:00:00Z", "2026-01-19T00:00:00Z"), driver, now }, memory())).toBeUndefined();
    expect(rotationDue({ cluster: cluster(), credentials: lifetime("2026-01-01T00:00:00Z", "2026-01-09T00:00:00Z"), driver, now }, memory())).toBeUndefined();
  });
  test("nothing while no driver runs, one rotates or it is paused", () => {
    for (const state of [{ ...driver, running: false }, { ...driver, rotating: true }, { ...driver, paused: true }]) {
      expect(rotationDue({ cluster: cluster({ rotateCredentials: true }), credentials, driver: state, now }, memory())).toBeUndefined();
    }
  });
});

describe("facts, warnings, transitions and the connectivity gauge", () => {
  test("a cluster id other than the registered one, and an expiry not covered by a rotation in flight", () => {
    const now = new Date("2026-02-01T00:00:00Z");
    const expired = { baseUrl: "https://cp", clusterId: "c-1", token: "t", expiresAt: "2026-01-01T00:00:00Z" };
    expect(Object.keys(credentialProblems(cluster({ clusterId: "c-2" }), expired, false, now))).toEqual(["mismatch", "expired"]);
    expect(credentialProblems(cluster({ clusterId: "c-1" }), expired, true, now)).toEqual({});
  });
  test("an inline token and a plain-HTTP endpoint are warned about once", () => {
    const inline = { ...token, source: "inline" } as const;
    const first = configurationWarnings("http://cp", { ok: true, tls: undefined, insecure: true }, inline, memory());
    expect(first.events.map((event) => event.reason)).toEqual(["DeprecatedField", "InsecureControlPlaneEndpoint"]);
    expect(configurationWarnings("http://cp", { ok: true, tls: undefined, insecure: true }, inline, memory(first.memory)).events).toEqual([]);
  });
  test("Disconnected and CredentialRejected transitions become events", () => {
    const set = (type: string, status: "True" | "False", reason: string): Condition => ({ type, status, reason, message: `${reason} message`, lastTransitionTime: "2026-01-01T00:00:00Z" });
    expect(transitionEvents([set("Disconnected", "False", "Connected")], [set("Disconnected", "True", "NoRecentRoundTrip")]).map((event) => event.reason)).toEqual(["Disconnected"]);
    expect(transitionEvents([set("Disconnected", "True", "NoRecentRoundTrip")], [set("Disconnected", "False", "Connected"), set("Authenticated", "False", "CredentialRejected")]).map((event) => event.reason)).toEqual(["Reconnected", "CredentialRejected"]);
  });
  test("connectivity_state: 1 connected without misses, 0 reconnecting or registering, -1 otherwise", () => {
    expect([connectivityState("Connected", 0), connectivityState("Connected", 1), connectivityState("Registering", 0), connectivityState("Error", 0)]).toEqual([1, 0, 0, -1]);
  });
});
