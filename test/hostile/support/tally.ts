/**
 * The attack table of the adversarial suite: every attack is recorded as tried, refused (the agent or plane
 * answered with a refusal) and escaped (its target was written or changed anyway). Printed once at the end.
 */

export interface AttackOutcome {
  /** The agent or plane refused it as the rules require (right outcome, right code where one is fixed). */
  refused: boolean;
  /** Its effect reached the cluster or leaked data: must never happen. */
  escaped: boolean;
  /** What was observed; listed under the table when the attack was not refused or escaped. */
  note?: string;
}

interface Row {
  tried: number;
  refused: number;
  escaped: number;
  notes: string[];
}

const rows = new Map<string, Row>();

export function recordAttack(attack: string, outcome: AttackOutcome): AttackOutcome {
  const row = rows.get(attack) ?? { tried: 0, refused: 0, escaped: 0, notes: [] };
  row.tried += 1;
  if (outcome.refused) row.refused += 1;
  if (outcome.escaped) row.escaped += 1;
  if (outcome.note && (!outcome.refused || outcome.escaped) && row.notes.length < 3) row.notes.push(outcome.note);
  rows.set(attack, row);
  return outcome;
}

export function totals(): { tried: number; refused: number; escaped: number } {
  let tried = 0;
  let refused = 0;
  let escaped = 0;
  for (const row of rows.values()) {
    tried += row.tried;
    refused += row.refused;
    escaped += row.escaped;
  }
  return { tried, refused, escaped };
}

export function attackTable(): string {
  const names = [...rows.keys()];
  const width = Math.max("attack".length, ...names.map((name) => name.length));
  const line = (name: string, tried: number | string, refused: number | string, escaped: number | string) =>
    `${name.padEnd(width)}  ${String(tried).padStart(6)}  ${String(refused).padStart(7)}  ${String(escaped).padStart(7)}`;
  const sum = totals();
  const notes = names.flatMap((name) => rows.get(name)!.notes.map((note) => `  ${name}: ${note}`));
  return [line("attack", "tried", "refused", "escaped"), ...names.map((name) => {
    const row = rows.get(name)!;
    return line(name, row.tried, row.refused, row.escaped);
  }), line("total", sum.tried, sum.refused, sum.escaped), ...(notes.length > 0 ? ["not refused or escaped:", ...notes] : [])].join("\n");
}
