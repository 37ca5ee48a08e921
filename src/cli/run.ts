/** `run`: the controller manager, until SIGTERM or SIGINT; exits 0 after a graceful stop. */
import { DEFAULT_CONTROLLERS } from "../controllers";
import { configFromFlags, RUN_FLAGS } from "../manager/config";
import { createOperator } from "../manager/operator";
import { createLogger } from "../observability/logger";
import { waitForTermination, type CommandIO, type Env } from "../commandline/command";
import { parseFlags, renderFlagHelp } from "../commandline/flags";

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
  await waitForTermination();
  logger.info("received termination signal; shutting down");
  await operator.stop();
  logger.info("stopped");
  return 0;
}
