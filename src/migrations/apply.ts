import pg from 'pg';
import type { Clock } from '../clock.js';
import type { Setting } from '../config.js';
import { Cancelled, UserError, messageOf, type FileLocation } from '../errors.js';
import type { Log } from '../log.js';
import { isConnectionError, ourSettingsSql, type SessionInfo } from '../db/session.js';
import { StepFailed, explainFailure, pgFields, step, type PgErrorFields, type Phase } from './failure.js';
import type { MigrationFile } from './files.js';

/** A migration that failed: the file, where in it, and what PostgreSQL said. */
export class MigrationFailed extends UserError {
  readonly migration: MigrationFile;
  readonly pg: PgErrorFields;
  /** The migration was committed before what failed (setting the session back afterwards). */
  readonly applied: boolean;

  constructor(message: string, migration: MigrationFile, fields: PgErrorFields, location: FileLocation | undefined, cause: unknown, applied = false) {
    super(message, { location, cause });
    this.name = 'MigrationFailed';
    this.migration = migration;
    this.pg = fields;
    this.applied = applied;
  }
}

/**
 * The settings input on the run's session, then ours again: an idle timeout among the input's would end
 * the session that holds the lock.
 */
export async function applySessionSettings(client: pg.Client, settings: readonly Setting[], session: Promise<SessionInfo>): Promise<void> {
  await applySettings(client, settings);
  await client.query(ourSettingsSql((await session).serverVersion));
}

/** Set each `settings` line on the session; a value PostgreSQL rejects names the setting, never the value. */
export async function applySettings(client: pg.Client, settings: readonly Setting[]): Promise<void> {
  for (const [index, { name, value }] of settings.entries()) {
    try {
      await client.query('SELECT set_config($1, $2, false)', [name, value]);
    } catch (error) {
      // PostgreSQL's message quotes the value, which may be a secret: it is left out.
      const why = messageOf(error).split(value).join('…');
      throw new UserError(`Input settings: PostgreSQL rejected setting ${index + 1}, ${name}: ${why}; fix the name or value (see SHOW ALL for names).`, {
        cause: error,
      });
    }
  }
}

/** The session a migration runs in, as the lock step left it. */
export interface MigrationSession {
  /** The server process that holds the migration lock: every migration must run there. */
  readonly lockPid: number;
  /** One simple query that sets the session back to a new one's state, with the settings applied. */
  readonly restoreSql: string;
  /** The migrations table, with its schema (quoted): where rows are written whatever a file does to search_path. */
  readonly table: string;
  /** The `role` of the settings input, set again before the row is written. */
  readonly role?: string;
}

export interface ApplyOptions {
  readonly session: MigrationSession;
  readonly lockRetries: number;
  readonly clock: Clock;
  readonly log: Log;
  /** Aborted when the run is cancelled: a failure is then worded as the cancellation it is. */
  readonly signal?: AbortSignal;
}

/** Sleep, but wake at once when the run is cancelled. */
function sleepUnlessCancelled(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return clock.sleep(ms);
  return new Promise((resolve) => {
    const wake = () => resolve();
    signal.addEventListener('abort', wake, { once: true });
    void clock.sleep(ms).then(() => {
      signal.removeEventListener('abort', wake);
      resolve();
    });
  });
}

/** Backoff before retry `attempt` (1-based) of a migration that hit lock_timeout: 1 s, 2 s, 4 s, … at most 30 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(1_000 * 2 ** (attempt - 1), 30_000);
}

/**
 * Run one migration and record it. In a transaction (the default) the SQL and its `migrations` row
 * commit together or not at all. A file with the disable-transaction marker runs as one statement batch
 * without BEGIN, and its row is written right after. Either way the session is then set back to a new
 * one's state (see session.ts). `lock_not_available` (55P03) is retried up to `lockRetries` times with
 * backoff; any other error throws MigrationFailed, worded by failure.ts.
 */
export async function applyMigration(client: pg.Client, migration: MigrationFile, options: ApplyOptions): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await runOnce(client, migration, options.session);
      return;
    } catch (error) {
      const phase: Phase = error instanceof StepFailed ? error.phase : 'sql';
      const cause = error instanceof StepFailed ? error.cause : error;
      if ((cause as { code?: string }).code === '55P03' && phase === 'sql' && attempt <= options.lockRetries) {
        const delay = retryDelayMs(attempt);
        options.log.warning(`${migration.label} hit lock_timeout (${messageOf(cause)}); retry ${attempt} of ${options.lockRetries} in ${delay / 1000} s.`);
        // A file without a transaction may have changed the session before it failed.
        await client.query(options.session.restoreSql);
        await sleepUnlessCancelled(options.clock, delay, options.signal);
        if (options.signal?.aborted) {
          throw new Cancelled(
            `The run was cancelled (${String(options.signal.reason)}) while ${migration.label} waited to be retried after lock_timeout: it was rolled back. ` +
              'Migrations before it stay applied and none after it ran; run again to apply the rest.',
          );
        }
        continue;
      }
      if (options.signal?.aborted && migration.id > 0) {
        const outcome =
          phase === 'restore'
            ? 'it had been applied just before'
            : phase === 'commit'
              ? 'it was being committed, so it may or may not be applied (the next run reads the migrations table and knows)'
              : migration.transaction
                ? 'it was rolled back'
                : 'it runs without a transaction, so statements of it may have taken effect (check the database)';
        throw new MigrationFailed(
          `The run was cancelled (${String(options.signal.reason)}) while ${migration.label} was being applied: ${outcome}. ` +
            'Migrations before it stay applied and none after it ran; run again to apply the rest.',
          migration,
          pgFields(cause),
          undefined,
          cause,
          phase === 'restore',
        );
      }
      const explained = explainFailure(
        {
          label: migration.label,
          kind: migration.kind,
          builtIn: migration.id === 0,
          transaction: migration.transaction,
          sql: executableSql(migration),
          attempts: attempt,
        },
        phase,
        cause,
      );
      throw new MigrationFailed(
        explained.message,
        migration,
        explained.fields,
        migration.id === 0 ? undefined : explained.location,
        cause,
        phase === 'restore',
      );
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
 * The row, written only when the statement runs where it must. `name` is NULL (a not-null violation on
 * "name") when the transaction is not the one it should be: for a migration in a transaction, one that
 * began before this message (ours, begun with BEGIN); for one without, none left open by the file (its
 * transaction then begins with this message). A file that ended its transaction, or left one open,
 * trips it, whatever it did to the settings (RESET ALL), and no statement runs before the file's own
 * (a file may begin with SET TRANSACTION ISOLATION LEVEL). `hash` is NULL (a violation on "hash") when
 * the statement runs in another server session than the one that holds the lock: a pooler moved us.
 * Either way the transaction is aborted, so nothing after it commits. The table is named with its
 * schema and written as the login role (SET SESSION AUTHORIZATION DEFAULT; then the `role` setting, if
 * the settings input has one), so a file that changes search_path or the role is still recorded.
 * Values are literals, so that the statement can share one message with COMMIT and the session reset
 * (one query for the driver to send and read, not four). Pure.
 */
export function recordSql(table: string, migration: MigrationFile, session: Pick<MigrationSession, 'lockPid' | 'role'>): string {
  const inOurTransaction = migration.transaction ? 'transaction_timestamp() < statement_timestamp()' : 'transaction_timestamp() = statement_timestamp()';
  return (
    'SET SESSION AUTHORIZATION DEFAULT; ' +
    (session.role === undefined ? '' : `SET ROLE ${pg.escapeIdentifier(session.role)}; `) +
    `INSERT INTO ${table} ("id", "name", "hash") VALUES (${Math.trunc(migration.id)}, ` +
    `CASE WHEN ${inOurTransaction} THEN ${pg.escapeLiteral(migration.name)} END, ` +
    `CASE WHEN pg_backend_pid() = ${Math.trunc(session.lockPid)} THEN ${pg.escapeLiteral(migration.hash)} END)`
  );
}

/**
 * Two round trips per migration in a transaction (pipeline mode): BEGIN and the SQL, then one message
 * with the row, COMMIT and the session reset. The row is sent only once the SQL has succeeded. Without
 * a transaction, the SQL, then the row, then the session reset (not in the row's message, whose
 * statements would share one implicit transaction).
 */
async function runOnce(client: pg.Client, migration: MigrationFile, session: MigrationSession): Promise<void> {
  const sql = executableSql(migration);
  if (!migration.transaction) {
    await step('sql', client.query(sql));
    try {
      await settled([step('record', client.query(recordSql(session.table, migration, session))), step('restore', client.query(session.restoreSql))]);
    } catch (error) {
      // A transaction the file left open is rolled back with the row.
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    return;
  }
  try {
    await settled([step('sql', client.query('BEGIN')), step('sql', client.query(sql))]);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  try {
    await client.query(`${recordSql(session.table, migration, session)}; COMMIT; ${session.restoreSql}`);
  } catch (error) {
    // Ended, unless the failure came after COMMIT; ROLLBACK of no transaction would only warn, so ask.
    if (!isConnectionError(error)) await client.query('ROLLBACK').catch(() => undefined);
    throw new StepFailed(await phaseOfLastMessage(client, session.table, migration, error), error);
  }
}

/**
 * Which statement of the row/COMMIT/reset message failed (the server stops at the first error): the
 * reset, when the row is there (committed); else COMMIT, unless the error is about the migrations
 * table (our INSERT). A lost connection cannot be asked: COMMIT, which says "may or may not be applied".
 */
async function phaseOfLastMessage(client: pg.Client, table: string, migration: MigrationFile, error: unknown): Promise<Phase> {
  if (isConnectionError(error)) return 'commit';
  const { rows } = await client.query(`SELECT 1 FROM ${table} WHERE id = ${Math.trunc(migration.id)}`).catch(() => ({ rows: [] }));
  if (rows.length > 0) return 'restore';
  const about = error as { table?: string; message?: string; code?: string };
  return about.table === 'migrations' || /\bmigrations\b/.test(about.message ?? '') || about.code === '23502' ? 'record' : 'commit';
}

/** Wait for every query issued together; throw the first failure in the order they were sent. */
async function settled(queries: readonly Promise<unknown>[]): Promise<unknown[]> {
  const results = await Promise.allSettled(queries);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value);
}
