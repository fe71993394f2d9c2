import type { EngineMigration } from '../engines/types.js';
import { blocks, lockName, stronger, type LockMode } from './locks.js';
import type { AnalyzedStatement } from './statements.js';

/** The line of the file a statement at `line` of `migration.sql` is at; undefined when the SQL is not the file's text. Pure. */
export function fileLine(migration: Pick<EngineMigration, 'sqlLine'>, line: number): number | undefined {
  return migration.sqlLine === undefined ? undefined : migration.sqlLine + line - 1;
}

/** A table's size now, from the catalog. */
export interface TableSize {
  readonly bytes: number;
  /** The planner's estimate (pg_class.reltuples); undefined when the table was never analysed. */
  readonly rows?: number;
}

export interface ReviewedStatement extends AnalyzedStatement {
  /** The size of each locked relation that exists now, by the name the statement uses. */
  readonly sizes: ReadonlyMap<string, TableSize>;
}

/** What a pending migration's statements will do, or why that is not known before it runs. */
export interface MigrationReview {
  readonly migration: EngineMigration;
  readonly statements?: readonly ReviewedStatement[];
  readonly note?: string;
}

/** `~300M rows` from an estimate. Pure. */
export function roughCount(rows: number): string {
  if (rows < 1_000) return `~${Math.round(rows)}`;
  if (rows < 1_000_000) return `~${(rows / 1_000).toFixed(rows < 10_000 ? 1 : 0)}k`;
  if (rows < 1_000_000_000) return `~${(rows / 1_000_000).toFixed(rows < 10_000_000 ? 1 : 0)}M`;
  return `~${(rows / 1_000_000_000).toFixed(1)}G`;
}

/**
 * One line per statement: `ACCESS EXCLUSIVE on orders (48 GB, ~300M rows); blocks reads and writes;
 * rewrites the table`. Pure.
 */
export function describeStatement(statement: ReviewedStatement, formatBytes: (bytes: number) => string): string {
  const parts = statement.locks.map((lock) => {
    const size = statement.sizes.get(lock.relation);
    const shown = size ? ` (${formatBytes(size.bytes)}${size.rows === undefined ? '' : `, ${roughCount(size.rows)} rows`})` : '';
    return `${lockName(lock.mode)} on ${lock.relation}${shown}`;
  });
  const strongest = statement.locks.map((l) => l.mode).reduce<LockMode | undefined>((a, b) => (a === undefined ? b : stronger(a, b)), undefined);
  const effects = [
    ...(strongest ? [`blocks ${blocks(strongest)}`] : []),
    ...(statement.rewrites ? ['rewrites the table'] : statement.scans ? ['reads the whole table'] : []),
  ];
  return [parts.length > 0 ? parts.join(', ') : 'no table lock', ...effects].join('; ');
}
