/** `run`: the controller manager, until SIGTERM or SIGINT; exits 0 after a graceful stop. */
import { DEFAULT_CONTROLLERS } from "../controllers";
import { configFromFlags, RUN_FLAGS } from "../manager/config";
import { createOperator } from "../manager/operator";
import { reclaimExecutablePages } from "../manager/executable-pages";
import { createLogger } from "../observability/logger";
import { waitForTermination, type CommandIO, type Env } from "../commandline/command";
import { parseFlags, renderFlagHelp } from "../commandline/flags";

/** File-backed RSS growth that makes another reclaim worth its page faults (docs/install.md#memory). */
const RECLAIM_GROWTH_KIB = 8 * 1024;

export async function runCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`Usage: vworkspace-operator run [flags]\n\nFlags:\n${renderFlagHelp(RUN_FLAGS)}`);
    return 0;
  }
  const parsed = parseFlags(args, RUN_FLAGS, env);
  if (parsed.positionals.length > 0) {
    io.err(`vworkspace-operator run: unexpected argument "${parsed.positionals[0]}"`);
    return 2;
  }
  const config = configFromFlags(parsed);
  const logger = createLogger({ level: config.logLevel });
  const operator = createOperator(config, { logger, env, controllers: [...DEFAULT_CONTROLLERS] });
  await operator.start();
  logger.info({ identity: operator.identity, leaderElect: config.leaderElect }, "operator started");
  const stopReclaim = reclaimExecutablePages({
    intervalMs: parsed.values.get("page-out-interval") as number,
    growthKiB: RECLAIM_GROWTH_KIB,
    onReclaimed: ({ before, after }) => logger.debug({ rssBeforeKiB: before.total, rssAfterKiB: after.total }, "executable pages reclaimed"),
    onUnavailable: (error) => logger.debug({ err: error }, "executable pages cannot be reclaimed here"),
  });
  await waitForTermination();
  stopReclaim();
  logger.info("received termination signal; shutting down");
  await operator.stop();
  logger.info("stopped");
  return 0;
}

