import type pg from 'pg';
import type { Clock } from './clock.js';
import { describeSettings, type Command, type Config, type Endpoint } from './config.js';
import { cancelRunningStatement, connectWithWait, describeEndpoint, startConnecting } from './db/connect.js';
import { acquireMigrationLock, releaseMigrationLock } from './db/lock.js';
import {
  isConnectionError,
  lostConnection,
  ourSettingsSql,
  poolerError,
  probeSessionStability,
  restoreSessionSql,
  watchConnection,
  type ConnectionWatch,
  type SessionInfo,
} from './db/session.js';
import { Cancelled, UserError, messageOf, oneLine, type FileLocation } from './errors.js';
import type { Log } from './log.js';
import { MigrationFailed, applyMigration, applySettings, executableSql, type MigrationSession } from './migrations/apply.js';
import type { Backup, Exec } from './migrations/backup.js';
import { adviceFor, type PgErrorFields } from './migrations/failure.js';
import { loadMigrations, type LoadOptions, type MigrationFile } from './migrations/files.js';
import { findTransactionEnd } from './migrations/transaction-control.js';
import {
  NO_REVISION,
  pendingMigrations,
  readAppliedRows,
  readAppliedState,
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
  /**
   * Aborted when the job is cancelled (SIGTERM, SIGINT; the reason is the signal's name): the statement
   * running on the server is cancelled, child processes are stopped, and the run ends with a report.
   */
  readonly signal?: AbortSignal;
}

function throwIfCancelled(deps: RunDeps, where: string): void {
  if (deps.signal?.aborted) throw new Cancelled(`The run was cancelled (${String(deps.signal.reason)}) ${where}`);
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

/** The connection a run works on, and what it knows about it. */
interface Db {
  readonly client: pg.Client;
  /** Pending until awaited: it goes out with the next statements rather than costing a round trip. */
  readonly info: Promise<SessionInfo>;
  readonly watch: ConnectionWatch;
  /** Opens another connection with the same URL (for the pooler check). */
  readonly connectAgain: () => Promise<pg.Client>;
  /** The server process that holds the migration lock, once taken. */
  lockPid?: number;
  /** The migration being applied: notices the server sends are shown under it. */
  current?: string;
  /** The migrations table with its schema, once read. */
  table?: string;
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
  let watch: ConnectionWatch | undefined;
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
    throwIfCancelled(deps, 'before it connected; nothing was applied.');

    const connected = await log.group(`Wait for the database (${describeEndpoint(config.endpoint)})`, () =>
      connectWithWait(config.databaseUrl, config.endpoint, config.waitTimeoutMs, clock, log, early.attempt, deps.signal),
    );
    const { client } = connected;
    watch = watchConnection(client);
    // A cancelled run stops the statement its session is running on the server (a migration is then
    // rolled back, a lock wait ends), rather than leave it to run on after we are gone.
    const cancel = () => void cancelRunningStatement(config.databaseUrl, client);
    deps.signal?.addEventListener('abort', cancel, { once: true });
    let status: Status;
    try {
      throwIfCancelled(deps, 'while it connected; nothing was applied.');
      const db: Db = {
        client,
        info: connected.session,
        watch,
        connectAgain: async () =>
          (await connectWithWait(config.databaseUrl, config.endpoint, Math.min(config.waitTimeoutMs, 10_000), clock, silent)).client,
      };
      client.on('notice', (notice: { severity?: string; message?: string; detail?: string }) => {
        // One line whatever the server sends: a line break in a message must not start a line of its own.
        const text = oneLine(
          `${notice.severity ?? 'NOTICE'} from ${db.current ?? 'the database'}: ${notice.message ?? ''}${notice.detail ? ` (${notice.detail})` : ''}`,
        );
        if (notice.severity === 'WARNING') log.warning(text);
        else log.info(text);
      });
      if (config.command === 'plan' || config.command === 'check') {
        status = await plan(db, config, deps, progress);
      } else {
        status = await withLock(db, config, deps, progress, () =>
          config.command === 'baseline' ? baseline(db, config, deps, progress) : apply(db, config, deps, progress),
        );
      }
    } finally {
      deps.signal?.removeEventListener('abort', cancel);
      watch.closing();
      await client.end().catch((error: unknown) => log.warning(`Closing the connection failed: ${messageOf(error)}`));
    }
    if (config.command === 'check' && status === 'pending') {
      const names = listed(progress.planned!.map((p) => p.fileName));
      return finish(status, {
        message: `${progress.planned!.length} migration(s) pending (${names}); the database is behind this commit: run apply before deploying.`,
        expected: true,
      });
    }
    return finish(status);
  } catch (error) {
    // Never connected: the attempt started with the file check must not keep the process alive.
    if (watch === undefined) early.abandon();
    if (deps.signal?.aborted && !(error instanceof Cancelled) && !(error instanceof MigrationFailed)) {
      // Whatever the cancellation broke (a lock wait, a read, the backup), the report says it was cancelled.
      const what = error instanceof UserError ? `: ${error.message}` : '';
      const applied = progress.applied.length;
      return finish('failed', {
        message:
          `The run was cancelled (${String(deps.signal.reason)})${what}. ` +
          (applied > 0 ? `The ${applied} migration(s) applied before it stay applied; nothing more is applied.` : 'Nothing was applied.'),
        expected: true,
      });
    }
    if (error instanceof MigrationFailed) log.error(error.message, error.location);
    return finish('failed', toRunError(error, watch?.lost(), config.command));
  }
}

/** A log that says nothing: for the second connection of the pooler check. */
const silent: Log = { info: () => undefined, warning: () => undefined, error: () => undefined, group: (_, fn) => fn() };

/** Within target-revision; id 0 (the table) counts as pending work but is not a user migration. */
function withinTarget(files: readonly MigrationFile[], config: Config): MigrationFile[] {
  return files.filter((f) => config.targetRevision === undefined || f.id <= config.targetRevision);
}

function userFiles(files: readonly MigrationFile[]): MigrationFile[] {
  return files.filter((f) => f.id > 0);
}

/** Read the applied rows, check drift, and return the pending files (all of them, in id order). */
async function readState(db: Db, config: Config, deps: RunDeps, progress: Progress): Promise<{ rows: AppliedRow[]; pending: MigrationFile[] }> {
  return deps.log.group('Read applied migrations', async () => {
    // Settings first: a search_path among them decides which `migrations` table is read and written.
    if (config.settings.length > 0) {
      await applySettings(db.client, config.settings);
      // Ours win over the input's: an idle timeout there would end the session that holds the lock.
      await db.client.query(ourSettingsSql((await db.info).serverVersion));
      deps.log.info(`Session settings: ${describeSettings(config.settings)}.`);
    }
    const { rows, table } = await readAppliedState(db.client, progress.files, db.lockPid);
    db.table = table;
    progress.previous = revisionOf(rows);
    progress.revision = progress.previous;
    const pending = pendingMigrations(progress.files!, rows, config.migrationsDirLabel);
    const names = userFiles(pending).map((f) => f.fileName);
    deps.log.info(
      `Database at revision ${describeRevision(progress.previous)}; ${names.length} pending` +
        (names.length > 0 ? `: ${listed(names)}.` : '.') +
        (config.targetRevision !== undefined ? ` target-revision is ${config.targetRevision}.` : ''),
    );
    // Every name is in the log, in lines of 50 rather than one line of megabytes.
    if (names.length > 20) {
      for (let i = 0; i < names.length; i += 50) deps.log.info(`Pending (${i + 1}–${Math.min(i + 50, names.length)} of ${names.length}): ${names.slice(i, i + 50).join(', ')}`);
    }
    return { rows, pending };
  });
}

/**
 * A transactional migration must not end the transaction it runs in: its SQL and its row would no
 * longer commit together. Refused before anything runs, naming the file, the line and the statement.
 */
async function refuseTransactionControl(files: readonly MigrationFile[]): Promise<void> {
  for (const file of files) {
    if (!file.transaction || file.id === 0) continue;
    const found = await findTransactionEnd(executableSql(file));
    if (!found) continue;
    throw new UserError(
      `Migration ${file.label} ends the transaction it runs in: "${found.statement}" at line ${found.line}. Each migration runs in ` +
        'one transaction together with its row in the migrations table, so this would commit or undo part of the file on its own. ' +
        'Remove the statement, or, if the file must control transactions itself, mark it with -- postgres-migrations disable-transaction. ' +
        'Nothing was applied.',
      { location: { file: file.label, line: found.line } },
    );
  }
}

/** plan and check: read-only (no lock, no table created, a READ ONLY transaction). */
async function plan(db: Db, config: Config, deps: RunDeps, progress: Progress): Promise<Status> {
  await db.client.query('BEGIN READ ONLY');
  let pending: MigrationFile[];
  try {
    ({ pending } = await readState(db, config, deps, progress));
  } finally {
    await db.client.query('ROLLBACK').catch(() => undefined);
  }
  const planned = userFiles(withinTarget(pending, config));
  await refuseTransactionControl(planned);
  progress.planned = planned.map((f) => ({ id: f.id, fileName: f.fileName, label: f.label, sql: f.sql, transaction: f.transaction }));
  deps.log.info(planned.length === 0 ? 'apply would do nothing.' : `apply would run: ${listed(planned.map((f) => f.fileName))}.`);
  return planned.length > 0 ? 'pending' : 'up-to-date';
}

/**
 * Take the lock, run `body`, release the lock (always, unless the connection that held it is gone).
 * Behind a pooler the session is checked first: a lock on a session that others share is no lock.
 */
async function withLock(db: Db, config: Config, deps: RunDeps, progress: Progress, body: () => Promise<Status>): Promise<Status> {
  const { log, clock } = deps;
  await log.group('Take the migration lock', async () => {
    const waitStart = clock.now();
    try {
      // Taken at once when the statement runs in the server process we connected to (a direct
      // connection); behind a proxy, nothing is taken until our statements are shown to stay in one
      // server session.
      const connectedTo = (db.client as pg.Client & { processID: number | null }).processID ?? -1;
      db.lockPid = await acquireMigrationLock(db.client, config.lockWaitTimeoutMs, connectedTo);
      if (db.lockPid === undefined) {
        const info = await db.info;
        log.info('Something sits between us and the server (the process id it sent is not the backend\'s): checking that our statements stay in one server session.');
        await probeSessionStability(db.client, info, db.connectAgain);
        db.lockPid = await acquireMigrationLock(db.client, config.lockWaitTimeoutMs);
      }
    } catch (error) {
      // Still report the revision that is really applied: read it without the lock (with the settings,
      // for their search_path), change nothing.
      await applySettings(db.client, config.settings).catch(() => undefined);
      const rows = await readAppliedRows(db.client).catch(() => undefined);
      if (rows) progress.previous = progress.revision = revisionOf(rows);
      throw error;
    }
    log.info(`Lock taken after ${((clock.now() - waitStart) / 1000).toFixed(2)} s.`);
  });
  try {
    const { backendPid } = await db.info;
    if (db.lockPid !== backendPid) {
      throw poolerError(`the lock was taken in server session pid ${db.lockPid}, but this connection started in pid ${backendPid}`);
    }
    return await body();
  } finally {
    if (db.watch.lost()) log.info('The migration lock ended with the connection that held it.');
    else await releaseMigrationLock(db.client, db.lockPid!, log);
  }
}

/** Refuse a database that cannot be written before backing it up or changing anything. */
async function refuseReadOnly(db: Db, config: Config): Promise<void> {
  const { rows } = await db.client.query<{ recovery: boolean; read_only: string }>(
    "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only",
  );
  const where = describeEndpoint(config.endpoint);
  if (rows[0]!.recovery) {
    throw new UserError(`The database at ${where} is a standby in recovery, which cannot be written; point database-url at the primary. Nothing was applied.`);
  }
  if (rows[0]!.read_only === 'on') {
    throw new UserError(
      `The session at ${where} is read-only (default_transaction_read_only is on for the database, the role, or in settings); ` +
        'use a writable database or role. Nothing was applied.',
    );
  }
}

/** apply: under the lock, read the state, back up if asked, then run each pending migration. */
async function apply(db: Db, config: Config, deps: RunDeps, progress: Progress): Promise<Status> {
  const { log, clock } = deps;
  const { pending } = await readState(db, config, deps, progress);
  const toRun = withinTarget(pending, config);
  if (userFiles(toRun).length === 0) {
    if (config.targetRevision !== undefined && progress.previous!.id > config.targetRevision) {
      log.info(`target-revision ${config.targetRevision} is below the applied revision ${progress.previous!.id}; migrations are never rolled back.`);
    }
    return 'up-to-date';
  }
  await refuseTransactionControl(toRun);
  await refuseReadOnly(db, config);

  if (config.backup) {
    const backup = config.backup;
    progress.backup = await log.group('Back up the database', async () => {
      const serverMajor = Math.floor((await db.info).serverVersion / 10_000);
      // Loaded only for a backup: it brings the process runner, which a run without a backup never needs.
      const { choosePgDump, execProgram, pgDumpCandidates, takeBackup } = await import('./migrations/backup.js');
      const exec = deps.exec ?? execProgram;
      const candidates = await pgDumpCandidates(backup.pgDumpPath);
      const pgDump = await choosePgDump(serverMajor, candidates, exec, backup.pgDumpPath ? 'pg-dump-path' : undefined);
      log.info(`Using ${pgDump.path} (${pgDump.version}) for a PostgreSQL ${serverMajor} server.`);
      const taken = await takeBackup({
        signal: deps.signal,
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
    }).catch(async (error: unknown) => {
      // Stopping pg_dump does not stop its server session's query: cancel that too.
      const name = (error as { applicationName?: unknown }).applicationName;
      if (typeof name === 'string') {
        await db.client.query('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]).catch(() => undefined);
      }
      throw error;
    });
    db.watch.assertAlive('while the backup was taken');
  }

  const session: MigrationSession = {
    lockPid: db.lockPid!,
    restoreSql: restoreSessionSql(config.settings, (await db.info).serverVersion),
    table: db.table!,
    role: config.settings.find((setting) => setting.name.toLowerCase() === 'role')?.value,
  };
  throwIfCancelled(deps, 'before the first migration; nothing was applied.');
  await log.group(`Apply ${userFiles(toRun).length} migration(s)`, async () => {
    for (const migration of toRun) {
      throwIfCancelled(deps, `before ${migration.label}: the ${progress.applied.length} migration(s) before it stay applied; nothing more is applied.`);
      db.watch.assertAlive(migration.id === 0 ? 'before the migrations table was created' : `before ${migration.label}`);
      const t0 = clock.now();
      log.info(migration.id === 0 ? 'Creating the migrations table ...' : `Applying ${migration.label}${migration.transaction ? '' : ' (without a transaction)'} ...`);
      db.current = migration.id === 0 ? 'the migrations table' : migration.label;
      const applied = () => {
        if (migration.id === 0) return;
        progress.revision = { id: migration.id, name: migration.name };
        progress.applied.push({ id: migration.id, fileName: migration.fileName, label: migration.label, durationMs: clock.now() - t0, transaction: migration.transaction });
      };
      try {
        await applyMigration(db.client, migration, { session, lockRetries: config.lockRetries, clock, log, signal: deps.signal });
      } catch (error) {
        // Committed before what failed: the report must say it is applied.
        if (error instanceof MigrationFailed && error.applied) applied();
        throw error;
      } finally {
        db.current = undefined;
      }
      const durationMs = clock.now() - t0;
      if (migration.id === 0) continue;
      applied();
      log.info(`Applied ${migration.label} in ${durationMs} ms.`);
    }
  });
  return 'applied';
}

/** baseline: under the lock, record ids 1..target-revision as applied without running them. */
async function baseline(db: Db, config: Config, deps: RunDeps, progress: Progress): Promise<Status> {
  const target = config.targetRevision!;
  const { rows, pending } = await readState(db, config, deps, progress);
  const beyond = rows.filter((r) => r.id > target);
  if (beyond.length > 0) {
    throw new UserError(
      `Cannot baseline at target-revision ${target}: the migrations table already has ${listed(beyond.map((r) => `${r.id} "${r.name}"`))} ` +
        'beyond it; baseline only adopts a database whose history stops at or below the target. Use apply instead, or a higher target-revision.',
    );
  }
  const toRecord = withinTarget(pending, config);
  await deps.log.group(`Record ${userFiles(toRecord).length} migration(s) as applied`, () => recordBaseline(db.client, toRecord));
  progress.baselined = userFiles(toRecord).map((f) => f.fileName);
  const last = progress.files!.find((f) => f.id === target)!;
  progress.revision = { id: last.id, name: last.name };
  deps.log.info(
    progress.baselined.length === 0
      ? `Nothing to record: ids 1..${target} were already recorded.`
      : `Recorded ${listed(progress.baselined)} without running them.`,
  );
  return 'baselined';
}

/**
 * Names for one log line or message: the first 20, then how many more (a plan of 100,000 files would
 * otherwise be a line of megabytes). Pure.
 */
export function listed(names: readonly string[], first = 20): string {
  if (names.length <= first) return names.join(', ');
  return `${names.slice(0, first).join(', ')} and ${names.length - first} more`;
}

export function describeRevision(revision: Revision | undefined): string {
  if (!revision) return 'unknown';
  return revision.id === NO_REVISION.id ? '0 (none)' : `${revision.id} (${revision.name})`;
}

function toRunError(error: unknown, lost: Error | undefined, command: Command): RunError {
  if (error instanceof UserError) {
    return {
      message: error.message,
      location: error.location,
      pg: error instanceof MigrationFailed ? error.pg : undefined,
      expected: true,
    };
  }
  // The lock connection ended outside a migration (reading the state, taking the backup).
  if (lost || isConnectionError(error)) {
    const holdsLock = command === 'apply' || command === 'baseline';
    return { message: lostConnection(lost ?? error, 'during the run', holdsLock).message, expected: true };
  }
  const code = (error as { code?: unknown }).code;
  // The file system (Node's errors carry the system call), not the database.
  if (typeof (error as { syscall?: unknown }).syscall === 'string') {
    return { message: `File system error ${String(code)}: ${messageOf(error)}; check the path and its permissions.`, expected: true };
  }
  // A database error outside a migration (e.g. permission denied on the migrations table).
  if (typeof code === 'string') {
    const { file, advice } = adviceFor(code);
    return { message: `Database error ${code}: ${messageOf(error)}${file ? '' : `. ${advice}`}`, expected: true };
  }
  return { message: `Unexpected error: ${messageOf(error)}`, expected: false };
}
