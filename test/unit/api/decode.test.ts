import { describe, expect, test } from "bun:test";
import { decodeApplicationInstance } from "../../../src/api/applicationinstance";
import { decodeCluster } from "../../../src/api/cluster";
import { formatDecodeIssues, type DecodeIssue, type DecodeResult } from "../../../src/api/decode";
import { decodeOperation, isTerminalPhase } from "../../../src/api/operation";
import { applicationInstanceObject, clusterObject, operationObject, readyCondition } from "./fixtures";

function valueOf<T>(result: DecodeResult<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${formatDecodeIssues(result.issues)}`);
  return result.value;
}

function issuesOf(result: DecodeResult<unknown>): readonly DecodeIssue[] {
  if (result.ok) throw new Error("expected decode to fail");
  return result.issues;
}

function pathsOf(result: DecodeResult<unknown>): string[] {
  return issuesOf(result).map((issue) => issue.path);
}

describe("decodeApplicationInstance", () => {
  test("accepts a full managed instance with status and keeps inline values verbatim", () => {
    const input = applicationInstanceObject(
      {},
      {
        observedGeneration: 3,
        conditions: [readyCondition],
        helmReleaseRef: { name: "shop", namespace: "team-a" },
        lastAppliedChart: { sourceType: "helm", url: "https://charts.example.com", name: "odoo", version: "1.2.3" },
        lastReconcileTime: "2026-01-02T03:04:05.123Z",
        endpoints: [{ name: "web", url: "https://shop.example.com" }],
      },
    );
    const ai = valueOf(decodeApplicationInstance(input));
    expect(ai.spec.values?.inline).toEqual({ replicas: 2, nested: { list: [1, "a"] } });
    expect(ai.status?.conditions?.[0]).toEqual(readyCondition as never);
    expect(ai.metadata.labels).toEqual({ "app.vworkspace.io/cluster-id": "c1" });
  });

  test("applies the CRD defaults mode=managed and suspend=false", () => {
    const input = applicationInstanceObject();
    delete (input.spec as Record<string, unknown>).mode;
    delete (input.spec as Record<string, unknown>).suspend;
    const ai = valueOf(decodeApplicationInstance(input));
    expect(ai.spec.mode).toBe("managed");
    expect(ai.spec.suspend).toBe(false);
  });

  test("accepts a placeholder with only appRef", () => {
    const input = applicationInstanceObject();
    input.spec = { appRef: { catalogId: "odoo" }, mode: "placeholder" } as never;
    expect(valueOf(decodeApplicationInstance(input)).spec.mode).toBe("placeholder");
  });

  test.each(["1.2.3", "v1.2.3", "1.2.3-rc.1", "1.2.3+build.1", "0.0.0-alpha-1.0+sha.5114f85"])(
    "accepts chart version %s",
    (version) => {
      const chart = { sourceType: "oci", url: "oci://ghcr.io/org/charts", name: "app", version };
      expect(decodeApplicationInstance(applicationInstanceObject({ chart })).ok).toBe(true);
    },
  );

  test.each(["latest", "^1.2.3", "~1.2", "1.2", "01.2.3", "1.2.3-01", ">=1.0.0", "V1.2.3", "1.2.3 "])(
    "rejects chart version %s at spec.chart.version",
    (version) => {
      const chart = { sourceType: "helm", url: "https://x", name: "app", version };
      const result = decodeApplicationInstance(applicationInstanceObject({ chart }));
      expect(pathsOf(result)).toEqual(["spec.chart.version"]);
      expect(formatDecodeIssues(issuesOf(result))).toBe(
        'spec.chart.version: must be an exact semantic version (no ranges, no "latest")',
      );
    },
  );

  const chart = { sourceType: "helm", url: "https://x", name: "app", version: "1.0.0" };
  test.each<[string, Record<string, unknown>, string]>([
    ["missing appRef", { appRef: undefined }, "spec.appRef"],
    ["empty catalogId", { appRef: { catalogId: "" } }, "spec.appRef.catalogId"],
    ["catalogId over 253", { appRef: { catalogId: "x".repeat(254) } }, "spec.appRef.catalogId"],
    ["unknown mode", { mode: "paused" }, "spec.mode"],
    ["non-boolean suspend", { suspend: "yes" }, "spec.suspend"],
    ["unknown sourceType", { chart: { ...chart, sourceType: "git" } }, "spec.chart.sourceType"],
    ["empty url", { chart: { ...chart, url: "" } }, "spec.chart.url"],
    ["url over 2048", { chart: { ...chart, url: `https://${"x".repeat(2048)}` } }, "spec.chart.url"],
    ["chart name with slash", { chart: { ...chart, name: "org/app" } }, "spec.chart.name"],
    ["chart name with space", { chart: { ...chart, name: "my app" } }, "spec.chart.name"],
    ["chart without version", { chart: { ...chart, version: undefined } }, "spec.chart.version"],
    ["release name upper case", { release: { name: "Shop", namespace: "team-a" } }, "spec.release.name"],
    ["release name over 53", { release: { name: "a".repeat(54), namespace: "team-a" } }, "spec.release.name"],
    ["release namespace over 63", { release: { name: "shop", namespace: "a".repeat(64) } }, "spec.release.namespace"],
    ["release without namespace", { release: { name: "shop" } }, "spec.release.namespace"],
    ["unknown values source", { values: { source: "file" } }, "spec.values.source"],
    ["inline not an object", { values: { source: "inline", inline: "a: b" } }, "spec.values.inline"],
    ["secretRef without key", { values: { source: "secretRef", secretRef: { name: "s" } } }, "spec.values.secretRef.key"],
    ["configMapRef empty name", { values: { source: "configMapRef", configMapRef: { name: "", key: "k" } } }, "spec.values.configMapRef.name"],
    ["ingress host not a string", { integrations: { ingress: { host: 1 } } }, "spec.integrations.ingress.host"],
  ])("rejects %s", (_name, patch, path) => {
    expect(pathsOf(decodeApplicationInstance(applicationInstanceObject(patch)))).toEqual([path]);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["condition status", { conditions: [{ ...readyCondition, status: "Maybe" }] }, "status.conditions[0].status"],
    ["condition reason", { conditions: [{ ...readyCondition, reason: "not a reason" }] }, "status.conditions[0].reason"],
    ["empty condition reason", { conditions: [{ ...readyCondition, reason: "" }] }, "status.conditions[0].reason"],
    ["condition time", { conditions: [{ ...readyCondition, lastTransitionTime: "yesterday" }] }, "status.conditions[0].lastTransitionTime"],
    ["negative observedGeneration", { conditions: [{ ...readyCondition, observedGeneration: -1 }] }, "status.conditions[0].observedGeneration"],
    ["fractional observedGeneration", { observedGeneration: 1.5 }, "status.observedGeneration"],
    ["condition without message", { conditions: [{ ...readyCondition, message: undefined }] }, "status.conditions[0].message"],
    ["helmReleaseRef without namespace", { helmReleaseRef: { name: "shop" } }, "status.helmReleaseRef.namespace"],
  ])("rejects status with invalid %s", (_name, status, path) => {
    expect(pathsOf(decodeApplicationInstance(applicationInstanceObject({}, status)))).toEqual([path]);
  });

  test("reports missing keys as required", () => {
    const result = decodeApplicationInstance(applicationInstanceObject({ appRef: undefined }));
    expect(issuesOf(result)).toEqual([{ path: "spec.appRef", message: "is required" }]);
  });

  test("rejects the wrong kind, a missing name and a non-object without throwing", () => {
    expect(pathsOf(decodeApplicationInstance({ ...applicationInstanceObject(), kind: "Operation" }))).toEqual(["kind"]);
    expect(pathsOf(decodeApplicationInstance({ ...applicationInstanceObject(), metadata: {} }))).toEqual(["metadata.name"]);
    expect(pathsOf(decodeApplicationInstance(null))).toEqual([""]);
  });

  test("renders label keys in brackets", () => {
    const input = applicationInstanceObject();
    input.metadata.labels = { "app.kubernetes.io/name": 1 } as never;
    expect(pathsOf(decodeApplicationInstance(input))).toEqual(["metadata.labels[app.kubernetes.io/name]"]);
  });
});

describe("decodeOperation", () => {
  test("accepts a running Operation with parameters and string outputs", () => {
    const op = valueOf(
      decodeOperation(
        operationObject(
          { parameters: { ttl: "720h", includedResources: ["pods"] }, approvals: { required: true, claim: "vws1.a.b" }, timeoutSeconds: 600 },
          {
            phase: "Running",
            startedAt: "2026-01-02T03:04:05Z",
            engineRef: { kind: "Backup", name: "backup-1-abc", namespace: "velero" },
            logsRef: { kind: "Job", name: "j", namespace: "team-a", url: "" },
            outputs: { backupName: "backup-1-abc" },
            conditions: [{ ...readyCondition, type: "Running", reason: "VeleroBackupInProgress" }],
          },
        ),
      ),
    );
    expect(op.spec.parameters).toEqual({ ttl: "720h", includedResources: ["pods"] });
    expect(op.status?.outputs).toEqual({ backupName: "backup-1-abc" });
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["unknown type", { type: "Delete" }, "spec.type"],
    ["unknown engine", { engine: "rsync" }, "spec.engine"],
    ["missing targetRef", { targetRef: undefined }, "spec.targetRef"],
    ["empty target name", { targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "" } }, "spec.targetRef.name"],
    ["timeout 0", { timeoutSeconds: 0 }, "spec.timeoutSeconds"],
    ["timeout over a week", { timeoutSeconds: 604801 }, "spec.timeoutSeconds"],
    ["claim over 4096", { approvals: { claim: "x".repeat(4097) } }, "spec.approvals.claim"],
    ["parameters not an object", { parameters: ["a"] }, "spec.parameters"],
  ])("rejects %s", (_name, patch, path) => {
    expect(pathsOf(decodeOperation(operationObject(patch)))).toEqual([path]);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["phase", { phase: "Done" }, "status.phase"],
    ["non-string output", { outputs: { count: 3 } }, "status.outputs"],
    ["startedAt", { startedAt: "now" }, "status.startedAt"],
  ])("rejects status with invalid %s", (_name, status, path) => {
    expect(pathsOf(decodeOperation(operationObject({}, status)))).toEqual([path]);
  });
});

test("terminal phases are Succeeded, Failed and Cancelled", () => {
  expect([undefined, "Pending", "Running", "Succeeded", "Failed", "Cancelled"].map((phase) => isTerminalPhase(phase as never)))
    .toEqual([false, false, false, true, true, true]);
});

describe("decodeCluster", () => {
  test("a Cluster without spec gets every default", () => {
    expect(valueOf(decodeCluster(clusterObject())).spec).toEqual({
      connectivityMode: "pull",
      heartbeatIntervalSeconds: 30,
      security: {
        payloadSigning: { mode: "warn", maxAgeSeconds: 86400, clockSkewSeconds: 60 },
        payloadEncryption: { mode: "disabled" },
      },
    });
  });

  test("a Go-era Cluster manifest decodes unchanged plus defaults", () => {
    const goSpec = {
      clusterId: "4f1c",
      controlPlaneEndpoint: "https://cp.example.com/",
      registrationTokenSecretRef: { name: "reg" },
      capabilities: { flux: true, velero: false },
      rotateCredentials: false,
    };
    const spec = valueOf(decodeCluster(clusterObject(goSpec))).spec;
    expect(spec).toMatchObject({ ...goSpec, registrationTokenSecretRef: { name: "reg", key: "registrationToken" } });
  });

  test("defaults secret keys inside security", () => {
    const security = {
      caBundleSecretRef: { name: "ca" },
      payloadSigning: { mode: "enforce", trustedKeysSecretRef: { name: "jwks" } },
      mtls: { secretRef: { name: "client-tls" } },
    };
    const spec = valueOf(decodeCluster(clusterObject({ security }))).spec;
    expect(spec.security.caBundleSecretRef).toEqual({ name: "ca", key: "ca.crt" });
    expect(spec.security.payloadSigning.trustedKeysSecretRef).toEqual({ name: "jwks", key: "jwks.json" });
    expect(spec.security.payloadSigning.mode).toBe("enforce");
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["connectivityMode foo", { connectivityMode: "foo" }, "spec.connectivityMode"],
    ["heartbeat 5", { heartbeatIntervalSeconds: 5 }, "spec.heartbeatIntervalSeconds"],
    ["heartbeat 601", { heartbeatIntervalSeconds: 601 }, "spec.heartbeatIntervalSeconds"],
    ["signing mode strict", { security: { payloadSigning: { mode: "strict" } } }, "spec.security.payloadSigning.mode"],
    ["maxAgeSeconds 59", { security: { payloadSigning: { maxAgeSeconds: 59 } } }, "spec.security.payloadSigning.maxAgeSeconds"],
    ["clockSkewSeconds 601", { security: { payloadSigning: { clockSkewSeconds: 601 } } }, "spec.security.payloadSigning.clockSkewSeconds"],
    ["encryption mode on", { security: { payloadEncryption: { mode: "on" } } }, "spec.security.payloadEncryption.mode"],
    ["ftp endpoint", { controlPlaneEndpoint: "ftp://cp" }, "spec.controlPlaneEndpoint"],
    ["token ref without name", { registrationTokenSecretRef: { key: "t" } }, "spec.registrationTokenSecretRef.name"],
    ["65 job kinds", { allowedJobKinds: Array.from({ length: 65 }, () => ({ kind: "ConfigMap" })) }, "spec.allowedJobKinds"],
    ["job kind without kind", { allowedJobKinds: [{ group: "apps" }] }, "spec.allowedJobKinds[0].kind"],
  ])("rejects %s", (_name, spec, path) => {
    expect(pathsOf(decodeCluster(clusterObject(spec)))).toEqual([path]);
  });

  test("allowedJobKinds group defaults to the core group", () => {
    const spec = valueOf(decodeCluster(clusterObject({ allowedJobKinds: [{ kind: "ConfigMap" }] }))).spec;
    expect(spec.allowedJobKinds).toEqual([{ group: "", kind: "ConfigMap" }]);
  });

  test("accepts a full status and rejects an unknown phase", () => {
    const status = {
      phase: "Connected",
      connectivityMode: "pull",
      lastHeartbeat: "2026-01-02T03:04:05Z",
      conditions: [{ ...readyCondition, type: "Connected", reason: "RoundTripOK" }],
      credentialStatus: { secretName: "c", secretNamespace: "vworkspace-system", registeredAt: "2026-01-01T00:00:00Z", registrationTokenConsumed: true },
      credentialsSecretRef: { name: "c", namespace: "vworkspace-system" },
      observedToken: "0123456789abcdef",
      publicKey: { kty: "OKP", crv: "X25519", x: "abc", kid: "k1", use: "enc", alg: "ECDH-ES" },
      managedNamespaces: [{ name: "team-a", allowedOperationTypes: ["Backup"], pushAccess: false }],
    };
    expect(valueOf(decodeCluster(clusterObject({}, status))).status).toEqual(status as never);
    expect(pathsOf(decodeCluster(clusterObject({}, { phase: "Lost" })))).toEqual(["status.phase"]);
  });
});
