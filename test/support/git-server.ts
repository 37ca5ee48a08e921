/**
 * A real Git server on loopback for GitOps tests: Debian's `git http-backend` (smart HTTP, protocol v0 and
 * v2) run as CGI behind Bun.serve, one process per request. Repositories are bare, under a directory of the
 * test; commits are made in a working clone and pushed over the file system, so a revert is a real
 * `git revert`. `stop()` and `start()` take the server away and bring it back on the same port.
 */
import { spawnSync, type Server } from "bun";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { commitAll } from "../../src/gitops/commit";
import type { CommitSigningKey } from "../../src/gitops/openpgp";

export const GIT_HTTP_BACKEND = "/usr/lib/git-core/git-http-backend";

const AUTHOR = { name: "vws test", email: "test@vworkspace.invalid" };
const AUTHOR_ENV = { GIT_AUTHOR_NAME: AUTHOR.name, GIT_AUTHOR_EMAIL: AUTHOR.email, GIT_COMMITTER_NAME: AUTHOR.name, GIT_COMMITTER_EMAIL: AUTHOR.email };

export interface GitRepo {
  /** Clone URL, http://127.0.0.1:<port>/<name>.git */
  readonly url: string;
  /** Working clone the test edits. */
  readonly workDir: string;
  /** The bare repository: a remote another writer (the control plane) pushes to over the file system. */
  readonly bareDir: string;
  /** Pulls what others pushed into the working clone; returns the new head. */
  pull(): string;
  /**
   * Writes files (path relative to the repository → content; null deletes), commits (signed with
   * `signingKey` when given) and pushes; returns the new commit.
   */
  commit(message: string, files: Record<string, string | null>, signingKey?: CommitSigningKey): Promise<string>;
  /** `git revert` of a commit, pushed; returns the revert commit. */
  revert(commit: string): string;
  head(): string;
}

export interface GitServer {
  readonly port: number;
  /** Requests answered since start (for measuring what Flux fetches). */
  readonly requests: number;
  createRepo(name: string, branch?: string): GitRepo;
  stop(): void;
  start(): void;
  close(): void;
}

export function gitAvailable(): boolean {
  return spawnSync(["git", "--version"]).exitCode === 0 && Bun.file(GIT_HTTP_BACKEND).size > 0;
}

export function startGitServer(root: string): GitServer {
  rmSync(root, { recursive: true, force: true });
  const repos = join(root, "repos");
  mkdirSync(repos, { recursive: true });
  let requests = 0;
  let server: Server<undefined> | undefined;
  let port = 0;
  const listen = () => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port,
      fetch: async (request) => {
        requests++;
        return cgi(request, repos);
      },
    });
    port = server.port ?? port;
  };
  listen();
  return {
    get port() {
      return port;
    },
    get requests() {
      return requests;
    },
    createRepo: (name, branch = "main") => createRepo(root, repos, name, branch, () => port),
    stop: () => {
      server?.stop(true);
      server = undefined;
    },
    start: () => {
      if (!server) listen();
    },
    close: () => {
      server?.stop(true);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** One CGI request: the HTTP request as environment and stdin, the response parsed from stdout. */
async function cgi(request: Request, projectRoot: string): Promise<Response> {
  const url = new URL(request.url);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: "HTTP/1.1",
    REQUEST_METHOD: request.method,
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ""),
    REMOTE_ADDR: "127.0.0.1",
    CONTENT_TYPE: request.headers.get("content-type") ?? "",
  };
  const protocol = request.headers.get("git-protocol");
  if (protocol) env.GIT_PROTOCOL = protocol;
  const encoding = request.headers.get("content-encoding");
  if (encoding) env.HTTP_CONTENT_ENCODING = encoding;
  const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
  if (body) env.CONTENT_LENGTH = String(body.length);
  const proc = Bun.spawn([GIT_HTTP_BACKEND], { env, stdin: body ?? "ignore", stdout: "pipe", stderr: "pipe" });
  const [output, errors, code] = await Promise.all([new Response(proc.stdout).arrayBuffer(), new Response(proc.stderr).text(), proc.exited]);
  const bytes = new Uint8Array(output);
  const split = headerEnd(bytes);
  if (split < 0) return new Response(`git http-backend exited ${code} without headers: ${errors}`, { status: 502 });
  const headers = new Headers();
  let status = 200;
  for (const line of new TextDecoder().decode(bytes.subarray(0, split)).split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 502;
    else headers.append(name, value);
  }
  return new Response(bytes.subarray(split + (bytes[split] === 13 ? 4 : 2)), { status, headers });
}

/** Index of the blank line ending the CGI headers (CRLF CRLF or LF LF), or -1. */
function headerEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
    if (bytes[i] === 10 && bytes[i + 1] === 10) return i;
  }
  return -1;
}

function createRepo(root: string, repos: string, name: string, branch: string, port: () => number): GitRepo {
  const bare = join(repos, `${name}.git`);
  const workDir = join(root, "work", name);
  git(root, ["init", "--quiet", "--bare", `--initial-branch=${branch}`, bare]);
  git(root, ["init", "--quiet", `--initial-branch=${branch}`, workDir]);
  git(workDir, ["remote", "add", "origin", bare]);
  const head = () => git(workDir, ["rev-parse", "HEAD"]).trim();
  const push = () => git(workDir, ["push", "--quiet", "origin", `HEAD:refs/heads/${branch}`]);
  return {
    get url() {
      return `http://127.0.0.1:${port()}/${name}.git`;
    },
    workDir,
    bareDir: bare,
    head,
    pull() {
      git(workDir, ["pull", "--quiet", "--ff-only", "origin", branch]);
      return head();
    },
    async commit(message, files, signingKey) {
      for (const [path, content] of Object.entries(files)) {
        const target = join(workDir, path);
        if (content === null) rmSync(target, { force: true });
        else {
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, content);
        }
      }
      const commit = await commitAll(workDir, message, { author: AUTHOR, ...(signingKey ? { signingKey } : {}) });
      push();
      return commit;
    },
    revert(commit) {
      git(workDir, ["revert", "--no-edit", commit]);
      push();
      return head();
    },
  };
}

function git(cwd: string, args: string[]): string {
  const result = spawnSync(["git", ...args], { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, ...AUTHOR_ENV }, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")} (in ${cwd}) failed: ${result.stderr.toString().trim()}`);
  return result.stdout.toString();
}
