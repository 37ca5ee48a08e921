import { describe, expect, test } from "bun:test";
import { KubeConfigError, mergeKubeconfigs, parseKubeconfig, selectCurrentContext } from "../../../src/kube/kubeconfig";

const FILE = "/etc/kube/config";

function doc(fields: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "v1", kind: "Config", ...fields });
}

describe("parseKubeconfig", () => {
  test("reads clusters, users and contexts in kubectl's field names", () => {
    const config = parseKubeconfig(
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "  - name: prod",
        "    cluster:",
        "      server: https://10.0.0.1:6443",
        "      certificate-authority-data: Q0E=",
        "      insecure-skip-tls-verify: false",
        "      tls-server-name: api.prod",
        "users:",
        "  - name: admin",
        "    user:",
        "      token: t0k",
        "      as: jane",
        "      as-uid: '42'",
        "contexts:",
        "  - name: prod-admin",
        "    context: { cluster: prod, user: admin, namespace: team-a }",
        "current-context: prod-admin",
      ].join("\n"),
      FILE,
    );
    expect(config.clusters.get("prod")).toEqual({
      name: "prod",
      origin: FILE,
      server: "https://10.0.0.1:6443",
      certificateAuthorityData: "Q0E=",
      insecureSkipTlsVerify: false,
      tlsServerName: "api.prod",
    });
    expect(config.users.get("admin")).toEqual({ name: "admin", origin: FILE, token: "t0k", impersonate: "jane", impersonateUid: "42" });
    expect(config.contexts.get("prod-admin")).toEqual({ name: "prod-admin", origin: FILE, cluster: "prod", user: "admin", namespace: "team-a" });
    expect(config.currentContext).toBe("prod-admin");
  });

  test("relative file references resolve against the kubeconfig's directory; a bare exec command stays on $PATH", () => {
    const config = parseKubeconfig(
      doc({
        clusters: [{ name: "c", cluster: { server: "https://h", "certificate-authority": "pki/ca.crt" } }],
        users: [
          { name: "files", user: { "client-certificate": "pki/admin.crt", "client-key": "/abs/admin.key", tokenFile: "../token" } },
          { name: "relative-exec", user: { exec: { command: "./bin/get-token", args: ["--x"] } } },
          { name: "path-exec", user: { exec: { command: "aws" } } },
        ],
      }),
      FILE,
    );
    expect(config.clusters.get("c")?.certificateAuthority).toBe("/etc/kube/pki/ca.crt");
    expect(config.users.get("files")).toMatchObject({ clientCertificate: "/etc/kube/pki/admin.crt", clientKey: "/abs/admin.key", tokenFile: "/etc/token" });
    expect(config.users.get("relative-exec")?.exec).toEqual({ command: "/etc/kube/bin/get-token", args: ["--x"] });
    expect(config.users.get("path-exec")?.exec).toEqual({ command: "aws" });
  });

  test("an empty file is an empty config, as for kubectl", () => {
    const config = parseKubeconfig("", FILE);
    expect([config.clusters.size, config.users.size, config.contexts.size, config.currentContext]).toEqual([0, 0, 0, undefined]);
  });

  test("malformed entries are errors that name the file and the field", () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ clusters: {} }, /config: clusters must be a list/],
      [{ clusters: [{ cluster: { server: "https://h" } }] }, /clusters\[0\]\.name is missing/],
      [{ clusters: [{ name: "c", cluster: {} }] }, /clusters\[0\]\.cluster\.server is missing \(cluster "c"\)/],
      [{ clusters: [{ name: "c", cluster: { server: "https://h", "insecure-skip-tls-verify": "yes" } }] }, /insecure-skip-tls-verify must be true or false/],
      [{ contexts: [{ name: "x", context: { user: "u" } }] }, /contexts\[0\]\.context\.cluster is missing \(context "x"\)/],
      [{ users: [{ name: "u", user: {} }, { name: "u", user: {} }] }, /users\[1\] repeats the name "u"/],
      [{ users: [{ name: "u", user: { exec: { args: [] } } }] }, /users\[0\]\.user\.exec\.command is missing/],
      [{ users: [{ name: "u", user: { as: "x", "as-groups": ["g"] } }] }, /as-groups is not supported \(user "u"\)/],
    ];
    for (const [fields, message] of cases) {
      expect(() => parseKubeconfig(doc(fields), FILE)).toThrow(message);
    }
  });

  test("invalid YAML names the file and the parser's reason, never the offending line's content", () => {
    for (const text of ["users:\n  - name: u\n    user:\n      token: s3cr3t: [", "a: 's3cr3t", "a:\n\tb: s3cr3t"]) {
      let error: unknown;
      try {
        parseKubeconfig(text, FILE);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(KubeConfigError);
      expect((error as Error).message).toMatch(/^kubeconfig \/etc\/kube\/config is not valid YAML/);
      expect((error as Error).message).not.toContain("s3cr3t");
    }
  });

  test("a document that is not one mapping is refused", () => {
    expect(() => parseKubeconfig("- a\n- b\n", FILE)).toThrow(`kubeconfig ${FILE}: the document must be a mapping`);
    expect(() => parseKubeconfig("a: 1\n---\nb: 2\n", FILE)).toThrow(`kubeconfig ${FILE}: the document must be a mapping`);
  });
});

describe("mergeKubeconfigs", () => {
  const first = parseKubeconfig(
    doc({
      clusters: [{ name: "shared", cluster: { server: "https://first" } }],
      users: [{ name: "shared", user: { token: "first" } }],
      contexts: [{ name: "a", context: { cluster: "shared", user: "shared" } }],
    }),
    "/first",
  );
  const second = parseKubeconfig(
    doc({
      clusters: [
        { name: "shared", cluster: { server: "https://second", "tls-server-name": "ignored" } },
        { name: "only-second", cluster: { server: "https://only-second" } },
      ],
      users: [{ name: "shared", user: { token: "second", as: "ignored" } }],
      contexts: [{ name: "b", context: { cluster: "only-second", user: "shared" } }],
      "current-context": "b",
    }),
    "/second",
  );
  const third = parseKubeconfig(doc({ "current-context": "a" }), "/third");

  test("the first file to define a name wins the whole entry", () => {
    const merged = mergeKubeconfigs([first, second]);
    expect(merged.clusters.get("shared")).toEqual({ name: "shared", origin: "/first", server: "https://first", insecureSkipTlsVerify: false });
    expect(merged.users.get("shared")).toEqual({ name: "shared", origin: "/first", token: "first" });
    expect([...merged.clusters.keys()]).toEqual(["shared", "only-second"]);
    expect([...merged.contexts.keys()]).toEqual(["a", "b"]);
    expect(merged.origins).toEqual(["/first", "/second"]);
  });

  test("the first non-empty current-context wins, and may name entries from any file", () => {
    expect(mergeKubeconfigs([first, second, third]).currentContext).toBe("b");
    expect(mergeKubeconfigs([third, second]).currentContext).toBe("a");
    const selected = selectCurrentContext(mergeKubeconfigs([first, second]));
    expect(selected.cluster).toMatchObject({ name: "only-second", origin: "/second" });
    expect(selected.user).toMatchObject({ name: "shared", origin: "/first" });
  });
});

describe("selectCurrentContext", () => {
  const config = (fields: Record<string, unknown>) => parseKubeconfig(doc(fields), FILE);
  const cluster = { name: "c", cluster: { server: "https://h" } };

  test("a context without a user selects no user: anonymous", () => {
    const selected = selectCurrentContext(config({ clusters: [cluster], contexts: [{ name: "x", context: { cluster: "c" } }], "current-context": "x" }));
    expect(selected.user).toBeUndefined();
    expect(selected.context.name).toBe("x");
  });

  test("every dangling name is an error that names it", () => {
    expect(() => selectCurrentContext(config({ clusters: [cluster] }))).toThrow(`no current-context is set in ${FILE}`);
    expect(() => selectCurrentContext(config({ "current-context": "gone" }))).toThrow(`current-context "gone" is not defined in ${FILE}`);
    expect(() => selectCurrentContext(config({ contexts: [{ name: "x", context: { cluster: "nope" } }], "current-context": "x" }))).toThrow(
      `context "x" (${FILE}) names cluster "nope", which is not defined in ${FILE}`,
    );
    expect(() =>
      selectCurrentContext(config({ clusters: [cluster], contexts: [{ name: "x", context: { cluster: "c", user: "ghost" } }], "current-context": "x" })),
    ).toThrow(`context "x" (${FILE}) names user "ghost", which is not defined in ${FILE}`);
  });
});
