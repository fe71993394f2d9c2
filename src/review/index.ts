import type pg from 'pg';
import type { EngineMigration } from '../engines/types.js';
import { resolveWithCatalog } from './catalog.js';
import type { MigrationReview, TableSize } from './describe.js';
import { analyzeSql, type AnalyzedStatement } from './statements.js';

export { describeStatement, fileLine } from './describe.js';
export type { MigrationReview, ReviewedStatement, TableSize } from './describe.js';

/**
 * Each pending migration's statements with the locks they take, what those block, whether they rewrite
 * or scan, and the real size of every table they lock (read on `client`, changing nothing). A migration
 * whose SQL is not known before it runs, or that does not parse, gets a note instead.
 */
export async function reviewMigrations(client: pg.Client, planned: readonly EngineMigration[], serverVersion: number): Promise<MigrationReview[]> {
  const analyzed: { migration: EngineMigration; statements?: AnalyzedStatement[]; note?: string }[] = [];
  for (const migration of planned) {
    if (migration.sql === undefined) {
      analyzed.push({ migration, note: migration.sqlNote ?? 'its SQL is known only when it runs' });
      continue;
    }
    const statements = await analyzeSql(migration.sql, serverVersion);
    if (statements === undefined) analyzed.push({ migration, note: "PostgreSQL's grammar cannot parse it; the server would refuse it" });
    else analyzed.push({ migration, statements: await resolveWithCatalog(client, statements) });
  }
  // One query for the sizes of every table any of them locks.
  const sizes = await tableSizes(client, [...new Set(analyzed.flatMap((a) => (a.statements ?? []).flatMap((s) => s.locks.map((l) => l.relation))))]);
  return analyzed.map(({ migration, statements, note }) =>
    statements === undefined
      ? { migration, note }
      : {
          migration,
          statements: statements.map((statement) => ({
            ...statement,
            sizes: new Map(statement.locks.filter((l) => sizes.has(l.relation)).map((l) => [l.relation, sizes.get(l.relation)!])),
          })),
        },
  );
}

/**
 * Sizes of the relations that exist, in one query, from the catalog alone: pages of the table, its TOAST
 * table and its indexes (as of the last VACUUM or ANALYZE), and its estimated rows. Never
 * pg_total_relation_size: it opens the table, and would wait behind a transaction that holds a lock on
 * it (the run would hang before the first migration, the lock it came to check in hand).
 */
async function tableSizes(client: pg.Client, relations: readonly string[]): Promise<Map<string, TableSize>> {
  if (relations.length === 0) return new Map();
  const { rows } = await client.query<{ name: string; bytes: string | null; rows: number | null }>(
    `SELECT name,
            (c.relpages::bigint + coalesce(t.relpages, 0)
              + coalesce((SELECT sum(i.relpages) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid), 0))
              * current_setting('block_size')::bigint AS bytes,
            c.reltuples AS rows
       FROM unnest($1::text[]) AS name
       JOIN pg_class c ON c.oid = to_regclass(name)
       LEFT JOIN pg_class t ON t.oid = c.reltoastrelid`,
    [relations],
  );
  return new Map(rows.map((r) => [r.name, { bytes: Number(r.bytes ?? 0), rows: r.rows === null || r.rows < 0 ? undefined : r.rows }]));
}

