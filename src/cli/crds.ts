import type { CommandIO, Env } from "../commandline/command";

export async function crdsCommand(args: string[], _env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out("Usage: vworkspace-operator crds\n\nPrints the ApplicationInstance, Operation and Cluster CRDs as one YAML stream.");
    return 0;
  }
  if (args.length > 0) {
    io.err(`vworkspace-operator crds: unexpected argument "${args[0]}"`);
    return 2;
  }
  // Loaded here only: the renderer pulls in the yaml package, which `run` does not need in memory.
  const { renderCrdBundle } = await import("../api/crd/render");
  io.out(renderCrdBundle());
  return 0;
}
