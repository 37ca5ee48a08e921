/**
 * The desired-state commit helper with real git and Debian's GnuPG: a commit made with a signing key carries
 * an OpenPGP signature that verifies against the exported public key alone (what Flux is given), an unsigned
 * commit carries none, and a commit signed by another key does not verify.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitAll } from "../../../src/gitops/commit";
import { armoredPublicKey, generateSigningKey, stopGpgAgent, type CommitSigningKey } from "../../../src/gitops/openpgp";

const AUTHOR = { name: "vws control plane", email: "cp@vworkspace.invalid" };
const available = spawnSync(["gpg", "--version"]).exitCode === 0 && spawnSync(["git", "--version"]).exitCode === 0;
const homes: string[] = [];
let repo: string;
let signer: CommitSigningKey;
let stranger: CommitSigningKey;

function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  homes.push(dir);
  return dir;
}

function git(args: string[], gnupgHome?: string): { code: number; out: string } {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", ...(gnupgHome ? { GNUPGHOME: gnupgHome } : {}) };
  const result = spawnSync(["git", ...args], { cwd: repo, env, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, out: `${result.stdout.toString()}${result.stderr.toString()}` };
}

/** A GnuPG home that holds only the armored public key, as Flux's keyring does. */
async function verifierWith(key: CommitSigningKey): Promise<string> {
  const home = scratch("vws-gpg-verify-");
  const imported = spawnSync(["gpg", "--batch", "--homedir", home, "--import"], { stdin: new TextEncoder().encode(await armoredPublicKey(key)), stdout: "pipe", stderr: "pipe" });
  expect(imported.exitCode).toBe(0);
  return home;
}

describe.skipIf(!available)("signed desired-state commits", () => {
  beforeAll(async () => {
    [signer, stranger] = await Promise.all([generateSigningKey(scratch("vws-gpg-"), "vws control plane <cp@vworkspace.invalid>"), generateSigningKey(scratch("vws-gpg-"), "someone else <else@vworkspace.invalid>")]);
    repo = scratch("vws-git-");
    expect(git(["init", "--quiet", "--initial-branch=main"]).code).toBe(0);
  });

  afterAll(async () => {
    for (const home of homes) await stopGpgAgent(home).catch(() => undefined);
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  test("a commit made with the key verifies against its public key alone, by that key's fingerprint", async () => {
    writeFileSync(join(repo, "a.yaml"), "a: 1\n");
    const commit = await commitAll(repo, "desired state: a", { author: AUTHOR, signingKey: signer });
    expect(git(["rev-parse", "HEAD"]).out.trim()).toBe(commit);
    const verifier = await verifierWith(signer);
    const verified = git(["verify-commit", "--raw", commit], verifier);
    expect(verified.code).toBe(0);
    expect(verified.out).toContain(`VALIDSIG ${signer.fingerprint}`);
    expect(git(["show", "--no-patch", "--format=%an <%ae>|%s", commit]).out.trim()).toBe("vws control plane <cp@vworkspace.invalid>|desired state: a");
  });

  test("without a key the commit is unsigned; with another key it does not verify against the first key", async () => {
    writeFileSync(join(repo, "b.yaml"), "b: 1\n");
    const unsigned = await commitAll(repo, "desired state: b", { author: AUTHOR });
    const verifier = await verifierWith(signer);
    expect(git(["show", "--no-patch", "--format=%G?", unsigned], verifier).out.trim()).toBe("N");
    expect(git(["verify-commit", unsigned], verifier).code).not.toBe(0);

    rmSync(join(repo, "b.yaml"));
    const foreign = await commitAll(repo, "desired state: without b", { author: AUTHOR, signingKey: stranger });
    expect(git(["show", "--name-status", "--format=", foreign]).out.trim()).toBe("D\tb.yaml");
    const refused = git(["verify-commit", "--raw", foreign], verifier);
    expect(refused.code).not.toBe(0);
    expect(refused.out).toContain("NO_PUBKEY");
  });
});
