import type pg from 'pg';
import type { Clock } from './clock.js';
import type { Command, Config, Endpoint } from './config.js';
import { connectWithWait, describeEndpoint, startConnecting } from './db/connect.js';
import { acquireMigrationLock, releaseMigrationLock } from './db/lock.js';
import { UserError, messageOf, type FileLocation } from './errors.js';
import type { Log } from './log.js';
import { MigrationFailed, applyMigration, applySettings, type PgErrorFields } from './migrations/apply.js';
import { choosePgDump, execProgram, pgDumpCandidates, takeBackup, type Backup, type Exec } from './migrations/backup.js';
import { loadMigrations, type LoadOptions, type MigrationFile } from './migrations/files.js';
import {
  NO_REVISION,
  pendingMigrations,
  readAppliedRows,
  recordBaseline,
  revisionOf,
  type AppliedRow,
  type Revision,
} from './migrations/state.js';

export type Status = 'applied' | 'up-to-date' | 'pending' | 'baselined' | 'failed';

export interface AppliedEntry {
  readonly id: number;
  readonly fileName: string;
  readonly label: string;
  readonly durationMs: number;
  readonly transaction: boolean;
}

/** A migration that `apply` would run: shown with its SQL by plan and check. */
export interface PlannedEntry {
  readonly id: number;
  readonly fileName: string;
  readonly label: string;
  readonly sql: string;
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
  readonly command: Command;
  readonly status: Status;
  readonly endpoint?: Endpoint;
  /** Undefined when the database was never read (e.g. invalid input, unreachable server). */
  readonly previous?: Revision;
  readonly revision?: Revision;
  readonly applied: readonly AppliedEntry[];
  /** plan/check: what apply would run (up to target-revision). */
  readonly planned?: readonly PlannedEntry[];
  /** baseline: file names recorded as applied without running them. */
  readonly baselined?: readonly string[];
  /** File names still pending after the run; undefined when unknown. */
  readonly pending?: readonly string[];
  readonly targetRevision?: number;
  readonly backup?: Backup;
  readonly error?: RunError;
  readonly durationMs: number;
}

export interface RunDeps {
  readonly clock: Clock;
  readonly log: Log;
  /** How `.js` migrations are run: their environment (without the secret) and working directory. */
  readonly load?: LoadOptions;
  /** Runs pg_dump and pg_restore; replaced in tests of the refusal paths only. */
  readonly exec?: Exec;
}

/** What a run knows so far; turned into a RunResult however the run ends. */
interface Progress {
  files?: MigrationFile[];
  previous?: Revision;
  revision?: Revision;
  applied: AppliedEntry[];
  planned?: PlannedEntry[];
  baselined?: string[];
  backup?: Backup;
}

/**
 * Run `config.command`: validate files, wait for the database, then apply, plan, check or baseline.
 * Never throws: failures are part of the result.
 */
export async function runCommand(config: Config, deps: RunDeps): Promise<RunResult> {
  const { clock, log } = deps;
  const started = clock.now();
  const progress: Progress = { applied: [] };
  const finish = (status: Status, error?: RunError): RunResult => ({
    command: config.command,
    status,
    endpoint: config.endpoint,
    previous: progress.previous,
    revision: progress.revision,
    applied: progress.applied,
    planned: progress.planned,
    baselined: progress.baselined,
    pending:
      progress.files && progress.revision
        ? progress.files.filter((f) => f.id > progress.revision!.id).map((f) => f.fileName)
        : undefined,
    targetRevision: config.targetRevision,
    backup: progress.backup,
    error,
    durationMs: clock.now() - started,
  });

  // The first connection attempt starts now, and the server forks a backend and checks the password
  // while the files are read (they are read in slices that let it progress). Nothing is sent on it
  // before the files are valid; if they are not, it is closed unused.
  const early = startConnecting(config.databaseUrl, config.waitTimeoutMs, log);
  try {
    const files = await log.group('Validate migration files', async () => {
      const loaded = await loadMigrations(config.migrationsDir, config.migrationsDirLabel, deps.load);
      const last = loaded[loaded.length - 1]!;
      if (config.targetRevision !== undefined && config.targetRevision > last.id) {
        throw new UserError(
          `Input target-revision ${config.targetRevision} is beyond the last migration file, ${last.label} (id ${last.id}); ` +
            `use an id from 1 to ${last.id}, or add the missing files.`,
        );
      }
      log.info(`${loaded.length - 1} migration files in ${config.migrationsDirLabel}, ids 1..${last.id}.`);
      return loaded;
    }).catch((error: unknown) => {
      early.abandon();
      throw error;
    });
    progress.files = files;

    const client = await log.group(`Wait for the database (${describeEndpoint(config.endpoint)})`, () =>
      connectWithWait(config.databaseUrl, config.endpoint, config.waitTimeoutMs, clock, log, early.attempt),
    );
    let status: Status;
    try {
      if (config.command === 'plan' || config.command === 'check') {
        status = await plan(client, config, deps, progress);
      } else {
        status = await withLock(client, config, deps, progress, () =>
          config.command === 'baseline' ? baseline(client, config, deps, progress) : apply(client, config, deps, progress),
        );
      }
    } finally {
      await client.end().catch((error: unknown) => log.warning(`Closing the connection failed: ${messageOf(error)}`));
    }
    if (config.command === 'check' && status === 'pending') {
      const names = progress.planned!.map((p) => p.fileName).join(', ');
      return finish(status, {
        message: `${progress.planned!.length} migration(s) pending (${names}); the database is behind this commit: run apply before deploying.`,
        expected: true,
      });
    }
    return finish(status);
  } catch (error) {
    if (error instanceof MigrationFailed) log.error(error.message, error.location);
    return finish('failed', toRunError(error));
  }
}

/** Within target-revision; id 0 (the table) counts as pending work but is not a user migration. */
function withinTarget(files: readonly MigrationFile[], config: Config): MigrationFile[] {
  return files.filter((f) => config.targetRevision === undefined || f.id <= config.targetRevision);
}

function userFiles(files: readonly MigrationFile[]): MigrationFile[] {
  return files.filter((f) => f.id > 0);
}

/** Read the applied rows, check drift, and return the pending files (all of them, in id order). */
async function readState(client: pg.Client, config: Config, deps: RunDeps, progress: Progress): Promise<{ rows: AppliedRow[]; pending: MigrationFile[] }> {
  return deps.log.group('Read applied migrations', async () => {
    // Settings first: a search_path among them decides which `migrations` table is read and written.
    if (config.settings.length > 0) {
      await applySettings(client, config.settings);
      deps.log.info(`Session settings: ${config.settings.map((s) => `${s.name}=${s.value}`).join(', ')}.`);
    }
    const rows = await readAppliedRows(client, progress.files);
    progress.previous = revisionOf(rows);
    progress.revision = progress.previous;
    const pending = pendingMigrations(progress.files!, rows, config.migrationsDirLabel);
    const names = userFiles(pending).map((f) => f.fileName);
    deps.log.info(
      `Database at revision ${describeRevision(progress.previous)}; ${names.length} pending` +
        (names.length > 0 ? `: ${names.join(', ')}.` : '.') +
        (config.targetRevision !== undefined ? ` target-revision is ${config.targetRevision}.` : ''),
    );
    return { rows, pending };
  });
}

/** plan and check: read-only (no lock, no table created, a READ ONLY transaction). */
async function plan(client: pg.Client, config: Config, deps: RunDeps, progress: Progress): Promise<Status> {
  await client.query('BEGIN READ ONLY');
  let pending: MigrationFile[];
  try {
    ({ pending } = await readState(client, config, deps, progress));
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
  const planned = userFiles(withinTarget(pending, config));
  progress.planned = planned.map((f) => ({ id: f.id, fileName: f.fileName, label: f.label, sql: f.sql, transaction: f.transaction }));
  deps.log.info(planned.length === 0 ? 'apply would do nothing.' : `apply would run: ${planned.map((f) => f.fileName).join(', ')}.`);
  return planned.length > 0 ? 'pending' : 'up-to-date';
}

/** Take the lock, run `body`, release the lock (always). */
async function withLock(client: pg.Client, config: Config, deps: RunDeps, progress: Progress, body: () => Promise<Status>): Promise<Status> {
  const { log, clock } = deps;
  await log.group('Take the migration lock', async () => {
    const waitStart = clock.now();
    try {
      await acquireMigrationLock(client, config.lockWaitTimeoutMs);
    } catch (error) {
      // Still report the revision that is really applied: read it without the lock (with the settings,
      // for their search_path), change nothing.
      await applySettings(client, config.settings).catch(() => undefined);
      const rows = await readAppliedRows(client).catch(() => undefined);
      if (rows) progress.previous = progress.revision = revisionOf(rows);
      throw error;
    }
    log.info(`Lock taken after ${((clock.now() - waitStart) / 1000).toFixed(2)} s.`);
  });
  try {
    return await body();
  } finally {
    await releaseMigrationLock(client, log);
  }
}

/** apply: under the lock, read the state, back up if asked, then run each pending migration. */
async function apply(client: pg.Client, config: Config, deps: RunDeps, progress: Progress): Promise<Status> {
  const { log, clock } = deps;
  const { pending } = await readState(client, config, deps, progress);
  const toRun = withinTarget(pending, config);
  if (userFiles(toRun).length === 0) {
    if (config.targetRevision !== undefined && progress.previous!.id > config.targetRevision) {
      log.info(`target-revision ${config.targetRevision} is below the applied revision ${progress.previous!.id}; migrations are never rolled back.`);
    }
    return 'up-to-date';
  }

  if (config.backup) {
    const backup = config.backup;
    progress.backup = await log.group('Back up the database', async () => {
      const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
      const serverMajor = Math.floor(Number(rows[0]!.v) / 10_000);
      const exec = deps.exec ?? execProgram;
      const candidates = await pgDumpCandidates(backup.pgDumpPath);
      const pgDump = await choosePgDump(serverMajor, candidates, exec, backup.pgDumpPath ? 'pg-dump-path' : undefined);
      log.info(`Using ${pgDump.path} (${pgDump.version}) for a PostgreSQL ${serverMajor} server.`);
      const taken = await takeBackup({
        databaseUrl: config.databaseUrl,
        database: config.endpoint.database,
        revision: progress.previous!.id,
        dir: backup.dir,
        format: backup.format,
        pgDump,
        clock,
        exec,
      });
      log.info(`Backup ${taken.path}: ${taken.sizeBytes} bytes in ${taken.durationMs} ms. Restore with: ${taken.restoreCommand}`);
      return taken;
    });
  }

  await log.group(`Apply ${userFiles(toRun).length} migration(s)`, async () => {
    for (const migration of toRun) {
      const t0 = clock.now();
      log.info(migration.id === 0 ? 'Creating the migrations table ...' : `Applying ${migration.label}${migration.transaction ? '' : ' (without a transaction)'} ...`);
      await applyMigration(client, migration, { lockRetries: config.lockRetries, clock, log });
      const durationMs = clock.now() - t0;
      if (migration.id === 0) continue;
      progress.revision = { id: migration.id, name: migration.name };
      progress.applied.push({ id: migration.id, fileName: migration.fileName, label: migration.label, durationMs, transaction: migration.transaction });
      log.info(`Applied ${migration.label} in ${durationMs} ms.`);
    }
  });
  return 'applied';
}

/** baseline: under the lock, record ids 1..target-revision as applied without running them. */
async function baseline(client: pg.Client, config: Config, deps: RunDeps, progress: Progress): Promise<Status> {
  const target = config.targetRevision!;
  const { rows, pending } = await readState(client, config, deps, progress);
  const beyond = rows.filter((r) => r.id > target);
  if (beyond.length > 0) {
    throw new UserError(
      `Cannot baseline at target-revision ${target}: the migrations table already has ${beyond.map((r) => `${r.id} "${r.name}"`).join(', ')} ` +
        'beyond it; baseline only adopts a database whose history stops at or below the target. Use apply instead, or a higher target-revision.',
    );
  }
  const toRecord = withinTarget(pending, config);
  await deps.log.group(`Record ${userFiles(toRecord).length} migration(s) as applied`, () => recordBaseline(client, toRecord));
  progress.baselined = userFiles(toRecord).map((f) => f.fileName);
  const last = progress.files!.find((f) => f.id === target)!;
  progress.revision = { id: last.id, name: last.name };
  deps.log.info(
    progress.baselined.length === 0
      ? `Nothing to record: ids 1..${target} were already recorded.`
      : `Recorded ${progress.baselined.join(', ')} without running them.`,
  );
  return 'baselined';
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
