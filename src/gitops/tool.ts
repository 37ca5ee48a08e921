/** Runs git and gpg for the GitOps helpers: argv in, stdout out, a failure carrying the tool's own stderr. */

export interface ToolRun {
  cwd?: string;
  env: Record<string, string>;
  stdin?: string;
}

export async function runTool(argv: string[], run: ToolRun): Promise<string> {
  const proc = Bun.spawn(argv, {
    ...(run.cwd ? { cwd: run.cwd } : {}),
    env: run.env,
    stdin: run.stdin === undefined ? "ignore" : new TextEncoder().encode(run.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${argv.slice(0, 3).join(" ")} failed (exit ${code})${run.cwd ? ` in ${run.cwd}` : ""}: ${stderr.trim() || stdout.trim()}`);
  return stdout;
}

/** PATH only, so the caller's git and GnuPG configuration (signing defaults, hooks) never leaks in. */
export function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C" };
}
