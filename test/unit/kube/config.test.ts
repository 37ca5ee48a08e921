import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfigError, SERVICE_ACCOUNT_DIR, connectionFrom, resolveKubeConfig } from "../../../src/kube/config";

let dir: string;
const b64 = (text: string) => Buffer.from(text).toString("base64");

function kubeconfig(name: string, server: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: `${name}-cluster`, cluster: { server, ...cluster } }],
      users: [{ name: `${name}-user`, user }],
      contexts: [{ name: `${name}-ctx`, context: { cluster: `${name}-cluster`, user: `${name}-user` } }],
      "current-context": `${name}-ctx`,
    }),
  );
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vws-kubeconfig-"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("resolveKubeConfig", () => {
  test("--kubeconfig wins over $KUBECONFIG", () => {
    const flag = kubeconfig("flag", "https://127.0.0.1:1111", { token: "t" });
    const env = kubeconfig("env", "https://127.0.0.1:2222", { token: "t" });
    const resolved = resolveKubeConfig({ kubeconfigPath: flag, env: { KUBECONFIG: env } });
    expect(resolved).toMatchObject({ source: "flag", paths: [flag], server: "https://127.0.0.1:1111" });
  });

  test("$KUBECONFIG may list several files; the first one's context wins", () => {
    const first = kubeconfig("first", "https://127.0.0.1:3333/", { token: "t" });
    const second = kubeconfig("second", "https://127.0.0.1:4444", { token: "t" });
    const resolved = resolveKubeConfig({ env: { KUBECONFIG: `${first}:${second}` } });
    expect(resolved).toMatchObject({ source: "env", server: "https://127.0.0.1:3333" });
    expect(resolved.kubeConfig.getContexts()).toHaveLength(2);
  });

  test("an explicitly named file that is missing is an error, not a fallback", () => {
    const k3s = kubeconfig("k3s", "https://127.0.0.1:6443", { token: "t" });
    expect(() => resolveKubeConfig({ env: { KUBECONFIG: join(dir, "nope") }, k3sPath: k3s })).toThrow(/\$KUBECONFIG not found/);
    expect(() => resolveKubeConfig({ kubeconfigPath: join(dir, "nope"), env: {} })).toThrow(KubeConfigError);
  });

  test("in-cluster service account comes before the k3s file", () => {
    const root = join(dir, "root");
    mkdirSync(join(root, SERVICE_ACCOUNT_DIR), { recursive: true });
    writeFileSync(join(root, SERVICE_ACCOUNT_DIR, "token"), "sa-token");
    writeFileSync(join(root, SERVICE_ACCOUNT_DIR, "ca.crt"), "ca");
    const k3s = kubeconfig("k3s2", "https://127.0.0.1:6443", { token: "t" });
    const env = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
    expect(resolveKubeConfig({ env, inClusterRoot: root, k3sPath: k3s })).toMatchObject({
      source: "in-cluster",
      server: "https://10.0.0.1:443",
    });
    expect(resolveKubeConfig({ env: {}, inClusterRoot: root, k3sPath: k3s })).toMatchObject({ source: "k3s" });
  });

  test("nothing found: one error naming every source", () => {
    expect(() => resolveKubeConfig({ env: {}, inClusterRoot: join(dir, "none"), k3sPath: join(dir, "none.yaml") })).toThrow(
      /--kubeconfig.*KUBECONFIG.*service account.*none\.yaml/,
    );
  });
});

describe("connectionFrom", () => {
  test("client certificates and CA become Bun fetch TLS options", async () => {
    const path = kubeconfig("certs", "https://127.0.0.1:5555", { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") }, { "certificate-authority-data": b64("CA") });
    const { tls, headers } = await connectionFrom(resolveKubeConfig({ kubeconfigPath: path })).requestOptions();
    expect(tls).toEqual({ ca: "CA", cert: "CERT", key: "KEY" });
    expect(headers.Authorization).toBeUndefined();
  });

  test("tokens become an Authorization header; insecure-skip-tls-verify disables verification", async () => {
    const path = kubeconfig("token", "https://127.0.0.1:5555", { token: "abc" }, { "insecure-skip-tls-verify": true });
    const connection = connectionFrom(resolveKubeConfig({ kubeconfigPath: path }));
    const { tls, headers } = await connection.requestOptions();
    expect(headers.Authorization).toBe("Bearer abc");
    expect(tls.rejectUnauthorized).toBe(false);
    expect(connection.server).toBe("https://127.0.0.1:5555");
  });
});
