import { hash } from 'node:crypto';
import type pg from 'pg';
import { poolerError } from '../db/session.js';
import { UserError } from '../errors.js';
import { hashMigration, type MigrationFile } from './files.js';

/** A row of the `migrations` table. */
export interface AppliedRow {
  readonly id: number;
  readonly name: string;
  readonly hash: string;
}

export interface Revision {
  readonly id: number;
  /** Empty when id is 0 (nothing but the table itself). */
  readonly name: string;
}

export const NO_REVISION: Revision = { id: 0, name: '' };

/**
 * The applied rows, in id order; `[]` when the table does not exist yet.
 *
 * With `files`, the server first sends one digest of its rows instead of the rows: when the rows are
 * exactly files 0..k (the usual case, nothing changed since they were applied), the digest of those
 * files matches and the rows are those files' id, name and hash, without sending and parsing every row
 * (at 10,000 migrations that is most of the client's work). Any difference, or a table that is not
 * 0..k, reads the rows themselves, so that drift is reported as precisely as ever.
 *
 * No table on the search_path while another schema has one with our columns is refused: it is the same
 * database reached without its usual search_path, and going on would create a second table and run
 * every migration again. With `lockPid`, the statements must run in that server session (the one that
 * holds the migration lock), or poolerError is thrown.
 */
export async function readAppliedRows(
  client: pg.Client | pg.PoolClient,
  files?: readonly MigrationFile[],
  lockPid?: number,
): Promise<AppliedRow[]> {
  return (await readAppliedState(client, files, lockPid)).rows;
}

export interface AppliedState {
  readonly rows: AppliedRow[];
  /**
   * The table with its schema, quoted: where it is, or where migration 0 will create it (the first
   * schema of the search_path). Rows are written there, whatever a migration does to search_path.
   */
  readonly table: string;
}

/** readAppliedRows, and where the table is. */
export async function readAppliedState(
  client: pg.Client | pg.PoolClient,
  files?: readonly MigrationFile[],
  lockPid?: number,
): Promise<AppliedState> {
  const { rows: found } = await client.query<{ present: boolean; elsewhere: string | null; search_path: string; pid: number; schema: string | null }>(
    TABLE_SQL,
  );
  const { present, elsewhere, search_path: searchPath, pid } = found[0]!;
  const table = found[0]!.schema === null ? 'migrations' : `${found[0]!.schema}.migrations`;
  if (lockPid !== undefined && pid !== lockPid) {
    throw poolerError(`the migration lock is held by server session pid ${lockPid}, but the migrations table was read in pid ${pid}`);
  }
  if (!present) {
    if (elsewhere) {
      const first = elsewhere.split(', ')[0]!;
      throw new UserError(
        `No "migrations" table is on this session's search_path (${searchPath}), but schema ${elsewhere} has one with the columns id, ` +
          'name and hash: the database was probably reached without its usual search_path, and going on would create a second table ' +
          `and run every migration again. Set the search_path: settings: search_path=${first} (or ALTER ROLE … SET search_path, ` +
          'ALTER DATABASE … SET search_path). Nothing was applied.',
      );
    }
    return { rows: [], table };
  }
  try {
    if (files) {
      const { rows } = await client.query<{ n: number; digest: string | null }>(ROWS_DIGEST_SQL);
      const { n, digest } = rows[0]!;
      if (n === 0) return { rows: [], table };
      // The files themselves stand for the rows: same id, name and hash.
      const applied = files.slice(0, n);
      if (n <= files.length && digest === filesDigest(applied)) return { rows: [...applied], table };
    }
    const { rows } = await client.query<AppliedRow>('SELECT id, name, hash FROM migrations ORDER BY id');
    return { rows, table };
  } catch (error) {
    if ((error as { code?: string }).code === '42703') {
      throw new UserError(
        'The table "migrations" in this database has no id, name and hash columns: it belongs to another tool ' +
          '(e.g. TypeORM); this tool keeps its history in that table name, so use another database or schema (search_path in database-url options).',
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Our table on the search_path and its schema (or the schema it would be created in), or else the
 * schemas that hold a table that looks like ours.
 */
const TABLE_SQL =
  "SELECT to_regclass('migrations') IS NOT NULL AS present, current_setting('search_path') AS search_path, pg_backend_pid() AS pid, " +
  "COALESCE((SELECT quote_ident(n.nspname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass('migrations')), " +
  'quote_ident(current_schema())) AS schema, ' +
  "CASE WHEN to_regclass('migrations') IS NULL THEN (SELECT string_agg(DISTINCT n.nspname, ', ') FROM pg_class c " +
  "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'migrations' AND c.relkind IN ('r', 'p') " +
  "AND (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname IN ('id', 'name', 'hash') AND NOT a.attisdropped) = 3) END AS elsewhere";

/**
 * One line per row, `<id> <hash> <characters in name> <name>`, joined by newlines in id order, then
 * SHA-256 of its UTF-8 (sha256() exists from PostgreSQL 11). The name's length makes the lines
 * unambiguous whatever the name holds; a NULL anywhere makes the digest differ, never match.
 */
const ROWS_DIGEST_SQL =
  "SELECT count(*)::int AS n, encode(sha256(convert_to(string_agg(id || ' ' || hash || ' ' || char_length(name) || ' ' || name, " +
  "E'\\n' ORDER BY id), 'UTF8')), 'hex') AS digest FROM migrations";

/** The digest ROWS_DIGEST_SQL computes, for rows that would be exactly `files`. */
function filesDigest(files: readonly MigrationFile[]): string {
  const lines = files.map((f) => `${f.id} ${f.hash} ${codePoints(f.name)} ${f.name}`);
  return hash('sha256', lines.join('\n'), 'hex');
}

/** char_length in PostgreSQL counts characters; a JavaScript string's length counts UTF-16 units. */
function codePoints(text: string): number {
  let surrogatePairs = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) surrogatePairs += 1;
  }
  return text.length - surrogatePairs;
}

/**
 * Record `files` as applied without running them, in one transaction (baseline). Id 0 is the table
 * itself: its SQL runs (it only creates the table) so that the history is complete.
 */
export async function recordBaseline(client: pg.Client, files: readonly MigrationFile[]): Promise<void> {
  await client.query('BEGIN');
  try {
    if (files[0]?.id === 0) await client.query(files[0].sql);
    // A thousand rows per statement: adopting a database with 100,000 migrations is seconds, not minutes.
    for (let i = 0; i < files.length; i += 1_000) {
      const slice = files.slice(i, i + 1_000);
      await client.query('INSERT INTO migrations ("id", "name", "hash") SELECT * FROM unnest($1::int[], $2::varchar[], $3::varchar[])', [
        slice.map((f) => f.id),
        slice.map((f) => f.name),
        slice.map((f) => f.hash),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The highest applied id and its name. */
export function revisionOf(rows: readonly AppliedRow[]): Revision {
  const last = rows.reduce<AppliedRow | undefined>((max, row) => (max === undefined || row.id > max.id ? row : max), undefined);
  return last && last.id > 0 ? { id: last.id, name: last.name } : NO_REVISION;
}

/**
 * Compare the applied rows with the files and return the pending files, in id order. Throws on drift:
 * an applied file that changed (saying when only line endings or a BOM differ), an applied id with no
 * file, or a pending file below the applied head. Pure.
 */
export function pendingMigrations(files: readonly MigrationFile[], rows: readonly AppliedRow[], dirLabel: string): MigrationFile[] {
  // Ids are small consecutive integers: arrays indexed by id (10,000 rows in a few hundred microseconds).
  const byId: MigrationFile[] = [];
  for (const file of files) byId[file.id] = file;
  const applied: boolean[] = [];
  for (const row of rows) {
    applied[row.id] = true;
    const file = byId[row.id];
    if (!file) {
      throw new UserError(
        `The database has migration ${row.id} "${row.name}" applied, but ${dirLabel} has no file with id ${row.id}; ` +
          'restore the file (an applied migration must never be deleted), or check that this commit is not older than the one that migrated the database.',
      );
    }
    if (file !== row && file.hash !== row.hash) {
      throw new UserError(driftMessage(file, row), { location: { file: file.label } });
    }
  }
  const head = revisionOf(rows).id;
  const pending = files.filter((f) => applied[f.id] !== true);
  const early = pending.find((f) => f.id < head);
  if (early) {
    throw new UserError(
      `Migration ${early.label} (id ${early.id}) is not applied, but migration ${head} already is; ` +
        'ids run in order, so renumber it after the applied head (a new id above every applied one).',
      { location: { file: early.label } },
    );
  }
  return pending;
}

function driftMessage(file: MigrationFile, row: AppliedRow): string {
  const base = `Migration ${file.label} changed after it was applied (id ${row.id}: hash ${row.hash.slice(0, 12)} in the database, ${file.hash.slice(0, 12)} now)`;
  const fix =
    'restore the file exactly as it was applied and put any change in a new migration';
  if (row.name !== file.name) {
    return `${base}: it was applied as "${row.name}" and is now named "${file.name}"; ${fix} (an applied file must keep its name).`;
  }
  const cause = encodingOnlyDifference(file, row.hash);
  if (cause) {
    return `${base}, but the only difference is ${cause}; ${fix}; keep git from converting line endings with "*.sql -text" in .gitattributes.`;
  }
  return `${base}; ${fix}.`;
}

/** Whether the applied hash matches the file with other line endings or with/without a BOM. */
export function encodingOnlyDifference(file: MigrationFile, appliedHash: string): string | undefined {
  if (file.kind !== 'sql') return undefined;
  const lf = file.sql.replace(/\r\n/g, '\n');
  const crlf = lf.replace(/\n/g, '\r\n');
  const noBom = (s: string) => s.replace(/^\uFEFF/, '');
  const bom = (s: string) => `\uFEFF${noBom(s)}`;
  const variants: [string, string][] = [
    [lf, 'the line endings (CRLF vs LF)'],
    [crlf, 'the line endings (CRLF vs LF)'],
    [noBom(file.sql), 'a byte-order mark (BOM) at the start'],
    [bom(file.sql), 'a byte-order mark (BOM) at the start'],
    [noBom(lf), 'the line endings and a byte-order mark'],
    [noBom(crlf), 'the line endings and a byte-order mark'],
    [bom(lf), 'the line endings and a byte-order mark'],
    [bom(crlf), 'the line endings and a byte-order mark'],
  ];
  return variants.find(([sql]) => sql !== file.sql && hashMigration(file.fileName, sql) === appliedHash)?.[1];
}
