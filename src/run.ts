import type pg from 'pg';
import type { Clock } from './clock.js';
import type { Config, Endpoint } from './config.js';
import { connectWithWait, describeEndpoint } from './db/connect.js';
import { acquireMigrationLock, releaseMigrationLock } from './db/lock.js';
import { UserError, messageOf, type FileLocation } from './errors.js';
import type { Log } from './log.js';
import { MigrationFailed, applyMigration, applySettings, type PgErrorFields } from './migrations/apply.js';
import { loadMigrations, type MigrationFile } from './migrations/files.js';
import { NO_REVISION, pendingMigrations, readAppliedRows, revisionOf, type Revision } from './migrations/state.js';

export type Status = 'applied' | 'up-to-date' | 'failed';

export interface AppliedEntry {
  readonly id: number;
  readonly fileName: string;
  readonly label: string;
  readonly durationMs: number;
  readonly transaction: boolean;
}

export interface RunError {
  readonly message: string;
  readonly location?: FileLocation;
  readonly pg?: PgErrorFields;
  /** False for bugs (not a user error): the report then says so. */
  readonly expected: boolean;
}

/** Everything a run found out: the one input to outputs, summary and exit code. */
export interface RunResult {
  readonly status: Status;
  readonly endpoint?: Endpoint;
  /** Undefined when the database was never read (e.g. invalid input, unreachable server). */
  readonly previous?: Revision;
  readonly revision?: Revision;
  readonly applied: readonly AppliedEntry[];
  /** File names still pending after the run; undefined when unknown. */
  readonly pending?: readonly string[];
  readonly backupPath: string;
  readonly error?: RunError;
  readonly durationMs: number;
}

export interface RunDeps {
  readonly clock: Clock;
  readonly log: Log;
}

/** What a run knows so far; turned into a RunResult however the run ends. */
interface Progress {
  files?: MigrationFile[];
  previous?: Revision;
  revision?: Revision;
  applied: AppliedEntry[];
  pending?: MigrationFile[];
}

/**
 * `apply`: validate files, wait for the database, take the lock, read the state under it, apply what is
 * pending, release the lock. Never throws: failures are part of the result.
 */
export async function runApply(config: Config, deps: RunDeps): Promise<RunResult> {
  const { clock, log } = deps;
  const started = clock.now();
  const progress: Progress = { applied: [] };
  const finish = (status: Status, error?: RunError): RunResult => ({
    status,
    endpoint: config.endpoint,
    previous: progress.previous,
    revision: progress.revision,
    applied: progress.applied,
    pending: progress.pending?.filter((f) => f.id > (progress.revision?.id ?? 0)).map((f) => f.fileName),
    backupPath: '',
    error,
    durationMs: clock.now() - started,
  });

  try {
    const files = await log.group('Validate migration files', async () => {
      const loaded = await loadMigrations(config.migrationsDir, config.migrationsDirLabel);
      log.info(`${loaded.length - 1} migration files in ${config.migrationsDirLabel}, ids 1..${loaded.length - 1}.`);
      return loaded;
    });
    progress.files = files;

    const client = await log.group(`Wait for the database (${describeEndpoint(config.endpoint)})`, () =>
      connectWithWait(config.databaseUrl, config.endpoint, config.waitTimeoutMs, clock, log),
    );
    try {
      await underLock(client, config, deps, progress);
    } finally {
      await client.end().catch((error: unknown) => log.warning(`Closing the connection failed: ${messageOf(error)}`));
    }
    return finish(progress.applied.length > 0 ? 'applied' : 'up-to-date');
  } catch (error) {
    return finish('failed', toRunError(error));
  }
}

async function underLock(client: pg.Client, config: Config, deps: RunDeps, progress: Progress): Promise<void> {
  const { log, clock } = deps;
  await log.group('Take the migration lock', async () => {
    const waitStart = clock.now();
    try {
      await acquireMigrationLock(client, config.lockWaitTimeoutMs);
    } catch (error) {
      // Still report the revision that is really applied: read it without the lock, change nothing.
      const rows = await readAppliedRows(client).catch(() => undefined);
      if (rows) progress.previous = progress.revision = revisionOf(rows);
      throw error;
    }
    log.info(`Lock taken after ${((clock.now() - waitStart) / 1000).toFixed(2)} s.`);
  });
  try {
    const pending = await log.group('Read applied migrations', async () => {
      const rows = await readAppliedRows(client);
      progress.previous = revisionOf(rows);
      progress.revision = progress.previous;
      const list = pendingMigrations(progress.files!, rows, config.migrationsDirLabel);
      progress.pending = list;
      log.info(
        `Database at revision ${describeRevision(progress.previous)}; ${countOf(list)} pending` +
          (countOf(list) > 0 ? `: ${list.filter((f) => f.id > 0).map((f) => f.fileName).join(', ')}.` : '.') +
          (list[0]?.id === 0 ? ' The migrations table will be created first.' : ''),
      );
      return list;
    });
    if (pending.length === 0) return;

    await log.group(`Apply ${countOf(pending)} migration(s)`, async () => {
      if (config.settings.length > 0) {
        await applySettings(client, config.settings);
        log.info(`Session settings: ${config.settings.map((s) => `${s.name}=${s.value}`).join(', ')}.`);
      }
      for (const migration of pending) {
        const t0 = clock.now();
        log.info(`Applying ${migration.label}${migration.transaction ? '' : ' (without a transaction)'} ...`);
        await applyMigration(client, migration, { lockRetries: config.lockRetries, clock, log });
        const durationMs = clock.now() - t0;
        if (migration.id > 0) progress.revision = { id: migration.id, name: migration.name };
        if (migration.id > 0) {
          progress.applied.push({
            id: migration.id,
            fileName: migration.fileName,
            label: migration.label,
            durationMs,
            transaction: migration.transaction,
          });
        }
        log.info(`Applied ${migration.label} in ${durationMs} ms.`);
      }
    });
  } catch (error) {
    if (error instanceof MigrationFailed) log.error(error.message, error.location);
    throw error;
  } finally {
    await releaseMigrationLock(client, log);
  }
}

function countOf(files: readonly MigrationFile[]): number {
  return files.filter((f) => f.id > 0).length;
}

export function describeRevision(revision: Revision | undefined): string {
  if (!revision) return 'unknown';
  return revision.id === NO_REVISION.id ? '0 (none)' : `${revision.id} (${revision.name})`;
}

function toRunError(error: unknown): RunError {
  if (error instanceof UserError) {
    return {
      message: error.message,
      location: error.location,
      pg: error instanceof MigrationFailed ? error.pg : undefined,
      expected: true,
    };
  }
  const code = (error as { code?: unknown }).code;
  // A database error outside a migration (e.g. the server restarted, permission denied on the table).
  if (typeof code === 'string') {
    return { message: `Database error ${code}: ${messageOf(error)}`, expected: true };
  }
  if (error instanceof Error && /Connection terminated|ECONNRESET|EPIPE/i.test(error.message)) {
    return { message: `Lost the database connection: ${error.message}; run again when the database is back.`, expected: true };
  }
  return { message: `Unexpected error: ${messageOf(error)}`, expected: false };
}
