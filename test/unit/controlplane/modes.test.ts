/** The mode-aware plane's pure parts: what a job means for a cluster it writes itself, and what a mode request stores. */
import { describe, expect, test } from "bun:test";
import { connectivityFor, ConnectivityRequestError, connectivitySummary } from "../../../src/controlplane/connectivity-api";
import { directWriteOf } from "../../../src/controlplane/direct-write";
import { withoutCredentials } from "../../../src/controlplane/git";
import { pullConnectivity } from "../../../src/controlplane/store/connectivity";
import { renderPushKubeconfig } from "../../../src/push/kubeconfig";

const instance = { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", metadata: { name: "shop", namespace: "tenant-a", labels: { team: "x", "app.vworkspace.io/cluster-id": "forged" } }, spec: { appRef: { catalogId: "c" } } };
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const kubeconfig = renderPushKubeconfig({ server: "https://127.0.0.1:6443", caPem: CA, token: "secret-token-value", contextName: "vws" });

describe("directWriteOf", () => {
  test("an apply of an ApplicationInstance is stamped with the control-plane labels over its own", () => {
    const write = directWriteOf("apply", instance, "edge-1");
    expect(write.action).toBe("apply");
    if (write.action !== "apply") return;
    expect(write.type.plural).toBe("applicationinstances");
    expect(write.object.metadata.labels).toEqual({ team: "x", "app.vworkspace.io/managed-by": "control-plane", "app.vworkspace.io/cluster-id": "edge-1" });
  });

  test("the typed intents pin their kind; delete-application-instance becomes a delete", () => {
    const { apiVersion: _a, kind: _k, ...untyped } = instance;
    const ensured = directWriteOf("intent", { intent: "ensure-application-instance", applicationInstance: untyped }, "edge-1");
    expect(ensured.action === "apply" && ensured.object.kind).toBe("ApplicationInstance");
    expect(directWriteOf("intent", { intent: "delete-application-instance", name: "shop", namespace: "tenant-a" }, "edge-1")).toEqual({
      action: "delete",
      type: expect.objectContaining({ plural: "applicationinstances" }),
      ref: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", namespace: "tenant-a", name: "shop" },
    });
  });

  test("kinds outside ApplicationInstance and Operation, a missing namespace and rotation are refused with wire codes", () => {
    const refusal = (kind: string, payload: unknown) => {
      const write = directWriteOf(kind, payload, "edge-1");
      return write.action === "refuse" ? write.refusal.code : write.action;
    };
    expect(refusal("apply", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "tenant-a" } })).toBe("KindNotAllowed");
    expect(refusal("delete", { apiVersion: "v1", kind: "Secret", name: "x", namespace: "tenant-a" })).toBe("KindNotAllowed");
    expect(refusal("apply", { ...instance, metadata: { name: "shop" } })).toBe("InvalidPayload");
    expect(refusal("intent", { intent: "rotate-operator-credentials" })).toBe("UnsupportedIntent");
    expect(refusal("launch", {})).toBe("UnsupportedJobKind");
  });
});

describe("connectivityFor", () => {
  const current = pullConnectivity("edge-1");

  test("push keeps the kubeconfig and watches status when no agent token exists, else listens for events", () => {
    expect(connectivityFor("edge-1", { mode: "push", kubeconfig }, current, false)).toMatchObject({ mode: "push", statusSource: "watch", pushKubeconfig: kubeconfig });
    expect(connectivityFor("edge-1", { mode: "push", kubeconfig }, current, true).statusSource).toBe("events");
  });

  test("back to pull drops the kubeconfig; gitops defaults the branch to main", () => {
    const push = connectivityFor("edge-1", { mode: "push", kubeconfig }, current, false);
    expect(connectivityFor("edge-1", { mode: "pull" }, push, true)).toEqual(pullConnectivity("edge-1"));
    expect(connectivityFor("edge-1", { mode: "gitops", gitops: { remote: "/srv/git/fleet.git" } }, current, false).gitops).toEqual({ remote: "/srv/git/fleet.git", branch: "main" });
  });

  test("what a mode cannot use is refused, and an unreadable kubeconfig is named without its content", () => {
    expect(() => connectivityFor("edge-1", { mode: "push" }, current, false)).toThrow(ConnectivityRequestError);
    expect(() => connectivityFor("edge-1", { mode: "gitops", statusSource: "watch", gitops: { remote: "/r" } }, current, false)).toThrow("status channel");
    expect(() => connectivityFor("edge-1", { mode: "pull", kubeconfig }, current, false)).toThrow("no kubeconfig");
    const broken = kubeconfig.replace("https://", "ftp://");
    const error = (() => {
      try {
        connectivityFor("edge-1", { mode: "push", kubeconfig: broken }, current, false);
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(error).toContain("not an http(s) URL");
    expect(error).not.toContain("secret-token-value");
  });

  test("the summary shows the API server and the remote without credentials, never the kubeconfig", () => {
    const push = connectivitySummary(connectivityFor("edge-1", { mode: "push", kubeconfig }, current, false));
    expect(push).toEqual({ mode: "push", statusSource: "watch", push: { server: "https://127.0.0.1:6443" }, gitops: null });
    const gitops = connectivitySummary(connectivityFor("edge-1", { mode: "gitops", gitops: { remote: "https://bot:pat123@git.example/fleet.git", branch: "prod" } }, current, false));
    expect(gitops.gitops).toEqual({ remote: "https://git.example/fleet.git", branch: "prod", path: "./clusters/edge-1" });
    expect(JSON.stringify(gitops)).not.toContain("pat123");
    expect(withoutCredentials("/srv/git/fleet.git")).toBe("/srv/git/fleet.git");
  });
});
