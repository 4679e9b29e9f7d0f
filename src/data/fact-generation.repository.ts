import type { Knex } from 'knex';

/** The channel every write announces its facts' new generations on (pg_notify at commit). */
export const FACT_GENERATIONS_CHANNEL = 'fact_generations';

/** What one commit changed: the new generation of each fact it touched, all of one scope. */
export interface FactGenerationsChange {
  readonly scope: string;
  readonly generations: Readonly<Record<string, number>>;
}

export interface FactGenerationsSnapshot {
  /** The generation of every fact without a row (the sequence's start). */
  readonly baseline: number;
  readonly generations: ReadonlyMap<string, number>;
}

/**
 * Inside a write's transaction: gives each fact a new generation, higher than any it had, and
 * announces them on FACT_GENERATIONS_CHANNEL, which Postgres delivers to listeners only if and
 * when the transaction commits. Rows are locked in fact order, so two writes never deadlock here.
 * `greatest(old + 1, nextval)`: the sequence value is drawn before the row lock is waited for, so
 * a write that waited may hold a smaller number than the one it follows; the generation of a fact
 * still rises with every commit.
 */
export async function commitFactGenerations(trx: Knex.Transaction, scope: string, facts: readonly string[]): Promise<FactGenerationsChange> {
  const sorted = [...new Set(facts)].sort();
  if (sorted.length === 0) return { scope, generations: {} };
  const result = await trx.raw<{ rows: { fact: string; generation: string }[] }>(
    `insert into fact_generations (fact, scope, generation)
       select f.value, ?, nextval('fact_generation_seq')
         from json_array_elements_text(?::json) with ordinality as f(value, ord) order by f.ord
     on conflict (fact) do update
       set generation = greatest(fact_generations.generation + 1, excluded.generation), updated_at = now()
     returning fact, generation`,
    [scope, JSON.stringify(sorted)],
  );
  const generations: Record<string, number> = {};
  for (const row of result.rows) generations[row.fact] = Number(row.generation);
  const change: FactGenerationsChange = { scope, generations };
  await trx.raw('select pg_notify(?, ?)', [FACT_GENERATIONS_CHANNEL, encodeFactGenerations(change)]);
  return change;
}

/** Every fact's committed generation, and the baseline of facts without one. */
export async function loadFactGenerations(db: Knex): Promise<FactGenerationsSnapshot> {
  const rows = await db<{ fact: string; generation: string }>('fact_generations').select('fact', 'generation');
  let baseline = 0;
  const generations = new Map<string, number>();
  for (const row of rows) {
    if (row.fact === '') baseline = Number(row.generation);
    else generations.set(row.fact, Number(row.generation));
  }
  return { baseline, generations };
}

export function encodeFactGenerations(change: FactGenerationsChange): string {
  return JSON.stringify({ s: change.scope, g: change.generations });
}

/** null for a payload this module did not write. */
export function decodeFactGenerations(payload: string | undefined): FactGenerationsChange | null {
  if (payload === undefined) return null;
  try {
    const parsed = JSON.parse(payload) as { s?: unknown; g?: unknown };
    if (typeof parsed.s !== 'string' || typeof parsed.g !== 'object' || parsed.g === null) return null;
    const generations: Record<string, number> = {};
    for (const [fact, value] of Object.entries(parsed.g as Record<string, unknown>)) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return null;
      generations[fact] = value;
    }
    return { scope: parsed.s, generations };
  } catch {
    return null;
  }
}
