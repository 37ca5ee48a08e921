/** `control-plane token create [--cluster-id ID] [--ttl 24h]`: prints the registration token only. */
import { FlagError, parseFlags, renderFlagHelp, type FlagSpec } from "../../commandline/flags";
import type { CommandIO, Env } from "../../commandline/command";
import { ADMIN_FLAGS, adminClientFrom } from "./admin-flags";

const TOKEN_FLAGS: FlagSpec[] = [
  ...ADMIN_FLAGS,
  { name: "cluster-id", type: "string", help: "bind the token to this cluster id" },
  { name: "ttl", type: "duration", default: "24h", help: "token lifetime" },
];

export async function tokenCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h") || args[0] !== "create") {
    io.out(`Usage: vworkspace-operator control-plane token create [flags]\n\nFlags:\n${renderFlagHelp(TOKEN_FLAGS)}`);
    return args.includes("--help") || args.includes("-h") ? 0 : 2;
  }
  const parsed = parseFlags(args.slice(1), TOKEN_FLAGS, env);
  if (parsed.positionals.length > 0) throw new FlagError(`unexpected argument "${parsed.positionals[0]}"`);
  const ttlMs = parsed.values.get("ttl") as number;
  if (ttlMs < 1000) throw new FlagError("--ttl must be at least 1s");
  const issued = await adminClientFrom(parsed).createRegistrationToken(parsed.values.get("cluster-id") as string | undefined, Math.floor(ttlMs / 1000));
  io.out(issued.token);
  return 0;
}
