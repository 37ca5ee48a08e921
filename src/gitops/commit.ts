/**
 * One commit of the desired state in a working clone, signed with an OpenPGP key when one is given
 * (docs/connectivity.md#signed-desired-state), so a GitRepository with `spec.verify` applies it and nothing
 * pushed by anyone else. Git runs without the user's or system's configuration: signing is exactly what the
 * caller asks for.
 */
import type { CommitSigningKey } from "./openpgp";
import { baseEnv, runTool } from "./tool";

export interface CommitAuthor {
  name: string;
  email: string;
}

export interface CommitOptions {
  author: CommitAuthor;
  /** Sign with this key (`git commit -S`); unsigned when absent. */
  signingKey?: CommitSigningKey;
}

/** Stages every change under `workDir` (deletions included) and commits it; returns the new commit id. */
export async function commitAll(workDir: string, message: string, options: CommitOptions): Promise<string> {
  const env = gitEnv(options);
  await runTool(["git", "add", "--all"], { cwd: workDir, env });
  await runTool(["git", ...commitCommand(options.signingKey), "--quiet", "--allow-empty", "--file=-"], { cwd: workDir, env, stdin: message });
  return (await runTool(["git", "rev-parse", "HEAD"], { cwd: workDir, env })).trim();
}

/**
 * `git` arguments up to and including `commit`: signed with the key (GNUPGHOME must name its home) or
 * explicitly unsigned, whatever a configuration might say.
 */
export function commitCommand(signingKey: CommitSigningKey | undefined): string[] {
  if (!signingKey) return ["commit", "--no-gpg-sign"];
  const { fingerprint } = signingKey;
  return ["-c", "gpg.format=openpgp", "-c", "gpg.program=gpg", "-c", `user.signingKey=${fingerprint}`, "commit", `--gpg-sign=${fingerprint}`];
}

function gitEnv(options: CommitOptions): Record<string, string> {
  const { name, email } = options.author;
  return {
    ...baseEnv(),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
    ...(options.signingKey ? { GNUPGHOME: options.signingKey.gnupgHome } : {}),
  };
}
