/**
 * `vworkspace-operator register` (issue 5 item 6) against a running operator and the reference control plane:
 * it stores the token, creates the Cluster, prints progress and succeeds once registered; a second run with a
 * new token forces a re-exchange; bad usage exits 2; the token never reaches the output.
 */
import { describe, expect, test } from "bun:test";
import { main } from "../../../src/cli/main";
import { useNamespace } from "../../support/namespace";
import { getClusterObject, startAgent, useAgentSuite } from "../agent/harness";

const ns = useNamespace({ slug: "cluster-register" });
const suite = useAgentSuite();

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["register", ...args], { KUBECONFIG: suite.cluster.kubeconfigPath }, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("register", () => {
  test("registers through the running operator with progress output, and re-registers on demand", async () => {
    suite.running = await startAgent(suite.cluster, ns.name);
    const { token } = await suite.plane.admin.createRegistrationToken();
    const first = await run(["--token", token, "--control-plane-endpoint", suite.plane.url, "--namespace", ns.name, "--cluster-name", "vws-test", "--timeout", "60s"]);
    expect(first.code).toBe(0);
    expect(first.err).toContain("created Cluster vws-test");
    expect(first.err).toContain("phase ");
    expect(first.out).toMatch(/^registered: Cluster vws-test is (Connected|Registering) as cluster id \S+/);
    expect(first.out + first.err).not.toContain(token);
    const registered = await getClusterObject(suite.cluster.client);
    const firstId = registered!.spec.clusterId!;

    const { token: second } = await suite.plane.admin.createRegistrationToken(firstId);
    const again = await run(["--token", second, "--control-plane-endpoint", suite.plane.url, "--namespace", ns.name, "--cluster-name", "vws-test", "--timeout", "60s"]);
    expect(again.code).toBe(0);
    expect(again.err).toContain("requested a re-exchange");
    const after = await getClusterObject(suite.cluster.client);
    expect(after?.metadata.annotations?.["ops.vworkspace.io/rotate-credentials"]).toBeUndefined();
    expect(after?.spec.clusterId).toBe(firstId);
    expect(after?.status?.observedToken).not.toBe(registered?.status?.observedToken);
  });

  test("usage errors exit 2 without touching the cluster", async () => {
    expect((await run(["--control-plane-endpoint", suite.plane.url])).code).toBe(2);
    expect((await run(["--token", "x", "--control-plane-endpoint", "ftp://example"])).code).toBe(2);
    expect(await getClusterObject(suite.cluster.client)).toBeUndefined();
  });
});
