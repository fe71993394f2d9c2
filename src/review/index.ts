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
 * table and its indexes (as of the last VACUUM or ANALYZE), and its estimated rows. A partitioned table
 * has no storage of its own (relpages -1): its size is its partitions', found through pg_inherits, and
 * its rows theirs when it was never analysed itself (unknown while a partition never was either). Never pg_total_relation_size or
 * pg_partition_tree: they open or lock the tables, and would wait behind a transaction that holds a lock
 * on one (the run would hang before the first migration, the lock it came to check in hand).
 */
async function tableSizes(client: pg.Client, relations: readonly string[]): Promise<Map<string, TableSize>> {
  if (relations.length === 0) return new Map();
  const { rows } = await client.query<{ name: string; bytes: string | null; rows: number | null }>(
    `WITH RECURSIVE named AS (
       SELECT name, to_regclass(name) AS root FROM (SELECT DISTINCT unnest($1::text[]) AS name) AS names
     ), tree(root, rel) AS (
       SELECT root, root FROM named WHERE root IS NOT NULL
       UNION
       SELECT tree.root, i.inhrelid FROM tree JOIN pg_class p ON p.oid = tree.rel AND p.relkind = 'p' JOIN pg_inherits i ON i.inhparent = p.oid
     )
     SELECT named.name,
            sum(greatest(c.relpages, 0)::bigint + greatest(coalesce(t.relpages, 0), 0)
                + coalesce((SELECT sum(greatest(i.relpages, 0)) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid), 0))
              * current_setting('block_size')::bigint AS bytes,
            coalesce(max(c.reltuples) FILTER (WHERE c.oid = named.root AND c.reltuples >= 0),
                     -- the partitions' estimates, when every one of them has one
                     CASE WHEN bool_and(c.reltuples >= 0) FILTER (WHERE c.oid <> named.root AND c.relkind <> 'p')
                          THEN sum(c.reltuples) FILTER (WHERE c.oid <> named.root AND c.relkind <> 'p') END) AS rows
       FROM named
       JOIN tree ON tree.root = named.root
       JOIN pg_class c ON c.oid = tree.rel
       LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
      GROUP BY named.name, named.root`,
    [relations],
  );
  return new Map(rows.map((r) => [r.name, { bytes: Number(r.bytes ?? 0), rows: r.rows === null || r.rows < 0 ? undefined : Number(r.rows) }]));
}
