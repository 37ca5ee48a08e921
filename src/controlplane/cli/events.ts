/** `control-plane events --cluster-id ID [--event-kind K] [--follow]`: one JSON event per line. */
import { FlagError, parseFlags, renderFlagHelp, type FlagSpec } from "../../commandline/flags";
import type { CommandIO, Env } from "../../commandline/command";
import { ADMIN_FLAGS, adminClientFrom } from "./admin-flags";

const EVENTS_FLAGS: FlagSpec[] = [
  ...ADMIN_FLAGS,
  { name: "cluster-id", type: "string", help: "cluster whose events to print (required)" },
  { name: "event-kind", type: "string", help: "only events of this kind (ConditionTransition, ClusterHeartbeat, …)" },
  { name: "follow", type: "bool", help: "keep printing new events until interrupted" },
];

const FOLLOW_INTERVAL_MS = 1000;

/** With --follow it polls until the process is interrupted. */
export async function eventsCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`Usage: vworkspace-operator control-plane events --cluster-id ID [flags]\n\nFlags:\n${renderFlagHelp(EVENTS_FLAGS)}`);
    return 0;
  }
  const parsed = parseFlags(args, EVENTS_FLAGS, env);
  if (parsed.positionals.length > 0) throw new FlagError(`unexpected argument "${parsed.positionals[0]}"`);
  const clusterId = parsed.values.get("cluster-id") as string | undefined;
  if (!clusterId) throw new FlagError("--cluster-id is required");
  const eventKind = parsed.values.get("event-kind") as string | undefined;
  const admin = adminClientFrom(parsed);
  let after = 0;
  for (;;) {
    const page = await admin.events({ clusterId, after, ...(eventKind ? { eventKind } : {}) });
    for (const { seq: _seq, ...event } of page.events) io.out(JSON.stringify(event));
    after = page.next;
    if (page.events.length > 0) continue;
    if (parsed.values.get("follow") !== true) return 0;
    await Bun.sleep(FOLLOW_INTERVAL_MS);
  }
}
