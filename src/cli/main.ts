/** Subcommand dispatch. Returns the process exit code; never calls process.exit itself. */
import pkg from "../../package.json";
import type { CommandIO, Env } from "../commandline/command";
import { FlagError } from "../commandline/flags";
import { runCommand } from "./run";
import { crdsCommand } from "./crds";

interface Command {
  summary: string;
  run(args: string[], env: Env, io: CommandIO): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  run: { summary: "run the controller manager (reconcilers, health, metrics, leader election)", run: runCommand },
  crds: { summary: "print the operator's CustomResourceDefinitions as YAML", run: crdsCommand },
  doctor: {
    summary: "report what the cluster has and lacks for the operator (exit 1 when a required piece is missing)",
    run: async (args, env, io) => (await import("./doctor")).doctorCommand(args, env, io),
  },
  register: {
    summary: "register this cluster with a control plane (creates the Cluster and waits)",
    run: async (args, env, io) => (await import("./register")).registerCommand(args, env, io),
  },
  "control-plane": {
    summary: "the reference control plane: serve, token, enqueue, events",
    // Loaded on first use: `run` never parses the control plane or bun:sqlite.
    run: async (args, env, io) => (await import("../controlplane/cli/command")).controlPlaneCommand(args, env, io),
  },
  "push-kubeconfig": {
    summary: "write a kubeconfig for the control plane's ServiceAccount (push mode), checked with the new token",
    run: async (args, env, io) => (await import("../push/kubeconfig-command")).pushKubeconfigCommand(args, env, io),
  },
  render: {
    summary: "write a cluster's desired state as the GitOps repository layout (exit 3 with --check when it would change)",
    run: async (args, env, io) => (await import("../gitops/render/command")).renderCommand(args, env, io),
  },
  version: {
    summary: "print the version",
    run: async (_args, _env, io) => {
      io.out(`vworkspace-operator ${pkg.version} (bun ${Bun.version})`);
      return 0;
    },
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(14)} ${command.summary}`);
  return ["Usage: vworkspace-operator <command> [flags]", "", "Commands:", ...lines, "", "Run 'vworkspace-operator <command> --help' for a command's flags."].join("\n");
}

export async function main(argv: string[], env: Env, io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    return 0;
  }
  if (name === "--version") return COMMANDS.version!.run([], env, io);
  const command = COMMANDS[name];
  if (!command) {
    io.err(`vworkspace-operator: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, env, io);
  } catch (err) {
    if (err instanceof FlagError) {
      io.err(`vworkspace-operator ${name}: ${err.message}`);
      return 2;
    }
    io.err(`vworkspace-operator ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
