/**
 * The attack table of the adversarial suite: every attack is recorded as tried, refused (the agent or plane
 * answered with a refusal) and escaped (its target was written or changed anyway). Printed once at the end.
 */

export interface AttackOutcome {
  /** The agent or plane refused it as the rules require (right outcome, right code where one is fixed). */
  refused: boolean;
  /** Its effect reached the cluster or leaked data: must never happen. */
  escaped: boolean;
  /** Why it counts as not refused or escaped; shown in the failure message. */
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
  if (outcome.note && (!outcome.refused || outcome.escaped)) row.notes.push(outcome.note);
  rows.set(attack, row);
  return outcome;
}

/** Attacks that were not refused or that escaped, with their notes (empty when all held). */
export function failures(attacks: readonly string[]): string[] {
  return attacks.flatMap((attack) => {
    const row = rows.get(attack);
    if (!row) return [`${attack}: never tried`];
    return row.refused === row.tried && row.escaped === 0 ? [] : [`${attack}: tried ${row.tried}, refused ${row.refused}, escaped ${row.escaped}: ${row.notes.slice(0, 3).join("; ")}`];
  });
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
  return [line("attack", "tried", "refused", "escaped"), ...names.map((name) => {
    const row = rows.get(name)!;
    return line(name, row.tried, row.refused, row.escaped);
  }), line("total", sum.tried, sum.refused, sum.escaped)].join("\n");
}
