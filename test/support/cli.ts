/** Runs the operator's command line in-process (src/cli/main) and captures what it printed. */
import { main } from "../../src/cli/main";

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(...args: string[]): Promise<CliOutcome> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {}, { out: (text) => out.push(`${text}\n`), err: (text) => err.push(`${text}\n`) });
  return { code, stdout: out.join(""), stderr: err.join("") };
}
