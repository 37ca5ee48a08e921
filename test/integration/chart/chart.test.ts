/**
 * The Helm chart, rendered by the real `helm template` and checked against the operator's own code: the
 * Deployment's args parse as `run` flags, the webhook configuration equals what the operator renders, the
 * cert-manager objects write the Secret the operator reads with the names it serves, and every object the
 * chart renders (cert-manager's aside: no CRDs here) passes a server-side dry run on the real API server.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { parseFlags } from "../../../src/commandline/flags";
import { applyObject } from "../../../src/kube/apply";
import type { KubeObject, ResourceType } from "../../../src/kube/types";
import { configFromFlags, RUN_FLAGS } from "../../../src/manager/config";
import { servingNames } from "../../../src/webhook/certificates";
import { DEFAULT_WEBHOOK_CONFIG } from "../../../src/webhook/config";
import { renderConfiguration } from "../../../src/webhook/configuration";
import { operatorWebhooks } from "../../../src/webhook/registry";
import { getCluster, type TestCluster } from "../../support/cluster";
import { findRendered, helmTemplate } from "../../support/chart";
import { useNamespace } from "../../support/namespace";

const ns = useNamespace({ slug: "chart" });
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await getCluster();
});

const TYPES: Record<string, ResourceType> = {
  ServiceAccount: { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  Service: { group: "", version: "v1", kind: "Service", plural: "services", namespaced: true },
  Deployment: { group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true },
  ClusterRole: { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false },
  ClusterRoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false },
  Role: { group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true },
  RoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true },
  ValidatingWebhookConfiguration: { group: "admissionregistration.k8s.io", version: "v1", kind: "ValidatingWebhookConfiguration", plural: "validatingwebhookconfigurations", namespaced: false },
  NetworkPolicy: { group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy", plural: "networkpolicies", namespaced: true },
};

describe("Helm chart", () => {
  test("the Deployment's args are valid run flags with the webhook on in self-signed mode", () => {
    const { objects, exitCode, stderr } = helmTemplate(ns.name);
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    const deployment = findRendered(objects, "Deployment") as KubeObject & { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
    const [command, ...args] = deployment.spec.template.spec.containers[0]!.args;
    expect(command).toBe("run");
    const config = configFromFlags(parseFlags(args, RUN_FLAGS, { POD_NAMESPACE: ns.name }));
    expect(config.webhook).toMatchObject({ enabled: true, port: 9443, certMode: "self-signed" });
    expect(config.namespace).toBe(ns.name);
    expect(config.leaderElect).toBe(true);
  });

  test("the webhook configuration is the one the operator renders, pointing at the chart's Service", () => {
    const { objects } = helmTemplate(ns.name);
    const service = findRendered(objects, "Service", DEFAULT_WEBHOOK_CONFIG.serviceName) as KubeObject & { spec: { ports: Array<{ name: string; port: number; targetPort: string }> } };
    expect(service.spec.ports).toEqual([{ name: "webhook", port: 443, targetPort: "webhook" }]);
    const rendered = findRendered(objects, "ValidatingWebhookConfiguration", DEFAULT_WEBHOOK_CONFIG.configName) as KubeObject & { webhooks: unknown[] };
    const ours = renderConfiguration({
      name: DEFAULT_WEBHOOK_CONFIG.configName,
      webhooks: operatorWebhooks(ns.name),
      endpoint: { service: { name: DEFAULT_WEBHOOK_CONFIG.serviceName, namespace: ns.name, port: 443 } },
      caPem: "",
    }) as KubeObject & { webhooks: Array<{ clientConfig: Record<string, unknown> }> };
    const withoutCaBundle = ours.webhooks.map(({ clientConfig: { caBundle: _caBundle, ...clientConfig }, ...webhook }) => ({ ...webhook, clientConfig }));
    expect(rendered.webhooks).toEqual(withoutCaBundle);
    expect(rendered.metadata.annotations).toBeUndefined();
  });

  test("cert-manager mode: the Certificate writes the operator's Secret with its serving names, and caBundle is injected", () => {
    const { objects } = helmTemplate(ns.name, "webhooks.certMode=cert-manager");
    const certificate = findRendered(objects, "Certificate", "vworkspace-operator-webhook") as KubeObject & { spec: { secretName: string; dnsNames: string[]; issuerRef: { name: string } } };
    expect(certificate.spec.secretName).toBe(DEFAULT_WEBHOOK_CONFIG.certSecret);
    expect(certificate.spec.dnsNames).toEqual([...servingNames(DEFAULT_WEBHOOK_CONFIG.serviceName, ns.name, []).dns]);
    expect(findRendered(objects, "Issuer", certificate.spec.issuerRef.name)).toBeDefined();
    const configuration = findRendered(objects, "ValidatingWebhookConfiguration");
    expect(configuration.metadata.annotations).toEqual({ "cert-manager.io/inject-ca-from": `${ns.name}/vworkspace-operator-webhook` });
  });

  test("external mode needs caBundle and writes it into every webhook; an unknown mode is refused", () => {
    const missing = helmTemplate(ns.name, "webhooks.certMode=external");
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain("webhooks.certMode=external needs webhooks.caBundle");
    const bundle = Buffer.from("-----BEGIN CERTIFICATE-----\n").toString("base64");
    const { objects } = helmTemplate(ns.name, "webhooks.certMode=external", `webhooks.caBundle=${bundle}`);
    const configuration = findRendered(objects, "ValidatingWebhookConfiguration") as KubeObject & { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
    expect(configuration.webhooks.map((webhook) => webhook.clientConfig.caBundle)).toEqual(operatorWebhooks(ns.name).map(() => bundle));
    expect(helmTemplate(ns.name, "webhooks.certMode=vault").stderr).toContain("webhooks.certMode must be self-signed, cert-manager or external");
  });

  test("webhooks off: no Service, no configuration, no access to the certificate Secret, and the flag says so", () => {
    const { objects } = helmTemplate(ns.name, "webhooks.enabled=false");
    expect(objects.filter((object) => object.kind === "Service" || object.kind === "ValidatingWebhookConfiguration")).toEqual([]);
    expect(JSON.stringify(findRendered(objects, "Role"))).not.toContain(DEFAULT_WEBHOOK_CONFIG.certSecret);
    const deployment = JSON.stringify(findRendered(objects, "Deployment"));
    expect(deployment).toContain("--webhooks-enabled=false");
    expect(deployment).not.toContain("--webhook-port");
  });

  test("every object the chart renders passes a server-side dry run", async () => {
    const { objects } = helmTemplate(ns.name);
    expect([...new Set(objects.map((object) => object.kind))].sort()).toEqual(Object.keys(TYPES).sort());
    for (const object of objects) {
      const type = TYPES[object.kind]!;
      const body = type.namespaced ? { ...object, metadata: { ...object.metadata, namespace: ns.name } } : object;
      const accepted = await applyObject(cluster.client, type, body, { fieldManager: "vws-chart-test", dryRun: true });
      expect(accepted.metadata.name).toBe(object.metadata.name);
    }
  });
});
