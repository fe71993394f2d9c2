import type pg from 'pg';
import { stronger } from './locks.js';
import type { AnalyzedStatement, PredictedLock } from './statements.js';

/**
 * What the catalog adds to the statements' predictions, on the run's connection (read only): the table
 * of a dropped index, the tables a dropped table's foreign keys reference (their triggers go with it),
 * and whether a column's type change rewrites the table (varchar(20) to varchar(50) does not).
 */
export async function resolveWithCatalog(client: pg.Client, statements: readonly AnalyzedStatement[]): Promise<AnalyzedStatement[]> {
  const resolved: AnalyzedStatement[] = [];
  for (const statement of statements) {
    const locks = [...statement.locks];
    let rewrites = statement.rewrites;
    const add = (lock: PredictedLock) => {
      const at = locks.findIndex((l) => l.relation === lock.relation);
      if (at >= 0) locks[at] = { ...locks[at]!, mode: stronger(locks[at]!.mode, lock.mode) };
      else locks.push(lock);
    };
    for (const pending of statement.pending) {
      if (pending.kind === 'table-of-index') {
        const { rows } = await client.query<{ t: string }>('SELECT indrelid::regclass::text AS t FROM pg_index WHERE indexrelid = to_regclass($1)', [pending.index]);
        if (rows[0]) add({ relation: rows[0].t, mode: pending.mode, role: 'index table' });
      } else if (pending.kind === 'referenced-by') {
        const { rows } = await client.query<{ t: string }>(
          "SELECT DISTINCT confrelid::regclass::text AS t FROM pg_constraint WHERE contype = 'f' AND conrelid = to_regclass($1) AND confrelid <> conrelid ORDER BY 1",
          [pending.table],
        );
        for (const row of rows) add({ relation: row.t, mode: pending.mode, role: 'referenced' });
      } else {
        const { rows } = await client.query<{ base: string; full: string }>(
          'SELECT format_type(atttypid, NULL) AS base, format_type(atttypid, atttypmod) AS full FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped',
          [pending.table, pending.column],
        );
        rewrites ||= rows[0] === undefined || typeChangeRewrites(rows[0].base, rows[0].full, pending.base, pending.mods);
      }
    }
    resolved.push({ ...statement, locks, rewrites });
  }
  return resolved;
}

/** The catalog's names of the types an AST names by their internal names. */
const CATALOG_NAMES: Readonly<Record<string, string>> = { varchar: 'character varying', text: 'text', numeric: 'numeric', bpchar: 'character', varbit: 'bit varying' };

/**
 * Whether changing a column of type `oldFull` (format_type, e.g. `character varying(20)`) to `newBase`
 * with `newMods` rewrites the table: not for the same type and size, a longer (or unlimited) varchar or
 * varbit, varchar to text, or a numeric with more digits and the same scale. Everything else is taken to
 * rewrite (the cautious answer). Pure.
 */
export function typeChangeRewrites(oldBase: string, oldFull: string, newBase: string, newMods: readonly number[]): boolean {
  const target = CATALOG_NAMES[newBase];
  if (target === undefined) return true;
  const oldMods = (/\(([\d,\s]+)\)$/.exec(oldFull)?.[1] ?? '').split(',').filter((m) => m.trim() !== '').map(Number);
  if (target === 'text') return oldBase !== 'text' && oldBase !== 'character varying';
  if (target !== oldBase) return true;
  if (newMods.length === 0) return target === 'character';
  if (oldMods.length === 0) return true;
  if (target === 'character varying' || target === 'bit varying') return newMods[0]! < oldMods[0]!;
  if (target === 'numeric') return !(newMods[0]! >= oldMods[0]! && (newMods[1] ?? 0) === (oldMods[1] ?? 0));
  return newMods[0] !== oldMods[0];
}
