/**
 * The compiled binary with its admission webhook on (the default), scoped to this test's namespace: it
 * issues its own certificate, registers the configuration, denies through the real API server with the
 * spec's message, admits and reconciles a valid instance, and while it is stopped `failurePolicy: Fail`
 * refuses writes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { freePort } from "../../scripts/lib/ports";
import { APPLICATION_INSTANCE } from "../../src/api/groups";
import { HELM_RELEASE } from "../../src/flux/types";
import type { KubeObject } from "../../src/kube/types";
import { VALIDATING_WEBHOOK_CONFIGURATION } from "../../src/webhook/configuration";
import { getCluster, REPO_ROOT, testRunId, type TestCluster } from "../support/cluster";
import { eventually } from "../support/eventually";
import { TEST_LABEL, useNamespace } from "../support/namespace";
import { startOperatorBinary, type BinaryOperator } from "../support/operator";

const SLUG = "e2e-webhook";
const ns = useNamespace({ slug: SLUG });
const configName = `vws-test-${testRunId()}-${SLUG}`;
let cluster: TestCluster;
let operator: BinaryOperator | undefined;

beforeAll(async () => {
  cluster = await getCluster();
});

afterAll(async () => {
  await operator?.kill();
  await cluster.client.delete(VALIDATING_WEBHOOK_CONFIGURATION, configName).catch(() => undefined);
});

function instance(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name, namespace: ns.name, labels },
    spec: {
      appRef: { catalogId: "demo" },
      chart: { sourceType: "helm", url: "https://charts.example.com", name: "demo", version: "1.0.0" },
      release: { name, namespace: ns.name },
      values: { source: "inline", inline: { a: 1 } },
    },
  };
}

const rejection = (write: Promise<unknown>) => write.then(() => "", (err: Error) => err.message);

describe("the binary's admission webhook", () => {
  test("certificate, registration, denial with the spec's message, admission, and Fail while stopped", async () => {
    const port = await freePort();
    operator = await startOperatorBinary({
      args: [
        `--kubeconfig=${cluster.kubeconfigPath}`,
        `--namespace=${ns.name}`,
        `--watch-namespaces=${ns.name}`,
        "--cluster-id=c-e2e",
        "--webhooks-enabled=true",
        "--webhook-host=127.0.0.1",
        `--webhook-port=${port}`,
        "--webhook-url-host=127.0.0.1",
        `--webhook-config-name=${configName}`,
        `--webhook-namespace-selector=${TEST_LABEL}=${SLUG}`,
      ],
      logFile: join(REPO_ROOT, ".local/test-logs/e2e-webhook/operator.log"),
    });
    expect(await (await fetch(`${operator.healthUrl}/readyz?verbose`)).text()).toContain("[+]webhook ok");

    // Configurations take effect asynchronously (docs/development.md#admission-webhooks-through-the-real-api-server): wait for our denial.
    const denied = await eventually(async () => {
      const message = await rejection(cluster.client.create(APPLICATION_INSTANCE, instance("probe", { "app.vworkspace.io/cluster-id": "other" }), { dryRun: true }));
      return message.includes("vapplicationinstance.kb.io") ? message : undefined;
    }, { what: "the webhook denies a cluster-id mismatch" });
    expect(denied).toContain('label app.vworkspace.io/cluster-id="other" does not match this cluster "c-e2e"');

    await cluster.client.create(APPLICATION_INSTANCE, instance("shop"));
    await eventually(() => cluster.client.get(HELM_RELEASE, "shop", { namespace: ns.name }).catch(() => undefined), { what: "HelmRelease from the binary" });
    // Finalizer removal is an UPDATE through the webhook: delete while the binary still serves.
    await cluster.client.delete(APPLICATION_INSTANCE, "shop", { namespace: ns.name });
    await eventually(async () => (await cluster.client.get(APPLICATION_INSTANCE, "shop", { namespace: ns.name }).catch(() => undefined)) === undefined, { what: "instance finalized" });

    expect(await operator.stop()).toBe(0);
    operator = undefined;
    const refused = await rejection(cluster.client.create(APPLICATION_INSTANCE, instance("while-down"), { dryRun: true }));
    expect(refused).toContain('failed calling webhook "vapplicationinstance.kb.io"');
  });
});
