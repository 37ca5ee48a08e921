/**
 * OpenPGP keys for signing the desired-state commits (docs/connectivity.md#signed-desired-state) with Debian's
 * GnuPG: a key lives in a GnuPG home directory and is named by its fingerprint. Flux verifies the commits
 * with the armored public key, kept in the Secret named by the GitRepository's `spec.verify.secretRef`.
 */
import { baseEnv, runTool } from "./tool";

/** What `git commit -S` signs with: the GnuPG home holding the secret key, and the key's fingerprint. */
export interface CommitSigningKey {
  gnupgHome: string;
  fingerprint: string;
}

function gpg(gnupgHome: string, args: string[]): Promise<string> {
  return runTool(["gpg", "--batch", "--homedir", gnupgHome, ...args], { env: { ...baseEnv(), GNUPGHOME: gnupgHome } });
}

/**
 * A new Ed25519 signing key without a passphrase in `gnupgHome` (created 0700 by the caller or by gpg), for a
 * control plane that signs unattended and for tests. The passphrase-less secret key is as sensitive as the
 * Git write credential next to it.
 */
export async function generateSigningKey(gnupgHome: string, userId: string): Promise<CommitSigningKey> {
  const status = await gpg(gnupgHome, ["--status-fd", "1", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", userId, "ed25519", "sign", "never"]);
  const fingerprint = /^\[GNUPG:\] KEY_CREATED [BP] ([0-9A-F]{40})$/m.exec(status)?.[1];
  if (!fingerprint) throw new Error(`gpg --quick-gen-key for "${userId}" reported no created key`);
  return { gnupgHome, fingerprint };
}

/** The ASCII-armored public key: one `*.asc` entry of the verification Secret. */
export async function armoredPublicKey(key: CommitSigningKey): Promise<string> {
  const armored = await gpg(key.gnupgHome, ["--armor", "--export", key.fingerprint]);
  if (!armored.includes("BEGIN PGP PUBLIC KEY BLOCK")) throw new Error(`gpg exported no public key for ${key.fingerprint}`);
  return armored;
}

/** Ends the gpg-agent that signing started for `gnupgHome` (one agent per home directory). */
export async function stopGpgAgent(gnupgHome: string): Promise<void> {
  await runTool(["gpgconf", "--homedir", gnupgHome, "--kill", "gpg-agent"], { env: { ...baseEnv(), GNUPGHOME: gnupgHome } });
}
