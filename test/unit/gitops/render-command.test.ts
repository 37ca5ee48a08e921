/**
 * `vworkspace-operator render` through the CLI dispatcher against a temporary repository; stdin and the
 * process exit code once through a real `bun src/main.ts render` process.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../../../src/cli/main";
import { instance, operation } from "./desired-state-fixtures";

const MAIN = resolve(import.meta.dir, "../../../src/main.ts");

let dir: string;
let repo: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vws-render-"));
  repo = join(dir, "repo");
  mkdirSync(repo);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function render(document: unknown, ...flags: string[]): Promise<Outcome> {
  const input = join(dir, "input.json");
  writeFileSync(input, typeof document === "string" ? document : JSON.stringify(document));
  return run(["--input", input, "--output-dir", repo, ...flags]);
}

async function run(args: string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["render", ...args], {}, { out: (text) => out.push(`${text}\n`), err: (text) => err.push(`${text}\n`) });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

function runProcess(args: string[], stdin: string): Outcome {
  const result = Bun.spawnSync([process.execPath, MAIN, "render", ...args], { stdin: Buffer.from(stdin), stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode ?? -1, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/** Every entry below root: file contents, link targets, directories. */
function snapshot(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (relative: string) => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = relative ? `${relative}/${name}` : name;
      const stat = lstatSync(join(root, path));
      if (stat.isSymbolicLink()) found[path] = `-> ${readlinkSync(join(root, path))}`;
      else if (stat.isDirectory()) {
        found[`${path}/`] = "";
        walk(path);
      } else found[path] = readFileSync(join(root, path), "utf8");
    }
  };
  walk("");
  return found;
}

const SAMPLE = { clusterId: "c1", objects: [instance("team-a", "app1"), operation("team-a", "app1-backup"), instance("team-b", "app2")] };

describe("render (golden)", () => {
  test("two runs give byte-identical files in the documented layout", async () => {
    expect((await render(SAMPLE)).code).toBe(0);
    const first = snapshot(repo);
    expect(Object.keys(first).filter((path) => !path.endsWith("/"))).toEqual([
      "clusters/c1/namespaces/team-a/applicationinstance-app1.yaml",
      "clusters/c1/namespaces/team-a/operation-app1-backup.yaml",
      "clusters/c1/namespaces/team-b/applicationinstance-app2.yaml",
    ]);
    expect(first["clusters/c1/namespaces/team-a/operation-app1-backup.yaml"]).toBe(
      [
        "apiVersion: ops.vworkspace.io/v1alpha1",
        "kind: Operation",
        "metadata:",
        "  labels:",
        "    app.vworkspace.io/cluster-id: c1",
        "    app.vworkspace.io/managed-by: control-plane",
        "  name: app1-backup",
        "  namespace: team-a",
        "spec:",
        "  engine: velero",
        "  targetRef:",
        "    apiVersion: apps.vworkspace.io/v1alpha1",
        "    kind: ApplicationInstance",
        "    name: app1",
        "  type: Backup",
        "",
      ].join("\n"),
    );
    rmSync(join(repo, "clusters"), { recursive: true });
    expect((await render(SAMPLE)).code).toBe(0);
    expect(snapshot(repo)).toEqual(first);
  });

  test("--check exits 0 when up to date, 3 after an input change, and writes nothing", async () => {
    expect((await render(SAMPLE)).code).toBe(0);
    expect((await render(SAMPLE, "--check")).code).toBe(0);
    const before = snapshot(repo);
    const changed = { ...SAMPLE, objects: [{ ...instance("team-a", "app1"), metadata: { name: "app1", namespace: "team-a", labels: { tier: "gold" } } }, ...SAMPLE.objects.slice(1)] };
    const check = await render(changed, "--check");
    expect(check.code).toBe(3);
    expect(check.stdout).toBe("would write clusters/c1/namespaces/team-a/applicationinstance-app1.yaml\n");
    const dropped = await render({ ...SAMPLE, objects: SAMPLE.objects.slice(0, 2) }, "--check");
    expect(dropped.code).toBe(3);
    expect(dropped.stdout).toContain("would delete clusters/c1/namespaces/team-b/applicationinstance-app2.yaml");
    expect(snapshot(repo)).toEqual(before);
  });

  test("the document can come from stdin, as YAML; the process exits with the command's code", async () => {
    const yaml = `clusterId: c1\nobjects:\n  - ${JSON.stringify(instance("team-a", "app1"))}\n`;
    const result = runProcess(["--output-dir", repo], yaml);
    expect(result).toMatchObject({ code: 0, stdout: "wrote clusters/c1/namespaces/team-a/applicationinstance-app1.yaml\n" });
    expect(Object.keys(snapshot(repo))).toContain("clusters/c1/namespaces/team-a/applicationinstance-app1.yaml");
  });
});

describe("render (prune)", () => {
  test("removes a dropped object's file and its empty namespace directory, leaves another cluster's directory and non-YAML files untouched", async () => {
    expect((await render(SAMPLE)).code).toBe(0);
    expect((await render({ clusterId: "c2", objects: [instance("team-b", "app2")] })).code).toBe(0);
    writeFileSync(join(repo, "clusters/c1/namespaces/team-a/README.md"), "notes\n");
    writeFileSync(join(repo, "clusters/c1/kustomization.yaml"), "resources: []\n");
    const other = Object.entries(snapshot(repo)).filter(([path]) => path.startsWith("clusters/c2/"));

    const result = await render({ clusterId: "c1", objects: [instance("team-a", "app1")] });
    expect(result.code).toBe(0);
    const after = snapshot(repo);
    expect(Object.keys(after).filter((path) => path.startsWith("clusters/c1/"))).toEqual([
      "clusters/c1/",
      "clusters/c1/kustomization.yaml",
      "clusters/c1/namespaces/",
      "clusters/c1/namespaces/team-a/",
      "clusters/c1/namespaces/team-a/README.md",
      "clusters/c1/namespaces/team-a/applicationinstance-app1.yaml",
    ]);
    expect(Object.entries(after).filter(([path]) => path.startsWith("clusters/c2/"))).toEqual(other);
  });

  test("--prune=false keeps files this run did not produce", async () => {
    expect((await render(SAMPLE)).code).toBe(0);
    expect((await render({ clusterId: "c1", objects: [] }, "--prune=false")).code).toBe(0);
    expect(Object.keys(snapshot(repo))).toContain("clusters/c1/namespaces/team-b/applicationinstance-app2.yaml");
  });

  test("a symbolic link inside the cluster's directory is never followed", async () => {
    const outside = join(dir, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "victim.yaml"), "keep\n");
    mkdirSync(join(repo, "clusters/c1/namespaces"), { recursive: true });
    symlinkSync(outside, join(repo, "clusters/c1/namespaces/team-a"));
    const result = await render(SAMPLE);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("symbolic link");
    expect(snapshot(outside)).toEqual({ "victim.yaml": "keep\n" });
  });
});

describe("render (invalid input writes nothing)", () => {
  const existing = async () => {
    expect((await render(SAMPLE)).code).toBe(0);
    return snapshot(repo);
  };

  test.each([
    ["a Secret", { clusterId: "c1", objects: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "team-a" }, data: {} }] }, 'kind "Secret" is not allowed'],
    ["a missing namespace", { clusterId: "c1", objects: [{ ...instance("team-a", "app1"), metadata: { name: "app1" } }] }, "metadata.namespace is required"],
    ['clusterId "../x"', { clusterId: "../x", objects: [instance("team-a", "app1")] }, 'clusterId "../x" must not contain "/"'],
    ["a cluster id with ..", { clusterId: "a..b", objects: [] }, 'must not contain ".."'],
    ["a duplicate", { clusterId: "c1", objects: [instance("team-a", "app1"), instance("team-a", "app1")] }, "duplicate of objects[0]"],
    ["a name that is not DNS-1123", { clusterId: "c1", objects: [{ ...instance("team-a", "app1"), metadata: { name: "App_1", namespace: "team-a" } }] }, "not a DNS-1123"],
    ["a CRD-schema violation", { clusterId: "c1", objects: [{ ...operation("team-a", "op"), spec: { ...operation("team-a", "op").spec, type: "Explode" } }] }, "schema: spec.type"],
    ["one bad object among good ones", { clusterId: "c1", objects: [instance("team-c", "fresh"), { kind: "ConfigMap", metadata: { name: "x", namespace: "team-c" } }] }, "ConfigMap"],
    ["a document that is not JSON or YAML", "{ clusterId: [", "not valid JSON or YAML"],
    ["a missing objects list", { clusterId: "c1" }, "objects must be a list"],
  ])("%s: exit 1, the repository unchanged", async (_what, document, message) => {
    const before = await existing();
    const result = await render(document);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("nothing written");
    expect(result.stdout).toBe("");
    expect(snapshot(repo)).toEqual(before);
  });

  test("--cluster-id is validated like clusterId", async () => {
    const before = await existing();
    expect((await render(SAMPLE, "--cluster-id", "../escape")).code).toBe(1);
    expect(snapshot(repo)).toEqual(before);
  });
});

describe("render (usage)", () => {
  test.each([
    [["--bogus"], "unknown flag --bogus"],
    [["extra"], 'unexpected argument "extra"'],
    [["--prune=maybe"], "is not a boolean"],
    [["--input", "/nonexistent/doc.json"], "--input /nonexistent/doc.json"],
  ])("%p exits 2", async (args, message) => {
    const result = await run(["--output-dir", "/nonexistent-render-root", ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  test("--help lists every flag", async () => {
    const result = await run(["--help"]);
    expect(result.code).toBe(0);
    for (const flag of ["--input", "--cluster-id", "--output-dir", "--prune", "--check"]) expect(result.stdout).toContain(flag);
  });
});
