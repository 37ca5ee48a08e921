/**
 * `control-plane demo` end to end on a private API server (it owns the cluster-scoped Cluster object there, so it
 * cannot disturb the shared cluster): registers, deploys through a signed and encrypted intent, cleans up.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { CLUSTER } from "../../../src/api/groups";
import { main } from "../../../src/cli/main";
import { SECRET } from "../../../src/controllers/cluster/secrets";
import { startPrivatePlane, type PrivatePlane } from "../../support/private-plane";

let plane: PrivatePlane;
beforeAll(async () => {
  plane = await startPrivatePlane("cp-demo");
}, 120_000);
afterAll(() => plane?.stop());

test("the demo registers the cluster, deploys an instance, and removes what it created", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["control-plane", "demo", `--kubeconfig=${plane.kubeconfigPath}`, "--timeout=60s", "--log-level=error"], {}, {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  });
  expect(err.filter((line) => line.startsWith("demo failed"))).toEqual([]);
  expect(code).toBe(0);
  const transcript = out.join("\n");
  expect(transcript).toContain("phase Connected");
  expect(transcript).toContain("(signed, encrypted)");
  const result = JSON.parse((out.find((line) => line.startsWith("• result: ")) as string).slice("• result: ".length));
  expect(result).toMatchObject({ outcome: "succeeded", appliedRef: { kind: "ApplicationInstance", namespace: "vworkspace-demo", name: "demo-podinfo" } });
  expect(transcript).toContain("delete-application-instance: succeeded");
  expect((await plane.client.list(CLUSTER)).items).toEqual([]);
  expect((await plane.client.list(SECRET, { namespace: "vworkspace-system" })).items.map((item) => item.metadata.name)).not.toContain("vworkspace-demo-registration");
}, 300_000);
