import { describe, expect, test } from "bun:test";
import YAML from "yaml";
import { defaultContextName, renderPushKubeconfig, verificationNamespace } from "../../../src/push/kubeconfig";

describe("renderPushKubeconfig", () => {
  test("one cluster, one token-only user, one context, current-context set; the CA base64-embedded", () => {
    const text = renderPushKubeconfig({ server: "https://10.0.0.1:6443", caPem: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n", token: "t0k", contextName: "vworkspace-c1" });
    expect(YAML.parse(text)).toEqual({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "vworkspace-c1", cluster: { server: "https://10.0.0.1:6443", "certificate-authority-data": Buffer.from("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n").toString("base64") } }],
      users: [{ name: "vworkspace-c1", user: { token: "t0k" } }],
      contexts: [{ name: "vworkspace-c1", context: { cluster: "vworkspace-c1", user: "vworkspace-c1" } }],
      "current-context": "vworkspace-c1",
    });
  });

  test('the default name is vworkspace-<cluster id>, or vworkspace-cluster without one', () => {
    expect(defaultContextName("prod-1")).toBe("vworkspace-prod-1");
    expect(defaultContextName("")).toBe("vworkspace-cluster");
  });
});

describe("verificationNamespace", () => {
  const gated = { "managed-by": "vworkspace" };
  test("a gated namespace that binds the ServiceAccount wins over earlier gated ones", () => {
    expect(
      verificationNamespace([
        { name: "a", labels: gated, bindsServiceAccount: false },
        { name: "z", labels: gated, bindsServiceAccount: true },
        { name: "b", labels: {}, bindsServiceAccount: true },
      ]),
    ).toBe("z");
  });

  test("without a binding the first gated namespace by name, so the check fails with Forbidden there", () => {
    expect(verificationNamespace([{ name: "m", labels: { "app.vworkspace.io/managed-by": "vworkspace" }, bindsServiceAccount: false }, { name: "c", labels: gated, bindsServiceAccount: false }])).toBe("c");
  });

  test("an ungated cluster has none", () => {
    expect(verificationNamespace([{ name: "default", bindsServiceAccount: false }, { name: "x", labels: { "managed-by": "other" }, bindsServiceAccount: true }])).toBeUndefined();
  });
});
