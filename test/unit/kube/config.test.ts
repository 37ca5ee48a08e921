import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfigError, SERVICE_ACCOUNT_DIR, connectionFrom, resolveKubeConfig } from "../../../src/kube/config";

let dir: string;
const b64 = (text: string) => Buffer.from(text).toString("base64");
const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const CA = pem("CERTIFICATE", "ca");
const CERT = pem("CERTIFICATE", "client");
const KEY = pem("PRIVATE KEY", "key");

interface Fixture {
  server?: string;
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown>;
  namespace?: string;
}

/** Writes `<name>/config` with one cluster, user and context, all named after the file. */
function kubeconfig(name: string, fixture: Fixture = {}): string {
  mkdirSync(join(dir, name), { recursive: true });
  const path = join(dir, name, "config");
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: `${name}-cluster`, cluster: { server: fixture.server ?? "https://127.0.0.1:6443", ...fixture.cluster } }],
      users: [{ name: `${name}-user`, user: fixture.user ?? { token: "t" } }],
      contexts: [{ name: `${name}-ctx`, context: { cluster: `${name}-cluster`, user: `${name}-user`, namespace: fixture.namespace } }],
      "current-context": `${name}-ctx`,
    }),
  );
  return path;
}

function serviceAccount(name: string, files: Record<string, string>): string {
  const root = join(dir, name);
  mkdirSync(join(root, SERVICE_ACCOUNT_DIR), { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(root, SERVICE_ACCOUNT_DIR, file), content);
  return root;
}

function requestOptions(path: string) {
  return connectionFrom(resolveKubeConfig({ kubeconfigPath: path, env: {} })).requestOptions();
}

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (err) {
    expect(err).toBeInstanceOf(KubeConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a KubeConfigError");
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vws-kubeconfig-"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("resolveKubeConfig: resolution order", () => {
  test("--kubeconfig wins over $KUBECONFIG", () => {
    const flag = kubeconfig("flag", { server: "https://127.0.0.1:1111" });
    const env = kubeconfig("env", { server: "https://127.0.0.1:2222" });
    const resolved = resolveKubeConfig({ kubeconfigPath: flag, env: { KUBECONFIG: env } });
    expect(resolved).toMatchObject({ source: "flag", paths: [flag], server: "https://127.0.0.1:1111", context: "flag-ctx" });
  });

  test("$KUBECONFIG wins over the service account; empty list entries and repeats are dropped", () => {
    const path = kubeconfig("env-over-sa");
    const root = serviceAccount("env-over-sa-root", { token: "sa", "ca.crt": CA });
    const env = { KUBECONFIG: `:${path}::${path}`, KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
    expect(resolveKubeConfig({ env, inClusterRoot: root })).toMatchObject({ source: "env", paths: [path] });
  });

  test("the in-cluster service account comes before the k3s file", () => {
    const root = serviceAccount("order-root", { token: "sa", "ca.crt": CA });
    const k3s = kubeconfig("k3s");
    const env = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
    expect(resolveKubeConfig({ env, inClusterRoot: root, k3sPath: k3s })).toMatchObject({ source: "in-cluster", server: "https://10.0.0.1:443" });
    expect(resolveKubeConfig({ env: {}, inClusterRoot: root, k3sPath: k3s })).toMatchObject({ source: "k3s", paths: [k3s] });
  });

  test("an explicitly named file that is missing is an error, not a fallback", () => {
    const k3s = kubeconfig("k3s-fallback");
    const nope = join(dir, "nope");
    expect(messageOf(() => resolveKubeConfig({ env: { KUBECONFIG: nope }, k3sPath: k3s }))).toBe(`kubeconfig from $KUBECONFIG not found: ${nope}`);
    expect(messageOf(() => resolveKubeConfig({ kubeconfigPath: nope, env: {} }))).toBe(`kubeconfig from --kubeconfig not found: ${nope}`);
  });

  test("nothing found: one error naming every source", () => {
    expect(() => resolveKubeConfig({ env: {}, inClusterRoot: join(dir, "none"), k3sPath: join(dir, "none.yaml") })).toThrow(
      /--kubeconfig.*KUBECONFIG.*service account.*none\.yaml/,
    );
  });
});

describe("resolveKubeConfig: kubeconfig files", () => {
  test("$KUBECONFIG files merge: the first current-context wins and may use another file's entries", () => {
    const first = kubeconfig("first", { server: "https://127.0.0.1:3333/" });
    const second = kubeconfig("second", { server: "https://127.0.0.1:4444" });
    const resolved = resolveKubeConfig({ env: { KUBECONFIG: `${first}:${second}` } });
    expect(resolved).toMatchObject({ source: "env", paths: [first, second], server: "https://127.0.0.1:3333", context: "first-ctx" });

    const pointer = join(dir, "pointer");
    writeFileSync(pointer, "current-context: second-ctx\n");
    expect(resolveKubeConfig({ env: { KUBECONFIG: `${pointer}:${first}:${second}` } })).toMatchObject({ server: "https://127.0.0.1:4444", context: "second-ctx" });
  });

  test("the context's namespace is reported", () => {
    expect(resolveKubeConfig({ kubeconfigPath: kubeconfig("ns", { namespace: "team-a" }) }).namespace).toBe("team-a");
    expect(resolveKubeConfig({ kubeconfigPath: kubeconfig("no-ns") }).namespace).toBeUndefined();
  });

  test("*-data fields are base64 PEM: CA, client certificate and key become Bun fetch TLS options", async () => {
    const path = kubeconfig("data", {
      cluster: { "certificate-authority-data": b64(CA) },
      user: { "client-certificate-data": b64(CERT), "client-key-data": b64(KEY) },
    });
    expect(resolveKubeConfig({ kubeconfigPath: path }).caPem).toBe(CA);
    const { tls, headers } = await requestOptions(path);
    expect(tls).toEqual({ ca: CA, cert: CERT, key: KEY });
    expect(headers.Authorization).toBeUndefined();
  });

  test("file fields are read relative to the kubeconfig's directory", async () => {
    const path = kubeconfig("files", {
      cluster: { "certificate-authority": "pki/ca.crt" },
      user: { "client-certificate": "pki/client.crt", "client-key": "pki/client.key" },
    });
    mkdirSync(join(dir, "files", "pki"));
    writeFileSync(join(dir, "files", "pki", "ca.crt"), CA);
    writeFileSync(join(dir, "files", "pki", "client.crt"), CERT);
    writeFileSync(join(dir, "files", "pki", "client.key"), KEY);
    expect((await requestOptions(path)).tls).toEqual({ ca: CA, cert: CERT, key: KEY });
  });

  test("insecure-skip-tls-verify and tls-server-name reach the TLS options", async () => {
    const path = kubeconfig("insecure", { server: "https://127.0.0.1:5555", cluster: { "insecure-skip-tls-verify": true, "tls-server-name": "api.local" } });
    const resolved = resolveKubeConfig({ kubeconfigPath: path });
    expect(resolved.caPem).toBeUndefined();
    expect((await connectionFrom(resolved).requestOptions()).tls).toEqual({ rejectUnauthorized: false, serverName: "api.local" });
  });

  test("TLS problems name the field, its owner and the file, never the material", () => {
    const missing = kubeconfig("missing-ca", { cluster: { "certificate-authority": "ca.crt" } });
    expect(messageOf(() => resolveKubeConfig({ kubeconfigPath: missing }))).toBe(
      `certificate-authority of cluster "missing-ca-cluster" (${missing}) ${join(dir, "missing-ca", "ca.crt")} cannot be read (ENOENT) (kubeconfig from --kubeconfig)`,
    );
    const both = kubeconfig("both", { cluster: { "certificate-authority": "ca.crt", "certificate-authority-data": b64(CA) } });
    expect(messageOf(() => resolveKubeConfig({ kubeconfigPath: both }))).toContain(
      `cluster "both-cluster" (${both}) sets both certificate-authority and certificate-authority-data`,
    );
    const notPem = kubeconfig("not-pem", { user: { "client-certificate-data": b64("s3cr3t"), "client-key-data": b64(KEY) } });
    const message = messageOf(() => resolveKubeConfig({ kubeconfigPath: notPem }));
    expect(message).toContain(`client-certificate-data of user "not-pem-user" (${notPem}) is not base64-encoded PEM`);
    expect(message).not.toContain("s3cr3t");
    const keyless = kubeconfig("keyless", { user: { "client-certificate-data": b64(CERT) } });
    expect(messageOf(() => resolveKubeConfig({ kubeconfigPath: keyless }))).toContain(`user "keyless-user" (${keyless}) sets a client certificate without a key`);
  });

  test("a server that is not an http(s) URL is refused", () => {
    for (const server of ["127.0.0.1:6443", "ftp://127.0.0.1", "https://"]) {
      const path = kubeconfig("bad-server", { server });
      expect(messageOf(() => resolveKubeConfig({ kubeconfigPath: path }))).toContain(`cluster "bad-server-cluster" (${path}) has a server that is not an http(s) URL`);
    }
  });
});

describe("connectionFrom: authentication", () => {
  test("a token becomes a bearer Authorization header", async () => {
    const { headers } = await requestOptions(kubeconfig("token", { user: { token: "abc" } }));
    expect(headers).toEqual({ Authorization: "Bearer abc" });
  });

  test("tokenFile is re-read on every request, relative to the kubeconfig, newline trimmed", async () => {
    const path = kubeconfig("token-file", { user: { tokenFile: "token" } });
    writeFileSync(join(dir, "token-file", "token"), "first\n");
    const connection = connectionFrom(resolveKubeConfig({ kubeconfigPath: path }));
    expect((await connection.requestOptions()).headers.Authorization).toBe("Bearer first");
    writeFileSync(join(dir, "token-file", "token"), "rotated");
    expect((await connection.requestOptions()).headers.Authorization).toBe("Bearer rotated");
    rmSync(join(dir, "token-file", "token"));
    await expect(connection.requestOptions()).rejects.toThrow(`token file ${join(dir, "token-file", "token")} cannot be read (ENOENT)`);
  });

  test("username and password become basic auth", async () => {
    const { headers } = await requestOptions(kubeconfig("basic", { user: { username: "admin", password: "pw" } }));
    expect(headers.Authorization).toBe(`Basic ${b64("admin:pw")}`);
  });

  test("as and as-uid become impersonation headers next to the credentials", async () => {
    const { headers } = await requestOptions(kubeconfig("impersonate", { user: { token: "abc", as: "jane", "as-uid": "42" } }));
    expect(headers).toEqual({ Authorization: "Bearer abc", "Impersonate-User": "jane", "Impersonate-Uid": "42" });
  });

  test("a context without a user is anonymous", async () => {
    const path = join(dir, "anonymous");
    writeFileSync(path, "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n");
    const resolved = resolveKubeConfig({ kubeconfigPath: path });
    expect(resolved.authentication).toEqual({ type: "anonymous" });
    expect((await connectionFrom(resolved).requestOptions()).headers).toEqual({});
  });

  test("conflicting methods are refused like kubectl does, naming the user", () => {
    const path = kubeconfig("conflict", { user: { token: "abc", username: "admin", password: "pw" } });
    const message = messageOf(() => resolveKubeConfig({ kubeconfigPath: path }));
    expect(message).toContain(`user "conflict-user" (${path}) sets both a token and basic auth`);
    expect(message).not.toContain("abc");
  });

  test("an exec plugin runs through client-node, relative to the kubeconfig, with its env", async () => {
    const path = kubeconfig("exec", {
      user: {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: "./plugin.sh",
          args: ["exec-"],
          env: [{ name: "SUFFIX", value: "token" }],
        },
      },
    });
    const script = join(dir, "exec", "plugin.sh");
    writeFileSync(
      script,
      '#!/bin/sh\nprintf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s%s"}}\' "$1" "$SUFFIX"\n',
    );
    chmodSync(script, 0o755);
    const resolved = resolveKubeConfig({ kubeconfigPath: path });
    expect(resolved.authentication).toMatchObject({ type: "plugin", user: "exec-user", exec: { command: script } });
    const { headers, tls } = await connectionFrom(resolved).requestOptions();
    expect(headers).toEqual({ Authorization: "Bearer exec-token" });
    expect(tls).toEqual({});
  });

  test("a failing exec plugin names itself and the user, not its output", async () => {
    const path = kubeconfig("exec-fails", { user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "./fail.sh" } } });
    const script = join(dir, "exec-fails", "fail.sh");
    writeFileSync(script, "#!/bin/sh\necho 'partial-s3cr3t'\necho 'login expired' >&2\nexit 1\n");
    chmodSync(script, 0o755);
    const connection = connectionFrom(resolveKubeConfig({ kubeconfigPath: path }));
    await expect(connection.requestOptions()).rejects.toThrow(`exec plugin "${script}" of user "exec-fails-user" failed: login expired`);
    const missing = kubeconfig("exec-missing", { user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "./absent" } } });
    await expect(connectionFrom(resolveKubeConfig({ kubeconfigPath: missing })).requestOptions()).rejects.toThrow(/exec plugin ".*absent" of user "exec-missing-user" failed: ENOENT/);
  });
});

describe("resolveKubeConfig: in-cluster", () => {
  const env = { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" };

  test("IPv6 hosts are bracketed; CA, namespace and token come from the service-account directory", async () => {
    const root = serviceAccount("sa", { token: "sa-token", "ca.crt": CA, namespace: "operators\n" });
    const resolved = resolveKubeConfig({ env, inClusterRoot: root });
    expect(resolved).toMatchObject({ source: "in-cluster", paths: [], server: "https://[fd00::1]:443", context: "in-cluster", namespace: "operators", caPem: CA });
    const connection = connectionFrom(resolved);
    expect(await connection.requestOptions()).toEqual({ headers: { Authorization: "Bearer sa-token" }, tls: { ca: CA } });
    writeFileSync(join(root, SERVICE_ACCOUNT_DIR, "token"), "rotated");
    expect((await connection.requestOptions()).headers.Authorization).toBe("Bearer rotated");
  });

  test("without a namespace file there is no namespace; without a CA there is an error naming it", () => {
    expect(resolveKubeConfig({ env, inClusterRoot: serviceAccount("sa-no-ns", { token: "t", "ca.crt": CA }) }).namespace).toBeUndefined();
    const root = serviceAccount("sa-no-ca", { token: "t" });
    expect(messageOf(() => resolveKubeConfig({ env, inClusterRoot: root }))).toBe(
      `in-cluster CA ${join(root, SERVICE_ACCOUNT_DIR, "ca.crt")} cannot be read (ENOENT)`,
    );
  });
});
