/** What every subcommand is given: its environment and where its output goes; and how it waits to be stopped. */

export type Env = Record<string, string | undefined>;

export interface CommandIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Resolves on the first SIGTERM or SIGINT; a second one exits at once. */
export function waitForTermination(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      const force = () => process.exit(1);
      process.once("SIGTERM", force);
      process.once("SIGINT", force);
      resolve();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}
