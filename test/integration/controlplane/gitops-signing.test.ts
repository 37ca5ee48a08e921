/**
 * The reference control plane signs its GitOps commits (docs/connectivity.md#signed-desired-state): with a key
 * from Debian's GnuPG, the commit `enqueue --apply` pushes verifies against the armored public key that
 * `control-plane gitops-key` prints, and only against it, as Flux's `spec.verify` checks it. A plane without a
 * key answers the key request 404 NotConfigured.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdminApiError } from "../../../src/controlplane/admin-client";
import { generateSigningKey, stopGpgAgent, type CommitSigningKey } from "../../../src/gitops/openpgp";
import { runCli, type CliOutcome } from "../../support/cli";
import { startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { gitAvailable, startGitServer, type GitRepo, type GitServer } from "../../support/git-server";

const CLUSTER_ID = "edge-signed";

let dir: string;
let server: GitServer;
let repo: GitRepo;
let key: CommitSigningKey;
let plane: RefControlPlane;

function cli(...args: string[]): Promise<CliOutcome> {
  return runCli("control-plane", ...args, `--url=${plane.url}`, `--admin-token=${plane.adminToken}`);
}

/** `git verify-commit --raw` in the pulled work tree against a keyring holding only `armored`. */
function verify(commit: string, armored: string): { code: number; out: string } {
  const home = mkdtempSync(join(dir, "verifier-"));
  const imported = spawnSync(["gpg", "--batch", "--homedir", home, "--import"], { stdin: new TextEncoder().encode(armored), stdout: "pipe", stderr: "pipe" });
  expect(imported.exitCode).toBe(0);
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GNUPGHOME: home };
  const result = spawnSync(["git", "verify-commit", "--raw", commit], { cwd: repo.workDir, env, stdout: "pipe", stderr: "pipe" });
  spawnSync(["gpgconf", "--homedir", home, "--kill", "gpg-agent"]);
  return { code: result.exitCode, out: `${result.stdout.toString()}${result.stderr.toString()}` };
}

beforeAll(async () => {
  if (!gitAvailable() || spawnSync(["gpg", "--version"]).exitCode !== 0) throw new Error("git, git http-backend and gpg are required for the signed GitOps tests");
  dir = mkdtempSync(join(tmpdir(), "vws-cp-gitops-signed-"));
  server = startGitServer(join(dir, "git"));
  repo = server.createRepo("fleet");
  await repo.commit("a file of someone else", { "README.md": "fleet\n" });
  key = await generateSigningKey(mkdtempSync(join(dir, "gnupg-")), "vworkspace control plane <control-plane@vworkspace.invalid>");
  plane = await startRefControlPlane({ settings: { gitopsSigningKey: key } });
});

afterAll(async () => {
  await plane?.stop();
  if (key) await stopGpgAgent(key.gnupgHome).catch(() => undefined);
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a control plane with a GitOps signing key", () => {
  test("gitops-key prints the armored public key; the commit enqueue --apply pushes is signed by that key", async () => {
    const printed = await cli("gitops-key");
    expect(printed.code).toBe(0);
    expect(printed.stdout).toStartWith("-----BEGIN PGP PUBLIC KEY BLOCK-----");
    expect(printed.stdout).not.toContain("PRIVATE KEY");
    expect(await cli("set-mode", `--cluster-id=${CLUSTER_ID}`, "--mode=gitops", `--git-remote=${repo.bareDir}`)).toMatchObject({ code: 0 });
    const manifest = join(dir, "shop.json");
    const instance = { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", metadata: { name: "shop", namespace: "tenant-a" }, spec: { appRef: { catalogId: "shop-v1" }, mode: "placeholder" } };
    writeFileSync(manifest, JSON.stringify(instance));
    const run = await cli("enqueue", `--cluster-id=${CLUSTER_ID}`, `--apply=${manifest}`, "--wait-result=10s");
    expect(run.code).toBe(0);
    const head = repo.pull();
    const verified = verify(head, printed.stdout);
    expect(verified.code).toBe(0);
    expect(verified.out).toContain(`VALIDSIG ${key.fingerprint}`);
    plane.logs.assertNoSecrets(["PGP PRIVATE KEY BLOCK", "PGP PUBLIC KEY BLOCK"]);
  });

  test("a commit pushed by someone else does not verify against the plane's key", async () => {
    await repo.commit("someone else's change", { "docs/notes.md": "x\n" });
    const head = repo.pull();
    expect(verify(head, (await plane.admin.gitopsSigningKey()).publicKey).code).not.toBe(0);
  });
});

describe("control-plane serve's signing flags", () => {
  test("go together, and a key GnuPG does not know fails the start", async () => {
    const alone = await runCli("control-plane", "serve", `--gitops-signing-key=${key.fingerprint}`);
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toContain("--gitops-signing-gnupg-home and --gitops-signing-key go together");
    const unknown = "0".repeat(40);
    const serve = ["control-plane", "serve", "--listen=127.0.0.1:0", "--db=:memory:", "--admin-token=not-used", `--gitops-signing-gnupg-home=${key.gnupgHome}`];
    const started = await runCli(...serve, `--gitops-signing-key=${unknown}`);
    expect(started.code).not.toBe(0);
    expect(started.stderr).toContain(unknown);
  });
});

describe("a control plane without one", () => {
  test("answers the key request 404 NotConfigured", async () => {
    const unsigned = await startRefControlPlane();
    try {
      const error = await unsigned.admin.gitopsSigningKey().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(AdminApiError);
      expect(error).toMatchObject({ status: 404, code: "NotConfigured" });
    } finally {
      await unsigned.stop();
    }
  });
});
