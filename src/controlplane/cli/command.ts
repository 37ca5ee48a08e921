/** `vworkspace-operator control-plane <serve|token|enqueue|clusters|set-mode|gitops-key|events|demo>`. */
import type { CommandIO, Env } from "../../commandline/command";

const SUBCOMMANDS: Record<string, { summary: string; load: () => Promise<(args: string[], env: Env, io: CommandIO) => Promise<number>> }> = {
  serve: { summary: "run the reference control plane", load: async () => (await import("./serve")).serveCommand },
  token: { summary: "create a registration token (token create)", load: async () => (await import("./token")).tokenCommand },
  enqueue: { summary: "enqueue a job for a cluster", load: async () => (await import("./enqueue")).enqueueCommand },
  clusters: { summary: "list the clusters with their mode", load: async () => (await import("./clusters")).clustersCommand },
  "set-mode": { summary: "set a cluster's mode: pull, push (with its kubeconfig) or gitops (with a Git remote)", load: async () => (await import("./set-mode")).setModeCommand },
  "gitops-key": { summary: "print the armored public key the GitOps commits are signed with", load: async () => (await import("./gitops-key")).gitopsKeyCommand },
  events: { summary: "print a cluster's events as JSON lines", load: async () => (await import("./events")).eventsCommand },
  demo: { summary: "register the cluster of the kubeconfig and deploy an instance through pull mode", load: async () => (await import("./demo")).demoCommand },
};

function usage(): string {
  const lines = Object.entries(SUBCOMMANDS).map(([name, sub]) => `  ${name.padEnd(10)} ${sub.summary}`);
  return ["Usage: vworkspace-operator control-plane <command> [flags]", "", "Commands:", ...lines].join("\n");
}

export async function controlPlaneCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const sub = SUBCOMMANDS[name];
  if (!sub) {
    io.err(`vworkspace-operator control-plane: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await sub.load())(rest, env, io);
}
