/** Conditions and phase per connectivity mode (docs/connectivity.md#push-mode, docs/connectivity.md#gitops-mode), pure. */
import { describe, expect, test } from "bun:test";
import { clusterStatus } from "../../../../src/controllers/cluster/status";
import { agentObservations, clusterFacts } from "./facts";

/** Accepted credentials and `misses` heartbeats missed in a row. */
function agent(misses: number) {
  return agentObservations({ heartbeat: { misses, lastMissTls: false, completed: true }, auth: { state: "accepted" } });
}

const facts = (overrides: Parameters<typeof clusterFacts>[0]) => clusterFacts({ agent: agent(0), ...overrides });

const without = { hasCredentials: false, tokenResolvable: false, agent: undefined } as const;
const conditionOf = (view: ReturnType<typeof clusterStatus>, type: string) => {
  const found = view.conditions.find((condition) => condition.type === type);
  return found && `${found.status}/${found.reason}`;
};

describe("Push mode", () => {
  test("without credentials: Active, Connected=Unknown and Disconnected=False with StatusChannelDisabled", () => {
    const view = clusterStatus(facts({ mode: "push", ...without }));
    expect(view.phase).toBe("Active");
    expect(conditionOf(view, "Connected")).toBe("Unknown/StatusChannelDisabled");
    expect(conditionOf(view, "Disconnected")).toBe("False/StatusChannelDisabled");
    expect(view.conditions.find((condition) => condition.type === "Authenticated")?.message).toContain("no status channel configured");
  });

  test("with a registration token but no credentials yet the channel is configured: Pending, RegistrationPending", () => {
    const view = clusterStatus(facts({ mode: "push", hasCredentials: false, agent: undefined }));
    expect(view.phase).toBe("Pending");
    expect(conditionOf(view, "Connected")).toBe("False/RegistrationPending");
  });

  test("with credentials the status channel behaves as in Pull: the 3rd miss disconnects", () => {
    expect(clusterStatus(facts({ mode: "push" })).phase).toBe("Connected");
    const third = clusterStatus(facts({ mode: "push", agent: agent(3) }));
    expect(third.phase).toBe("Disconnected");
    expect(conditionOf(third, "Disconnected")).toBe("True/NoRecentRoundTrip");
  });

  test("a failed credential still means Error", () => {
    expect(clusterStatus(facts({ mode: "push", expired: "expired" })).phase).toBe("Error");
  });
});

describe("GitOps mode", () => {
  test("Disconnected is always False/GitOpsMode; failed heartbeats only turn Connected False; phase Active", () => {
    for (const misses of [0, 3, 7]) {
      const view = clusterStatus(facts({ mode: "gitops", agent: agent(misses) }));
      expect(conditionOf(view, "Disconnected")).toBe("False/GitOpsMode");
      expect(view.phase).toBe("Active");
    }
    expect(conditionOf(clusterStatus(facts({ mode: "gitops", agent: agent(3) })), "Connected")).toBe("False/ControlPlaneUnreachable");
  });

  test("without credentials: Active, Connected=Unknown/StatusChannelDisabled, Disconnected=False/GitOpsMode", () => {
    const view = clusterStatus(facts({ mode: "gitops", ...without }));
    expect(view.phase).toBe("Active");
    expect(conditionOf(view, "Connected")).toBe("Unknown/StatusChannelDisabled");
    expect(conditionOf(view, "Disconnected")).toBe("False/GitOpsMode");
  });

  test("an unhealthy source shows in ControllersHealthy but leaves Disconnected and the phase alone", () => {
    const view = clusterStatus(facts({ mode: "gitops", controllersHealthy: { status: "False", reason: "GitRepositoryStalled", message: "auth failed" } }));
    expect(conditionOf(view, "ControllersHealthy")).toBe("False/GitRepositoryStalled");
    expect(conditionOf(view, "Disconnected")).toBe("False/GitOpsMode");
    expect(view.phase).toBe("Active");
  });
});

describe("Pull mode keeps needing credentials", () => {
  test("without credentials: Pending, CredentialMissing, never StatusChannelDisabled", () => {
    const view = clusterStatus(facts({ mode: "pull", ...without }));
    expect(view.phase).toBe("Pending");
    expect(conditionOf(view, "Connected")).toBe("False/CredentialMissing");
    expect(conditionOf(view, "Disconnected")).toBe("False/Connected");
  });
});
