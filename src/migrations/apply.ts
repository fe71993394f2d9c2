import type pg from 'pg';
import type { Clock } from '../clock.js';
import type { Setting } from '../config.js';
import { UserError, messageOf, oneLine, type FileLocation } from '../errors.js';
import type { Log } from '../log.js';
import type { MigrationFile } from './files.js';
import { recordApplied } from './state.js';

/** The fields of a PostgreSQL error that we keep for the report. */
export interface PgErrorFields {
  readonly code?: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly position?: number;
  readonly where?: string;
}

/** A migration that failed: the file, where in it, and what PostgreSQL said. */
export class MigrationFailed extends UserError {
  readonly migration: MigrationFile;
  readonly pg: PgErrorFields;

  constructor(message: string, migration: MigrationFile, fields: PgErrorFields, location: FileLocation, cause: unknown) {
    super(message, { location, cause });
    this.name = 'MigrationFailed';
    this.migration = migration;
    this.pg = fields;
  }
}

/** 1-based line and column of a 1-based character position (PostgreSQL counts characters, not bytes). Pure. */
export function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  let index = 0;
  for (const char of text) {
    index += 1;
    if (index >= position) break;
    if (char === '\n') {
      line += 1;
      column = 1;
    } else {
      column += 1;
    }
  }
  return { line, column };
}

export function pgFields(error: unknown): PgErrorFields {
  const e = error as Partial<Record<'code' | 'detail' | 'hint' | 'position' | 'where', string>>;
  const position = e.position === undefined ? undefined : Number.parseInt(e.position, 10);
  return {
    code: typeof e.code === 'string' ? e.code : undefined,
    message: messageOf(error),
    detail: e.detail || undefined,
    hint: e.hint || undefined,
    position: Number.isFinite(position) ? position : undefined,
    where: e.where || undefined,
  };
}

/** Set each `settings` line on the session; a value PostgreSQL rejects names the setting. */
export async function applySettings(client: pg.Client, settings: readonly Setting[]): Promise<void> {
  for (const { name, value } of settings) {
    try {
      await client.query('SELECT set_config($1, $2, false)', [name, value]);
    } catch (error) {
      throw new UserError(
        `Input settings: PostgreSQL rejected ${name}=${value}: ${messageOf(error)}; fix the name or value (see SHOW ALL for names).`,
        { cause: error },
      );
    }
  }
}

export interface ApplyOptions {
  readonly lockRetries: number;
  readonly clock: Clock;
  readonly log: Log;
}

/** Backoff before retry `attempt` (1-based) of a migration that hit lock_timeout: 1 s, 2 s, 4 s, … at most 30 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(1_000 * 2 ** (attempt - 1), 30_000);
}

/**
 * Run one migration and record it. In a transaction (the default) the SQL and its `migrations` row
 * commit together or not at all. A file with the disable-transaction marker runs as one statement batch
 * without BEGIN, and its row is written right after. `lock_not_available` (55P03) is retried up to
 * `lockRetries` times with backoff; any other error throws MigrationFailed.
 */
export async function applyMigration(client: pg.Client, migration: MigrationFile, options: ApplyOptions): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await runOnce(client, migration);
      return;
    } catch (error) {
      if ((error as { code?: string }).code === '55P03' && attempt <= options.lockRetries) {
        const delay = retryDelayMs(attempt);
        options.log.warning(
          `${migration.label} hit lock_timeout (${messageOf(error)}); retry ${attempt} of ${options.lockRetries} in ${delay / 1000} s.`,
        );
        await options.clock.sleep(delay);
        continue;
      }
      throw failure(migration, error, attempt);
    }
  }
}

/**
 * The SQL sent to the server: the file without a leading byte-order mark, which PostgreSQL would read as
 * part of the first keyword. The hash stays over the file as written, as postgres-migrations computes it.
 */
export function executableSql(migration: MigrationFile): string {
  return migration.sql.replace(/^\uFEFF/, '');
}

/**
 * Two round trips per migration in a transaction (pipeline mode): BEGIN with the SQL, then the row with
 * COMMIT. The row is sent only once the SQL has succeeded: a file that ends the transaction itself
 * (`COMMIT;` inside it) and then fails must not have its row written outside any transaction. Without a
 * transaction, the SQL and then the row, one after the other.
 */
async function runOnce(client: pg.Client, migration: MigrationFile): Promise<void> {
  if (!migration.transaction) {
    await client.query(executableSql(migration));
    await recordApplied(client, migration);
    return;
  }
  try {
    await settled([client.query('BEGIN'), client.query(executableSql(migration))]);
    await settled([recordApplied(client, migration), client.query('COMMIT')]);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Wait for every query issued together; throw the first failure in the order they were sent. */
async function settled(queries: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(queries);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

function failure(migration: MigrationFile, error: unknown, attempts: number): MigrationFailed {
  const fields = pgFields(error);
  const at = fields.position === undefined ? undefined : lineAndColumn(executableSql(migration), fields.position);
  const location: FileLocation = { file: migration.label, line: at?.line, column: at?.column };
  const where =
    at === undefined ? '' : migration.kind === 'js' ? ` at line ${at.line} of the SQL from generateSql()` : ` at line ${at.line}, column ${at.column}`;
  const parts = [
    `Migration ${migration.label} failed${where}: ${fields.code ? `${fields.code} ` : ''}${fields.message}`,
    fields.detail ? `Detail: ${fields.detail}` : '',
    fields.hint ? `Hint: ${fields.hint}` : '',
    attempts > 1 ? `(after ${attempts} attempts)` : '',
    migration.transaction
      ? 'It was rolled back; migrations before it stay applied and none after it ran. Fix the file and run again.'
      : 'It ran without a transaction, so statements before the failing one may have taken effect; check the database, fix the file and run again.',
  ];
  const text = parts
    .filter(Boolean)
    .map((part) => (/[.!?)]$/.test(part) ? part : `${part}.`))
    .join(' ');
  return new MigrationFailed(oneLine(text), migration, fields, location, error);
}
