import { describe, expect, test } from "bun:test";
import { formatDuration, parseDuration } from "../../../src/commandline/duration";
import { FlagError, parseFlags, type FlagSpec } from "../../../src/commandline/flags";
import { runCommand } from "../../../src/cli/run";
import { RUN_FLAGS, configFromFlags } from "../../../src/manager/config";

describe("Go durations", () => {
  test.each([
    ["90s", 90_000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["250ms", 250],
    ["1.5s", 1_500],
    ["0", 0],
  ])("%s is %d ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(["", "10", "5 m", "m", "1d", "10mm"])("%p is rejected", (text) => expect(parseDuration(text)).toBeUndefined());

  test.each([
    [300_000, "5m0s"],
    [600_000, "10m0s"],
    [3_661_000, "1h1m1s"],
    [45_000, "45s"],
  ])("%d ms renders as %s", (ms, text) => expect(formatDuration(ms)).toBe(text));
});

const SPECS: FlagSpec[] = [
  { name: "name", type: "string", help: "", env: "T_NAME", default: "dflt" },
  { name: "on", type: "bool", help: "", default: "false" },
  { name: "count", type: "int", help: "" },
  { name: "wait", type: "duration", help: "" },
  { name: "list", type: "list", help: "", default: "" },
];

describe("flag parsing", () => {
  test("defaults, environment fallback and explicit flags, in rising precedence", () => {
    expect(parseFlags([], SPECS, {}).values.get("name")).toBe("dflt");
    expect(parseFlags([], SPECS, { T_NAME: "env" }).values.get("name")).toBe("env");
    expect(parseFlags(["--name=flag"], SPECS, { T_NAME: "env" }).values.get("name")).toBe("flag");
    expect(parseFlags(["--name", "spaced"], SPECS, {}).values.get("name")).toBe("spaced");
  });

  test("typed values", () => {
    const { values, positionals } = parseFlags(["run", "--on", "--count=3", "--wait=2m", "--list=a, b,,c", "extra"], SPECS, {});
    expect(values.get("on")).toBe(true);
    expect(values.get("count")).toBe(3);
    expect(values.get("wait")).toBe(120_000);
    expect(values.get("list")).toEqual(["a", "b", "c"]);
    expect(positionals).toEqual(["run", "extra"]);
    expect(parseFlags(["--on=false"], SPECS, {}).values.get("on")).toBe(false);
  });

  test.each([
    [["--nope"], "unknown flag --nope"],
    [["--count=x"], '--count: "x" is not an integer'],
    [["--wait=10"], '--wait: "10" is not a duration'],
    [["--on=maybe"], '--on: "maybe" is not a boolean'],
    [["--count"], "--count needs a value"],
  ])("%p fails with a message naming the flag", (args, message) => {
    expect(() => parseFlags(args, SPECS, {})).toThrow(FlagError);
    expect(() => parseFlags(args, SPECS, {})).toThrow(message);
  });

  test("a bad environment value names the variable", () => {
    expect(() => parseFlags([], [{ name: "n", type: "int", help: "", env: "T_N" }], { T_N: "x" })).toThrow('$T_N: "x" is not an integer');
  });
});

describe("run configuration", () => {
  test("defaults match the Go operator where it had the flag", () => {
    const config = configFromFlags(parseFlags([], RUN_FLAGS, {}));
    expect(config.metricsBindAddress).toBe("0");
    expect(config.healthProbeBindAddress).toBe(":8081");
    expect(config.leaderElect).toBe(false);
    expect(config.leaderElectionId).toBe("dad03b25.vworkspace.io");
    expect(config.leaderElectionNamespace).toBe("vworkspace-system");
    expect(config.resyncPeriodMs).toBe(600_000);
  });

  test("the lease namespace follows --namespace unless set", () => {
    expect(configFromFlags(parseFlags(["--namespace=ops"], RUN_FLAGS, {})).leaderElectionNamespace).toBe("ops");
    expect(configFromFlags(parseFlags(["--namespace=ops", "--leader-election-namespace=x"], RUN_FLAGS, {})).leaderElectionNamespace).toBe("x");
    expect(configFromFlags(parseFlags([], RUN_FLAGS, { POD_NAMESPACE: "pod-ns" })).namespace).toBe("pod-ns");
  });

  test("jobs may write BackupStorageLocations only with the explicit flag, listed in run --help", async () => {
    expect(configFromFlags(parseFlags([], RUN_FLAGS, {})).agent.allowJobBackupStorageLocations).toBe(false);
    expect(configFromFlags(parseFlags(["--allow-job-backup-storage-locations"], RUN_FLAGS, {})).agent.allowJobBackupStorageLocations).toBe(true);
    expect(configFromFlags(parseFlags([], RUN_FLAGS, { VWS_ALLOW_JOB_BACKUP_STORAGE_LOCATIONS: "true" })).agent.allowJobBackupStorageLocations).toBe(true);
    const out: string[] = [];
    const code = await runCommand(["--help"], {}, { out: (text: string) => out.push(text), err: () => undefined });
    expect(code).toBe(0);
    expect(out.join("\n")).toContain("--allow-job-backup-storage-locations");
  });
});
