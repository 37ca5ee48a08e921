/**
 * Flux installed after the operator (docs/applications.md#reconcile-flow step 8): on a private control plane that serves only our
 * CRDs, an instance is Blocked/MissingDependencies; once Flux's CRDs are installed it proceeds on its own,
 * with no edit to the instance and no operator restart.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { APPLICATION_INSTANCE } from "../../src/api/groups";
import { applicationInstanceController } from "../../src/controllers/applicationinstance/controller";
import { HELM_RELEASE } from "../../src/flux/types";
import { applyObject } from "../../src/kube/apply";
import type { KubeObject, ResourceType } from "../../src/kube/types";
import { CRD_TYPE, crdEstablished } from "../../src/manager/crds";
import { REPO_ROOT } from "../support/cluster";
import { thirdPartyCrds } from "../support/crds";
import { eventually } from "../support/eventually";
import { startOperatorInProcess, type InProcessOperator } from "../support/operator";
import { startPrivatePlane, type PrivatePlane } from "../support/private-plane";

const NAMESPACES: ResourceType = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const NAMESPACE = "late-flux";
let plane: PrivatePlane;
let operator: InProcessOperator;

beforeAll(async () => {
  plane = await startPrivatePlane("flux-late");
  await plane.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE, labels: { "managed-by": "vworkspace" } } });
  operator = await startOperatorInProcess({ kubeconfigPath: plane.kubeconfigPath, config: { watchNamespaces: [NAMESPACE], dependencyRecheckMs: 1_000 }, controllers: [applicationInstanceController] });
});

afterAll(async () => {
  await operator?.stop();
  await plane?.stop();
});

const summary = (object: KubeObject | undefined, type: string) => {
  const found = (object?.status as { conditions?: Array<{ type: string; status: string; reason: string }> } | undefined)?.conditions?.find((c) => c.type === type);
  return found && `${found.status}/${found.reason}`;
};

test("an instance blocked on missing Flux APIs proceeds once Flux's CRDs are installed", async () => {
  await plane.client.create(APPLICATION_INSTANCE, {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name: "early", namespace: NAMESPACE },
    spec: {
      appRef: { catalogId: "demo" },
      chart: { sourceType: "helm", url: "https://charts.example.com", name: "demo", version: "1.0.0" },
      release: { name: "early", namespace: NAMESPACE },
      values: { source: "inline", inline: { a: 1 } },
    },
  });
  const get = () => plane.client.get(APPLICATION_INSTANCE, "early", { namespace: NAMESPACE });
  const blocked = await eventually(async () => (summary(await get(), "Blocked") === "True/MissingDependencies" ? get() : undefined), { what: "Blocked/MissingDependencies" });

  const flux = thirdPartyCrds(REPO_ROOT).filter((crd) => crd.metadata.name.endsWith(".toolkit.fluxcd.io"));
  for (const crd of flux) await applyObject(plane.client, CRD_TYPE, crd, { fieldManager: "vws-tests", force: true });
  for (const crd of flux) await eventually(async () => crdEstablished(await plane.client.get(CRD_TYPE, crd.metadata.name)), { what: `CRD ${crd.metadata.name} Established` });

  const released = await eventually(async () => (summary(await get(), "Blocked") === "False/Unblocked" ? get() : undefined), { what: "unblocked after Flux appeared", timeoutMs: 60_000 });
  expect(summary(released, "Ready")).toBe("Unknown/Reconciling");
  expect(released.metadata.generation).toBe(blocked.metadata.generation);
  expect((await plane.client.get(HELM_RELEASE, "early", { namespace: NAMESPACE })).metadata.labels?.["app.vworkspace.io/application-instance"]).toBe("early");
});
