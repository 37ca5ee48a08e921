/**
 * scripts/install.sh, the k3s VM drop-in, staged with --root: the files and their modes, the unit
 * through Debian's `systemd-analyze verify` and its offline security score, the unit's ExecStart run
 * exactly as written (its Environment and EnvironmentFile applied, paths mapped into the staging
 * root) until /readyz answers 200 and then stopped with SIGTERM, reinstall and uninstall, and every
 * bad input leaving the target untouched.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { getCluster, REPO_ROOT } from "../support/cluster";
import { eventually } from "../support/eventually";
import { jsonLine, LogCapture } from "../support/logs";
import { useNamespace } from "../support/namespace";
import { ensureBinary } from "../support/operator";
import { environmentAssignments, environmentFile, execArgv, unitSection } from "../support/systemd-unit";

const WORK = join(REPO_ROOT, ".local/install-test");
const UNIT = "etc/systemd/system/vworkspace-operator.service";
const BIN = "usr/local/bin/vworkspace-operator";
const ENV_FILE = "etc/vworkspace-operator/env";
const K3S_KUBECONFIG = "etc/rancher/k3s/k3s.yaml";
let binary: string;
let kubeconfigPath: string;
let stages = 0;

beforeAll(async () => {
  rmSync(WORK, { recursive: true, force: true });
  binary = ensureBinary();
  ({ kubeconfigPath } = await getCluster());
});

afterAll(() => rmSync(WORK, { recursive: true, force: true }));

/** A staging root with what a k3s VM has before the install: k3s's kubeconfig and systemd's own units. */
function stage(options: { kubeconfig?: boolean } = {}): string {
  const root = join(WORK, `root-${++stages}`);
  mkdirSync(root, { recursive: true });
  if (options.kubeconfig ?? true) {
    mkdirSync(join(root, "etc/rancher/k3s"), { recursive: true });
    cpSync(kubeconfigPath, join(root, K3S_KUBECONFIG));
  }
  // systemd-analyze verify --root resolves the unit's dependencies (sysinit.target, ...) inside the root.
  cpSync("/usr/lib/systemd/system", join(root, "usr/lib/systemd/system"), { recursive: true });
  return root;
}

function install(args: string[], env: Record<string, string> = {}) {
  const result = Bun.spawnSync(["bash", join(REPO_ROOT, "scripts/install.sh"), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      out.push(relative(root, join(dir, entry.name)));
      if (entry.isDirectory()) walk(join(dir, entry.name));
    }
  };
  walk(root);
  return out.sort();
}

const mode = (path: string) => statSync(path).mode & 0o7777;

describe("install.sh --root: the staged drop-in", () => {
  test("installs the binary, a unit systemd-analyze verifies cleanly, and a private environment file", () => {
    const root = stage();
    const result = install(["--binary", binary, "--root", root]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(mode(join(root, BIN))).toBe(0o755);
    expect(readFileSync(join(root, BIN)).equals(readFileSync(binary))).toBe(true);
    expect(mode(join(root, UNIT))).toBe(0o644);
    expect(mode(join(root, ENV_FILE))).toBe(0o600);
    expect(mode(join(root, "etc/vworkspace-operator"))).toBe(0o700);

    const unit = readFileSync(join(root, UNIT), "utf8");
    const service = unitSection(unit, "Service");
    const unitPart = unitSection(unit, "Unit");
    const value = (key: string) => service.filter(([k]) => k === key).map(([, v]) => v);
    expect(unitPart).toContainEqual(["After", "k3s.service network-online.target"]);
    expect(unitPart).toContainEqual(["Wants", "k3s.service network-online.target"]);
    expect(value("Environment")).toEqual(["KUBECONFIG=/etc/rancher/k3s/k3s.yaml"]);
    expect(value("EnvironmentFile")).toEqual(["-/etc/vworkspace-operator/env"]);
    for (const [key, expected] of [["Restart", "always"], ["NoNewPrivileges", "yes"], ["ProtectSystem", "strict"], ["ProtectHome", "yes"], ["PrivateTmp", "yes"], ["StateDirectory", "vworkspace-operator"], ["CapabilityBoundingSet", ""]] as const) {
      expect(value(key)).toEqual([expected]);
    }
    expect(unitSection(unit, "Install")).toContainEqual(["WantedBy", "multi-user.target"]);

    const verify = Bun.spawnSync(["systemd-analyze", "verify", `--root=${root}`, "--man=no", `/${UNIT}`], { stdout: "pipe", stderr: "pipe" });
    // Unknown keys and bad values are only warnings (exit 0), so stderr must be empty too.
    expect(verify.stderr.toString()).toBe("");
    expect(verify.exitCode).toBe(0);
    const security = Bun.spawnSync(["systemd-analyze", "security", "--offline=true", `--root=${root}`, "vworkspace-operator.service"], { stdout: "pipe", stderr: "pipe" });
    const exposure = /Overall exposure level for vworkspace-operator\.service: ([\d.]+)/.exec(security.stdout.toString());
    expect(exposure).not.toBeNull();
    // systemd's scale: 0 (locked down) to 10 (unprotected); under 3 is its "OK" band.
    expect(Number(exposure![1])).toBeLessThan(3);
  });

  test("--install-crds makes every start apply the CRDs", () => {
    const root = stage();
    expect(install(["--binary", binary, "--root", root, "--install-crds"]).code).toBe(0);
    expect(unitSection(readFileSync(join(root, UNIT), "utf8"), "Service")).toContainEqual(["Environment", "VWS_INSTALL_CRDS=true"]);
  });

  test("a reinstall keeps the environment file; --uninstall keeps it, --purge removes it", () => {
    const root = stage();
    expect(install(["--binary", binary, "--root", root]).code).toBe(0);
    writeFileSync(join(root, ENV_FILE), "VWS_LOG_LEVEL=debug\n");
    expect(install(["--binary", binary, "--root", root]).code).toBe(0);
    expect(readFileSync(join(root, ENV_FILE), "utf8")).toBe("VWS_LOG_LEVEL=debug\n");
    mkdirSync(join(root, "var/lib/vworkspace-operator"), { recursive: true });

    expect(install(["--uninstall", "--root", root]).code).toBe(0);
    expect(existsSync(join(root, BIN))).toBe(false);
    expect(existsSync(join(root, UNIT))).toBe(false);
    expect(readFileSync(join(root, ENV_FILE), "utf8")).toBe("VWS_LOG_LEVEL=debug\n");

    expect(install(["--uninstall", "--purge", "--root", root]).code).toBe(0);
    expect(existsSync(join(root, "etc/vworkspace-operator"))).toBe(false);
    expect(existsSync(join(root, "var/lib/vworkspace-operator"))).toBe(false);
    expect(existsSync(join(root, K3S_KUBECONFIG))).toBe(true);
  });
});

describe("install.sh --root: the unit's ExecStart, run as written", () => {
  const ns = useNamespace({ slug: "e2e-install" });

  test("answers /readyz 200 with its environment file, then exits 0 on SIGTERM", async () => {
    const root = stage();
    expect(install(["--binary", binary, "--root", root]).code).toBe(0);
    // What an operator of the VM would put there; webhooks off: the shared test cluster's webhook
    // configuration belongs to other tests.
    writeFileSync(join(root, ENV_FILE), [
      "# test settings",
      `VWS_OPERATOR_ARGS=--webhooks-enabled=false --namespace=${ns.name}`,
      `VWS_WATCH_NAMESPACES=${ns.name}`,
      'VWS_HEALTH_PROBE_BIND_ADDRESS="127.0.0.1:0"',
      "",
    ].join("\n"));

    const service = unitSection(readFileSync(join(root, UNIT), "utf8"), "Service");
    const values = (key: string) => service.filter(([k]) => k === key).map(([, v]) => v);
    // systemd: Environment= first, EnvironmentFile= overrides it; a leading '-' means optional.
    let env: Record<string, string> = {};
    for (const assignment of values("Environment")) env = { ...env, ...environmentAssignments(assignment) };
    for (const file of values("EnvironmentFile")) {
      const path = join(root, file.replace(/^-/, ""));
      if (existsSync(path)) env = { ...env, ...environmentFile(readFileSync(path, "utf8")) };
    }
    env.KUBECONFIG = join(root, env.KUBECONFIG!);
    const [program, ...args] = execArgv(values("ExecStart")[0]!, env);
    expect(program).toBe("/usr/local/bin/vworkspace-operator");
    expect(args).toEqual(["run", "--webhooks-enabled=false", `--namespace=${ns.name}`]);
    const workdir = join(root, values("WorkingDirectory")[0]!);
    mkdirSync(workdir, { recursive: true });

    const logs = new LogCapture(join(REPO_ROOT, ".local/test-logs/e2e-install/execstart.log"));
    const proc = Bun.spawn([join(root, program!), ...args], { cwd: workdir, env: { PATH: "/usr/bin:/bin", ...env }, stdout: "pipe", stderr: "pipe" });
    const decoder = new TextDecoder();
    void (async () => { for await (const chunk of proc.stdout) logs.write(decoder.decode(chunk, { stream: true })); })();
    void (async () => { for await (const chunk of proc.stderr) logs.write(decoder.decode(chunk, { stream: true })); })();
    try {
      const line = await logs.waitFor((candidate) => typeof jsonLine(candidate)?.healthAddress === "string", 30_000);
      const healthUrl = jsonLine(line)?.healthAddress as string;
      expect(healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await eventually(async () => (await fetch(`${healthUrl}/readyz`)).status === 200, { what: "ExecStart's /readyz 200", timeoutMs: 30_000 });
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  });
});

describe("install.sh: bad input changes nothing", () => {
  function expectRefused(root: string, args: string[], message: string, env: Record<string, string> = {}) {
    const before = tree(root);
    const result = install(args, env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(tree(root)).toEqual(before);
  }

  test("a missing binary", () => {
    const root = stage();
    expectRefused(root, ["--binary", join(WORK, "no-such-binary"), "--root", root], `binary ${join(WORK, "no-such-binary")} not found`);
  });

  test("a binary that is not the operator", () => {
    const root = stage();
    expectRefused(root, ["--binary", "/bin/true", "--root", root], "/bin/true is not the vworkspace-operator");
  });

  test("no kubeconfig, a directory as kubeconfig, a file that is no kubeconfig", () => {
    const root = stage({ kubeconfig: false });
    expectRefused(root, ["--binary", binary, "--root", root], `kubeconfig ${root}/etc/rancher/k3s/k3s.yaml does not exist`);
    mkdirSync(join(root, K3S_KUBECONFIG), { recursive: true });
    expectRefused(root, ["--binary", binary, "--root", root], "is not a regular file");
    rmSync(join(root, K3S_KUBECONFIG), { recursive: true });
    writeFileSync(join(root, K3S_KUBECONFIG), "just text\n");
    expectRefused(root, ["--binary", binary, "--root", root], "not a kubeconfig");
  });

  test("no systemd: a real install refuses before touching the machine", () => {
    const placed = ["/usr/local/bin/vworkspace-operator", "/etc/systemd/system/vworkspace-operator.service", "/etc/vworkspace-operator"].filter((path) => existsSync(path));
    const result = install(["--binary", binary, "--kubeconfig", kubeconfigPath], { VWS_SYSTEMD_RUNTIME_DIR: join(WORK, "no-systemd-here") });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("systemd is not running on this machine");
    expect(["/usr/local/bin/vworkspace-operator", "/etc/systemd/system/vworkspace-operator.service", "/etc/vworkspace-operator"].filter((path) => existsSync(path))).toEqual(placed);
  });

  test("not root: a real install refuses before touching the machine", () => {
    // A systemd runtime directory that exists, so the privilege check is the one that answers.
    mkdirSync(join(WORK, "systemd-runtime"), { recursive: true });
    const result = Bun.spawnSync(["setpriv", "--reuid=65532", "--regid=65532", "--clear-groups", "bash", join(REPO_ROOT, "scripts/install.sh"), "--binary", binary], {
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", VWS_SYSTEMD_RUNTIME_DIR: join(WORK, "systemd-runtime") },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.toString()).toContain("needs root (sudo), or --root DIR to stage");
  });

  test("--purge without --uninstall", () => {
    const root = stage();
    expectRefused(root, ["--binary", binary, "--root", root, "--purge"], "--purge goes with --uninstall");
  });
});
