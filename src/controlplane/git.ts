/**
 * The control plane's `git` edge for GitOps mode: one work tree per cluster, commands run without a terminal
 * or the user's configuration. Remote URLs may carry credentials, so every message shows them without.
 */
export class GitError extends Error {
  override name = "GitError";
}

/** The URL with any `user:password@` removed, for messages and the admin API. */
export function withoutCredentials(remote: string): string {
  return remote.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}

const IDENTITY = {
  GIT_AUTHOR_NAME: "vworkspace control plane",
  GIT_AUTHOR_EMAIL: "control-plane@vworkspace.invalid",
  GIT_COMMITTER_NAME: "vworkspace control plane",
  GIT_COMMITTER_EMAIL: "control-plane@vworkspace.invalid",
};

export interface GitOptions {
  remote?: string;
  allowFailure?: boolean;
  /** GNUPGHOME for a signed commit. */
  gnupgHome?: string;
}

export async function git(cwd: string, args: string[], options: GitOptions = {}): Promise<{ code: number; stdout: string }> {
  const proc = Bun.spawn(["git", ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0", ...IDENTITY, ...(options.gnupgHome ? { GNUPGHOME: options.gnupgHome } : {}) },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0 && !options.allowFailure) {
    const scrub = (text: string) => (options.remote ? text.replaceAll(options.remote, withoutCredentials(options.remote)) : text);
    throw new GitError(`git ${scrub(args.join(" "))} failed (exit ${code}): ${scrub(stderr.trim()).slice(0, 512)}`);
  }
  return { code, stdout };
}
