/**
 * Runs a batch of attack jobs through the reference plane and scores each: refused when the result is not
 * `succeeded` (and carries one of the expected error codes, when the rules fix one); escaped when the
 * attack's own probe finds its effect in the cluster.
 */
import { recordAttack } from "./tally";
import { runJobs, type Stage } from "./stage";

export interface AttackCase {
  /** Row of the attack table. */
  attack: string;
  job: Record<string, unknown> & { id: string };
  /** Acceptable error codes; undefined = any refusal. */
  codes?: readonly string[];
  /** True when the attack's effect is visible in the cluster. */
  escaped(): Promise<boolean>;
}

export function scoreResult(attack: string, result: Record<string, unknown> | undefined, codes: readonly string[] | undefined, escaped: boolean): string | undefined {
  const outcome = result?.outcome;
  const code = result?.errorCode as string | undefined;
  const refused = outcome !== undefined && outcome !== "succeeded" && (codes === undefined || (code !== undefined && codes.includes(code)));
  const note = `result ${outcome}/${code ?? "-"}${codes ? ` (expected ${codes.join("|")})` : ""}${escaped ? ", effect found in the cluster" : ""}`;
  recordAttack(attack, { refused, escaped, note });
  return refused && !escaped ? undefined : `${attack}: ${note}`;
}

/** Runs every case; returns one line per case that was not refused or escaped (empty when all held). */
export async function runAttackCases(stage: Stage, cases: readonly AttackCase[]): Promise<string[]> {
  const results = await runJobs(stage, cases.map((entry) => entry.job));
  const problems: string[] = [];
  for (const entry of cases) {
    const problem = scoreResult(entry.attack, results.get(entry.job.id), entry.codes, await entry.escaped());
    if (problem) problems.push(problem);
  }
  return problems;
}
