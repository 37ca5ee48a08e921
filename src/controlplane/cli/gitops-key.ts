/**
 * `control-plane gitops-key`: the armored public key of the plane's GitOps signing key, the `*.asc` entry of the
 * Secret a GitRepository's `spec.verify` names (docs/connectivity.md#signed-desired-state). Public material only.
 */
import { FlagError, parseFlags, renderFlagHelp } from "../../commandline/flags";
import type { CommandIO, Env } from "../../commandline/command";
import { ADMIN_FLAGS, adminClientFrom } from "./admin-flags";

export async function gitopsKeyCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`Usage: vworkspace-operator control-plane gitops-key [flags] > control-plane.asc\n\nFlags:\n${renderFlagHelp(ADMIN_FLAGS)}`);
    return 0;
  }
  const parsed = parseFlags(args, ADMIN_FLAGS, env);
  if (parsed.positionals.length > 0) throw new FlagError(`unexpected argument "${parsed.positionals[0]}"`);
  const key = await adminClientFrom(parsed).gitopsSigningKey();
  io.out(key.publicKey.trimEnd());
  return 0;
}
