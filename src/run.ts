import type pg from 'pg';
import type { Clock } from './clock.js';
import path from 'node:path';
import { describeSettings, type BackupConfig, type Command, type Config, type Endpoint } from './config.js';
import { cancelRunningStatement, connectWithWait, describeEndpoint, startConnecting } from './db/connect.js';
import { acquireMigrationLock, releaseMigrationLock } from './db/lock.js';
import {
  isConnectionError,
  lostConnection,
  poolerError,
  probeSessionStability,
  watchConnection,
  type ConnectionWatch,
  type SessionInfo,
} from './db/session.js';
import { createEngine } from './engines/index.js';
import { engineApplicationName, engineSettings, engineUrl, runEngineProgram } from './engines/spawn.js';
import {
  EngineFailed,
  type AppliedEntry,
  type AppliedRecord,
  type Engine,
  type EngineContext,
  type EngineMigration,
  type EngineRevision,
  type EngineState,
  type RollbackPlan,
} from './engines/types.js';
import { Cancelled, UserError, listed, messageOf, oneLine, type FileLocation } from './errors.js';
import type { Log } from './log.js';
import { MigrationFailed, applySessionSettings, applySettings } from './migrations/apply.js';
import type { Backup, Exec } from './migrations/backup.js';
import { adviceFor, type PgErrorFields } from './migrations/failure.js';
import { pruneBackups } from './migrations/retention.js';
import type { LoadOptions } from './migrations/files.js';
import type { MigrationReview } from './review/describe.js';
import type { Finding } from './review/rules.js';
import type { ShadowReport } from './review/shadow.js';

export type Status = 'applied' | 'up-to-date' | 'pending' | 'baselined' | 'rolled-back' | 'failed';
export type { AppliedEntry, AppliedRecord, EngineMigration as PlannedEntry, EngineRevision as Revision };

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
  /** The engine that ran (undefined when the inputs were invalid). */
  readonly engine?: string;
  readonly status: Status;
  readonly endpoint?: Endpoint;
  /** Undefined when the database was never read (e.g. invalid input, unreachable server). */
  readonly previous?: EngineRevision;
  readonly revision?: EngineRevision;
  readonly applied: readonly AppliedEntry[];
  /** plan/check/status: what apply would run (up to target-revision). */
  readonly planned?: readonly EngineMigration[];
  /** plan, check and apply (lint not off): each pending migration's statements, their locks and the tables' sizes. */
  readonly review?: readonly MigrationReview[];
  /** The review's findings, silenced ones included (with their reason). */
  readonly findings?: readonly Finding[];
  /** plan and check with shadow-database-url: each pending statement as it ran on a copy of the schema. */
  readonly shadow?: ShadowReport;
  /** rollback: what was undone (or, for a dry run, nothing), the latest first. */
  readonly rolledBack?: readonly AppliedEntry[];
  /** rollback with dry-run: what would be undone, with each down SQL and what it drops. */
  readonly undo?: readonly PlannedUndo[];
  /** Older dumps removed after the backup (backup-retention). */
  readonly backupsRemoved?: readonly string[];
  /** status: what the database records as applied. */
  readonly history?: readonly AppliedRecord[];
  /** baseline: file names recorded as applied without running them. */
  readonly baselined?: readonly string[];
  /** File names still pending after the run; undefined when unknown. */
  readonly pending?: readonly string[];
  readonly targetRevision?: string;
  readonly backup?: Backup;
  readonly error?: RunError;
  readonly durationMs: number;
}

/** One migration a rollback dry run would undo. */
export interface PlannedUndo {
  readonly migration: EngineMigration;
  /** What its down SQL drops ("table users", "column users.email"); undefined when it could not be parsed or is not known. */
  readonly drops?: readonly string[];
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
  /** The job's environment: where an engine's program is found, and what it inherits (without the inputs). */
  readonly env?: NodeJS.ProcessEnv;
}

function throwIfCancelled(deps: RunDeps, where: string): void {
  if (deps.signal?.aborted) throw new Cancelled(`The run was cancelled (${String(deps.signal.reason)}) ${where}`);
}

/** What a run knows so far; turned into a RunResult however the run ends. */
interface Progress {
  previous?: EngineRevision;
  revision?: EngineRevision;
  /** Pending when the state was read (every one, target or not). */
  pending?: readonly EngineMigration[];
  applied: AppliedEntry[];
  rolledBack: AppliedEntry[];
  planned?: readonly EngineMigration[];
  review?: readonly MigrationReview[];
  findings?: readonly Finding[];
  shadow?: ShadowReport;
  undo?: readonly PlannedUndo[];
  backupsRemoved?: readonly string[];
  history?: readonly AppliedRecord[];
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
}

/**
 * Run `config.command` with `config.engine`: validate files, wait for the database, then apply, plan,
 * check, status or baseline. Never throws: failures are part of the result.
 */
export async function runCommand(config: Config, deps: RunDeps): Promise<RunResult> {
  // What stops a tool's program: the run's cancellation, or the loss of the connection that holds our
  // lock (without it, the tool would migrate on unguarded: dbmate has no lock of its own).
  const stopTools = new AbortController();
  const cancelled = () => stopTools.abort(deps.signal!.reason);
  if (deps.signal?.aborted) cancelled();
  else deps.signal?.addEventListener('abort', cancelled, { once: true });
  const engine = createEngine(config, { log: deps.log, clock: deps.clock, signal: stopTools.signal, env: deps.env ?? process.env, workspace: config.workspace, load: deps.load });
  try {
    return await runWith(engine, config, deps, stopTools);
  } finally {
    deps.signal?.removeEventListener('abort', cancelled);
    await engine.close?.().catch((error: unknown) => deps.log.warning(`Stopping ${engine.name} failed: ${messageOf(error)}`));
  }
}

async function runWith(engine: Engine, config: Config, deps: RunDeps, stopTools: AbortController): Promise<RunResult> {
  const { clock, log } = deps;
  const started = clock.now();
  const progress: Progress = { applied: [], rolledBack: [] };
  const finish = (status: Status, error?: RunError): RunResult => {
    const done = new Set(progress.applied.map((a) => a.id));
    return {
      command: config.command,
      engine: config.engine,
      status,
      endpoint: config.endpoint,
      previous: progress.previous,
      revision: progress.revision,
      applied: progress.applied,
      planned: progress.planned,
      review: progress.review,
      findings: progress.findings,
      shadow: progress.shadow,
      rolledBack: progress.rolledBack,
      undo: progress.undo,
      backupsRemoved: progress.backupsRemoved,
      history: progress.history,
      baselined: progress.baselined,
      // What a rollback undid is pending again, before what already was (oldest first).
      pending:
        progress.pending && progress.revision
          ? [...progress.rolledBack.map((m) => m.fileName).reverse(), ...progress.pending.filter((m) => !done.has(m.id)).map((m) => m.fileName)]
          : undefined,
      targetRevision: config.targetRevision,
      backup: progress.backup,
      error,
      durationMs: clock.now() - started,
    };
  };

  const refusal = engine.unsupported[config.command];
  if (refusal) {
    return finish('failed', { message: `Command ${config.command} is not available for engine ${engine.name}: ${refusal}.`, expected: true });
  }

  // The first connection attempt starts now, and the server forks a backend and checks the password
  // while the files are read (they are read in slices that let it progress). Nothing is sent on it
  // before the files are valid; if they are not, it is closed unused.
  const early = startConnecting(config.databaseUrl, config.waitTimeoutMs, log);
  let watch: ConnectionWatch | undefined;
  try {
    await log.group('Validate migration files', async () => {
      const found = await engine.prepare();
      if (found) log.info(found);
    }).catch((error: unknown) => {
      early.abandon();
      throw error;
    });
    throwIfCancelled(deps, 'before it connected; nothing was applied.');

    const connected = await log.group(`Wait for the database (${describeEndpoint(config.endpoint)})`, () =>
      connectWithWait(config.databaseUrl, config.endpoint, config.waitTimeoutMs, clock, log, early.attempt, deps.signal),
    );
    const { client } = connected;
    watch = watchConnection(client);
    watch.onLost(() => stopTools.abort('the connection that holds the migration lock was lost'));
    const applicationName = engineApplicationName(engine.name);
    // A cancelled run stops the statement its session is running on the server (a migration is then
    // rolled back, a lock wait ends), and the statements of the engine's sessions, which outlive a
    // stopped program (a CREATE INDEX CONCURRENTLY would otherwise finish unrecorded).
    // While an engine's program runs, our own session is idle: a CancelRequest for it would instead
    // cancel the next statement it runs, which is the one that cancels the engine's sessions.
    let programsRunning = 0;
    const busy = async <T>(work: () => Promise<T>): Promise<T> => {
      programsRunning += 1;
      try {
        return await work();
      } finally {
        programsRunning -= 1;
      }
    };
    const cancel = () => {
      if (programsRunning > 0) void cancelEngineSessions(connected, applicationName);
      else void cancelRunningStatement(config.databaseUrl, client);
    };
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
      const encrypted = isEncrypted(client);
      const context = (): EngineContext => ({
        config,
        log,
        clock,
        // An engine that runs on our connection notices a lost connection itself; only a cancel stops it.
        signal: engine.runsOnRunConnection ? deps.signal : stopTools.signal,
        client,
        lockPid: db.lockPid,
        session: db.info,
        watch: db.watch,
        engineUrl: (extra, options) => engineUrl(config.databaseUrl, applicationName, encrypted, engineSettings(config.settings, options), extra),
        busy,
        spawn: (request) => busy(() => runEngineProgram(request, deps.env ?? process.env, log, stopTools.signal)),
        applied: (entry) => void progress.applied.push(entry),
        undone: (entry) => void progress.rolledBack.push(entry),
        current: (label) => void (db.current = label),
        revision: (revision) => {
          // The first revision the run learns is where the database was before it.
          progress.previous ??= revision;
          progress.revision = revision;
        },
        pending: (pending) => void (progress.pending = pending),
      });
      if (config.command === 'plan' || config.command === 'check' || config.command === 'status') {
        status = await plan(engine, context(), config, deps, progress);
      } else if (config.command === 'rollback' && config.dryRun) {
        status = await rollbackDryRun(engine, context(), config, deps, progress);
      } else {
        status = await withLock(engine, db, config, deps, progress, context, () =>
          config.command === 'baseline'
            ? baseline(engine, context(), config, deps, progress)
            : config.command === 'rollback'
              ? rollback(engine, db, context(), config, deps, progress)
              : apply(engine, db, context(), config, deps, progress),
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
    if (deps.signal?.aborted && !(error instanceof Cancelled) && !(error instanceof MigrationFailed) && !(error instanceof EngineFailed)) {
      // Whatever the cancellation broke (a lock wait, a read, the backup), the report says it was cancelled.
      const what = error instanceof UserError ? `: ${error.message}` : '';
      const applied = progress.applied.length;
      const undone = progress.rolledBack.length;
      const outcome =
        config.command === 'rollback'
          ? undone > 0
            ? `The ${undone} migration(s) undone before it stay undone; nothing more is undone.`
            : 'Nothing was rolled back.'
          : applied > 0
            ? `The ${applied} migration(s) applied before it stay applied; nothing more is applied.`
            : 'Nothing was applied.';
      return finish('failed', { message: `The run was cancelled (${String(deps.signal.reason)})${what}. ${outcome}`, expected: true });
    }
    if (error instanceof MigrationFailed || error instanceof EngineFailed) log.error(error.message, error.location);
    // What is applied could not be read after the tool ran: the outputs say nothing rather than guess.
    if (error instanceof EngineFailed && error.stateUnknown) progress.revision = progress.pending = undefined;
    const lost = watch?.lost();
    if (lost && error instanceof EngineFailed) {
      // The tool was stopped because our lock went with the connection: say that first.
      return finish('failed', { message: `${lostConnection(lost, `while ${engine.name} ran`).message} ${error.message}`, expected: true });
    }
    return finish('failed', toRunError(error, lost, config.command));
  }
}

/** Whether our own connection is encrypted: an engine is then told sslmode=require when the URL says nothing. */
function isEncrypted(client: pg.Client): boolean {
  const stream = (client as unknown as { connection?: { stream?: { encrypted?: boolean } } }).connection?.stream;
  return stream?.encrypted === true;
}

/** Cancel what the engine's sessions run on the server (found by the application_name given to the engine). */
async function cancelEngineSessions(connected: { client: pg.Client }, applicationName: string): Promise<void> {
  await connected.client
    .query('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [applicationName])
    .catch(() => undefined);
}

/** A log that says nothing: for the second connection of the pooler check. */
const silent: Log = { info: () => undefined, warning: () => undefined, error: () => undefined, group: (_, fn) => fn() };

/** Read the state, log it, and remember it in `progress`. */
async function readState(engine: Engine, ctx: EngineContext, purpose: 'plan' | 'apply', progress: Progress): Promise<EngineState> {
  const { log, config } = ctx;
  return log.group('Read applied migrations', async () => {
    if (!engine.runsOnRunConnection && config.settings.length > 0) {
      await applySessionSettings(ctx.client, config.settings, ctx.session);
      log.info(`Session settings (also given to ${engine.name}'s connections, in the URL's options): ${describeSettings(config.settings)}.`);
    }
    const state = await engine.readState(ctx, purpose);
    progress.previous = progress.revision = state.revision;
    progress.pending = state.pending;
    const names = state.pending.map((m) => m.fileName);
    log.info(
      `Database at revision ${describeRevision(state.revision)}; ${names.length} pending` +
        (names.length > 0 ? `: ${listed(names)}.` : '.') +
        (config.targetRevision !== undefined ? ` target-revision is ${config.targetRevision}.` : ''),
    );
    // Every name is in the log, in lines of 50 rather than one line of megabytes.
    if (names.length > 20) {
      for (let i = 0; i < names.length; i += 50) log.info(`Pending (${i + 1}–${Math.min(i + 50, names.length)} of ${names.length}): ${names.slice(i, i + 50).join(', ')}`);
    }
    return state;
  });
}

/** The state without the lock, for the report of a run that could not take it; logs nothing. */
async function readQuietly(engine: Engine, ctx: EngineContext, config: Config): Promise<EngineState> {
  if (!engine.runsOnRunConnection && config.settings.length > 0) await applySessionSettings(ctx.client, config.settings, ctx.session);
  return engine.readState(ctx, 'plan');
}

/** plan, check and status: read-only (no lock, no table created). */
async function plan(engine: Engine, ctx: EngineContext, config: Config, deps: RunDeps, progress: Progress): Promise<Status> {
  const state = await readState(engine, ctx, 'plan', progress);
  const planned = engine.within(state, config.targetRevision);
  await engine.checkBeforeApply?.(ctx, planned);
  progress.planned = planned;
  if (config.command === 'status') {
    progress.history = state.applied;
    deps.log.info(`${state.applied.length} applied${state.applied.length > 0 ? `, the last ${describeRevision(state.revision)}` : ''}; ${planned.length} pending.`);
  } else {
    deps.log.info(planned.length === 0 ? 'apply would do nothing.' : `apply would run: ${listed(planned.map((m) => m.fileName))}.`);
    await reviewPending(ctx, planned, config, deps, progress, 'the plan fails');
    await shadowRun(engine, ctx, planned, config, deps, progress);
  }
  return planned.length > 0 ? 'pending' : 'up-to-date';
}

/**
 * plan and check with shadow-database-url: the target's schema copied into the empty shadow database,
 * and the pending statements run there one by one, each prediction marked confirmed or mismatch; the
 * shadow is emptied again (review/shadow.ts). A statement that fails there fails the plan.
 */
async function shadowRun(engine: Engine, ctx: EngineContext, planned: readonly EngineMigration[], config: Config, deps: RunDeps, progress: Progress): Promise<void> {
  const { shadow } = config;
  if (shadow === undefined || planned.length === 0) return;
  const { log, clock } = deps;
  progress.shadow = await log.group(`Run the pending statements on a copy of the schema (${describeEndpoint(shadow.endpoint)})`, async () => {
    const { checkShadow, onShadowCopy, runOnShadow } = await import('./review/shadow.js');
    const { choosePgDump, dumpRows, dumpSchema, execProgram, pgDumpCandidates } = await import('./migrations/backup.js');
    const { fileLine, reviewMigrations } = await import('./review/index.js');
    const serverVersion = (await ctx.session).serverVersion;
    // With lint off there is no review yet: the shadow run needs the statements all the same.
    const reviews = progress.review ?? (await reviewMigrations(ctx.client, planned, serverVersion));
    const connected = await connectWithWait(shadow.url, shadow.endpoint, config.waitTimeoutMs, clock, log, undefined, deps.signal).catch((error: unknown) => {
      if (error instanceof Cancelled) throw error;
      throw new UserError(`The shadow database (shadow-database-url): ${messageOf(error)}`, { cause: error });
    });
    // A cancel stops the statement the shadow runs; the copy is then dropped as after any failure.
    const stop = () => void cancelRunningStatement(shadow.url, connected.client);
    deps.signal?.addEventListener('abort', stop, { once: true });
    try {
      await connected.session;
      await checkShadow(ctx.client, connected.client);
      const exec = deps.exec ?? execProgram;
      const explicit = shadow.pgDumpPath ? 'pg-dump-path' : undefined;
      const pgDump = await choosePgDump(Math.floor(serverVersion / 10_000), await pgDumpCandidates(shadow.pgDumpPath), exec, explicit, 'changed', 'The shadow run');
      const dump = await dumpSchema(config.databaseUrl, pgDump, exec, deps.signal);
      const applyOurSettings = (client: pg.Client) => applySettings(client, config.settings);
      const onLeftover = (objects: readonly string[]) =>
        log.warning(`The shadow database could not be emptied: it still has ${objects.join(', ')}. The next shadow run refuses it until they are dropped.`);
      const unknown = planned.find((m) => m.sql === undefined);
      if (unknown !== undefined && engine.stateTable !== undefined) {
        // Only the engine knows what such a migration runs: it applies the pending migrations on the copy
        // itself, from a copy of its state, in a run of its own (lock, state, apply) that targets the shadow.
        const rows = await dumpRows(config.databaseUrl, pgDump, exec, engine.stateTable, deps.signal);
        return await onShadowCopy(connected.client, [dump, rows], applyOurSettings, onLeftover, async (tables) => {
          const why = `the SQL of ${unknown.label} is known only when it runs`;
          log.info(`${why}: ${engine.name} itself applies the pending migrations on the copy (with a copy of ${engine.stateTable}), so their statements are not watched one by one.`);
          const inner = await runCommand(
            { ...config, command: 'apply', databaseUrl: shadow.url, endpoint: shadow.endpoint, shadow: undefined, backup: undefined, lint: 'off', summary: false },
            { ...deps, log: prefixed(log, 'shadow: ') },
          );
          if (inner.status === 'failed') {
            throw new UserError(
              `On a copy of the database's schema, ${engine.name} failed: ${inner.error?.message ?? 'no message'} The deploy would fail the same way; fix the migration. ` +
                "Nothing was changed: the target was only read, and the shadow is empty again (it had the target's schema, not its rows, roles or database settings).",
              { location: inner.error?.location },
            );
          }
          log.info(`${engine.name} applied ${inner.applied.length} migration(s) on the copy.`);
          return { shadow: describeEndpoint(shadow.endpoint), tables, statements: [], notRun: [], engineRun: { engine: engine.name, applied: inner.applied.length, why } };
        });
      }
      const report = await runOnShadow({
        shadow: connected.client,
        shadowLabel: describeEndpoint(shadow.endpoint),
        dump,
        reviews,
        applySettings: applyOurSettings,
        onLeftover,
        onStatement: ({ migration, statement, verdict, observed }) => {
          const line = fileLine(migration, statement.line);
          const where = `${migration.label}${line === undefined ? '' : `:${line}`} ${statement.kind}`;
          if (verdict.kind === 'mismatch') {
            log.warning(`${where} on the shadow: mismatch: ${verdict.detail} (the review's prediction is wrong here; the server's word counts).`, { file: migration.label, line });
          } else {
            log.info(`${where} on the shadow: ${verdict.kind === 'confirmed' ? `confirmed (${observed})` : `not observed: ${verdict.why}`}.`);
          }
        },
      });
      for (const { migration, why } of report.notRun) log.info(`${migration.label}: ${why}.`);
      log.info(`The shadow (${report.tables} tables copied) is empty again.`);
      return report;
    } finally {
      deps.signal?.removeEventListener('abort', stop);
      await connected.client.end().catch(() => undefined);
    }
  });
}

/** `log` with `prefix` before every line, and groups as plain lines (a group cannot hold another). */
function prefixed(log: Log, prefix: string): Log {
  return {
    info: (message) => log.info(`${prefix}${message}`),
    warning: (message, location) => log.warning(`${prefix}${message}`, location),
    error: (message, location) => log.warning(`${prefix}${message}`, location),
    group: async (title, fn) => {
      log.info(`${prefix}${title}`);
      return fn();
    },
  };
}

/** Words without which a migration has nothing the rules look for (see RULES in review/rules.ts). */
const MAY_HAVE_FINDINGS = /\b(alter|index|drop|update|delete|truncate|cluster|refresh|vacuum|lock|commit|rollback|begin|end|abort|prepare|start|savepoint|release|concurrently|rename)\b/i;

/**
 * The review of `pending` (input lint): what each statement will lock, with the tables' real sizes (read
 * only), and the rules' findings, as warnings or, with lint error, errors that stop the run before
 * anything changes. The parser loads only when something is pending and lint is not off.
 */
async function reviewPending(ctx: EngineContext, pending: readonly EngineMigration[], config: Config, deps: RunDeps, progress: Progress, nothing: string): Promise<void> {
  if (config.lint === 'off' || pending.length === 0) return;
  // Before apply only the findings matter, and no rule can find anything in SQL without one of these
  // words: then the parser (some 100 ms to load) is not loaded at all. plan shows every statement's locks.
  if (config.command === 'apply' && !pending.some((m) => m.sql !== undefined && MAY_HAVE_FINDINGS.test(m.sql))) return;
  const { log } = deps;
  let findings: Finding[];
  try {
    const { describeStatement, fileLine, reviewMigrations } = await import('./review/index.js');
    const { lintReviews } = await import('./review/rules.js');
    const { formatBytes } = await import('./report.js');
    const serverVersion = (await ctx.session).serverVersion;
    const reviews = await reviewMigrations(ctx.client, pending, serverVersion);
    progress.review = reviews;
    for (const review of reviews) {
      for (const statement of review.statements ?? []) {
        if (statement.locks.length === 0) continue;
        const line = fileLine(review.migration, statement.line);
        log.info(`${review.migration.label}${line === undefined ? '' : `:${line}`} ${statement.kind}: ${describeStatement(statement, formatBytes)}.`);
      }
    }
    findings = await lintReviews(reviews, { client: ctx.client, serverVersion, settings: config.settings, engine: config.engine });
  } catch (error) {
    // With lint error the review is a gate: one that cannot be made does not let the run through.
    if (config.lint === 'error') throw new UserError(`The review of the pending statements could not be made (${messageOf(error)}), and input lint is error: ${nothing}.`);
    log.warning(`The review of the pending statements could not be made: ${messageOf(error)}`);
    return;
  }
  progress.findings = findings;
  for (const finding of findings) {
    const location = { file: finding.file, line: finding.line };
    if (finding.ignored) log.info(`Silenced by a migrate-action:ignore comment (${finding.ignored}): ${finding.message}`);
    else if (config.lint === 'error') log.error(finding.message, location);
    else log.warning(finding.message, location);
  }
  const active = findings.filter((f) => !f.ignored);
  if (config.lint === 'error' && active.length > 0) {
    throw new UserError(
      `${active.length} review finding(s) (${listed([...new Set(active.map((f) => f.rule))])}) in ${listed([...new Set(active.map((f) => f.file))])}, and input lint is error: ` +
        `${nothing}. Rewrite them as the findings say, silence one with -- migrate-action:ignore <rule> <reason> on the line before it, or set lint: warn.`,
    );
  }
}

/**
 * Take the lock, run `body`, release the lock (always, unless the connection that held it is gone).
 * Behind a pooler the session is checked first: a lock on a session that others share is no lock.
 */
async function withLock(
  engine: Engine,
  db: Db,
  config: Config,
  deps: RunDeps,
  progress: Progress,
  context: () => EngineContext,
  body: () => Promise<Status>,
): Promise<Status> {
  const { log, clock } = deps;
  await log.group('Take the migration lock', async () => {
    const waitStart = clock.now();
    try {
      // Taken at once when the statement runs in the server process we connected to (a direct
      // connection); behind a proxy, nothing is taken until our statements are shown to stay in one
      // server session.
      const connectedTo = (db.client as pg.Client & { processID: number | null }).processID ?? -1;
      db.lockPid = await acquireMigrationLock(db.client, config.lockKey, config.lockWaitTimeoutMs, connectedTo);
      if (db.lockPid === undefined) {
        const info = await db.info;
        log.info('Something sits between us and the server (the process id it sent is not the backend\'s): checking that our statements stay in one server session.');
        await probeSessionStability(db.client, info, db.connectAgain);
        db.lockPid = await acquireMigrationLock(db.client, config.lockKey, config.lockWaitTimeoutMs);
      }
    } catch (error) {
      // Still report the revision that is really applied: read it without the lock, change nothing. After
      // a cancel, only on our own connection (a tool's program would be stopped at once).
      if (!deps.signal?.aborted || engine.runsOnRunConnection) {
        const state = await readQuietly(engine, context(), config).catch(() => undefined);
        if (state) {
          progress.previous = progress.revision = state.revision;
          progress.pending = state.pending;
        }
      }
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
    else await releaseMigrationLock(db.client, config.lockKey, db.lockPid!, log);
  }
}

/** Refuse a database that cannot be written before backing it up or changing anything. */
async function refuseReadOnly(db: Db, config: Config, what = 'applied'): Promise<void> {
  const { rows } = await db.client.query<{ recovery: boolean; read_only: string }>(
    "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only",
  );
  const where = describeEndpoint(config.endpoint);
  if (rows[0]!.recovery) {
    throw new UserError(`The database at ${where} is a standby in recovery, which cannot be written; point database-url at the primary. Nothing was ${what}.`);
  }
  if (rows[0]!.read_only === 'on') {
    throw new UserError(
      `The session at ${where} is read-only (default_transaction_read_only is on for the database, the role, or in settings); ` +
        `use a writable database or role. Nothing was ${what}.`,
    );
  }
}

/** apply: under the lock, read the state, back up if asked, then let the engine run what is pending. */
async function apply(engine: Engine, db: Db, ctx: EngineContext, config: Config, deps: RunDeps, progress: Progress): Promise<Status> {
  const { log } = deps;
  const state = await readState(engine, ctx, 'apply', progress);
  const toRun = engine.within(state, config.targetRevision);
  if (toRun.length === 0) {
    if (config.targetRevision !== undefined && state.revision.id !== config.targetRevision) {
      log.info(
        `target-revision ${config.targetRevision} is already applied (the database is at ${describeRevision(state.revision)}); apply never rolls migrations back.`,
      );
    }
    return 'up-to-date';
  }
  await engine.checkBeforeApply?.(ctx, toRun);
  await reviewPending(ctx, toRun, config, deps, progress, 'nothing was applied');
  await refuseReadOnly(db, config);

  await backUp(db, config, deps, state, progress);

  throwIfCancelled(deps, 'before the first migration; nothing was applied.');
  await log.group(`Apply ${toRun.length} migration(s)`, async () => {
    const after = await engine.apply(ctx, state, toRun);
    progress.revision = after.revision;
  });
  return 'applied';
}

/** The backup before a change, when config.backup asks for one; then backup-retention's clean-up. */
async function backUp(db: Db, config: Config, deps: RunDeps, state: EngineState, progress: Progress): Promise<void> {
  const { log, clock } = deps;
  if (config.backup) {
    const backup = config.backup;
    progress.backup = await log.group('Back up the database', async () => {
      const serverMajor = Math.floor((await db.info).serverVersion / 10_000);
      // Loaded only for a backup: it brings the process runner, which a run without a backup never needs.
      const { choosePgDump, dumpPrefix, execProgram, pgDumpCandidates, takeBackup } = await import('./migrations/backup.js');
      const exec = deps.exec ?? execProgram;
      const candidates = await pgDumpCandidates(backup.pgDumpPath);
      const undone = config.command === 'rollback' ? 'rolled back' : 'applied';
      const pgDump = await choosePgDump(serverMajor, candidates, exec, backup.pgDumpPath ? 'pg-dump-path' : undefined, undone);
      log.info(`Using ${pgDump.path} (${pgDump.version}) for a PostgreSQL ${serverMajor} server.`);
      const taken = await takeBackup({
        signal: deps.signal,
        databaseUrl: config.databaseUrl,
        database: dumpPrefix(config.endpoint),
        revision: state.revision.none ? '0' : state.revision.id,
        dir: backup.dir,
        format: backup.format,
        pgDump,
        clock,
        exec,
        undone,
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
    if (backup.retention) progress.backupsRemoved = await pruneOldBackups(backup, progress.backup!.path, config, deps);
  }
}

/**
 * What rolling back to target-revision undoes, logged; refused (nothing changed) when one of them has no
 * way back.
 */
async function planRollback(engine: Engine, ctx: EngineContext, state: EngineState, config: Config, withSql: boolean): Promise<RollbackPlan> {
  const { log } = ctx;
  const plan = await engine.rollbackPlan(ctx, state, config.rollback!, withSql);
  const names = plan.toUndo.map((m) => m.fileName);
  if (names.length === 0) {
    log.info(
      `Nothing to roll back: target-revision ${config.targetRevision} is at or above the applied revision, ${describeRevision(state.revision)}; nothing was changed.`,
    );
    return plan;
  }
  log.info(`Rolling back to ${describeRevision(plan.target)} undoes ${names.length} migration(s), the latest first: ${listed(names)}.`);
  if (plan.irreversible.length > 0) {
    throw new UserError(
      `Cannot roll back to ${describeRevision(plan.target)}: ${plan.irreversible.length} of the ${names.length} migration(s) to undo ${plan.irreversible.length === 1 ? 'has' : 'have'} no way back: ` +
        `${listed(plan.irreversible, 10)}. Add what is missing, or roll back less far. Nothing was changed.`,
    );
  }
  return plan;
}

/**
 * rollback: under the lock, read the state (a changed applied file stops the run there), refuse a range
 * with a migration that has no way back, back up (by default), then let the engine undo them one by one.
 */
async function rollback(engine: Engine, db: Db, ctx: EngineContext, config: Config, deps: RunDeps, progress: Progress): Promise<Status> {
  const state = await readState(engine, ctx, 'apply', progress);
  const plan = await planRollback(engine, ctx, state, config, false);
  if (plan.toUndo.length === 0) return 'up-to-date';
  await refuseReadOnly(db, config, 'rolled back');
  await backUp(db, config, deps, state, progress);
  throwIfCancelled(deps, 'before the first migration was undone; nothing was rolled back.');
  await deps.log.group(`Roll back ${plan.toUndo.length} migration(s)`, async () => {
    const after = await engine.rollback(ctx, state, plan);
    progress.revision = after.revision;
  });
  return 'rolled-back';
}

/** rollback with dry-run: what would be undone, each down SQL and what it drops; no lock, no change. */
async function rollbackDryRun(engine: Engine, ctx: EngineContext, config: Config, deps: RunDeps, progress: Progress): Promise<Status> {
  const state = await readState(engine, ctx, 'plan', progress);
  const plan = await planRollback(engine, ctx, state, config, true);
  // Loaded only for a dry run: the grammar's reader is not needed by any other run.
  const { describeDrops } = await import('./migrations/drops.js');
  progress.undo = await Promise.all(plan.toUndo.map(async (migration) => ({ migration, drops: migration.sql === undefined ? undefined : await describeDrops(migration.sql) })));
  for (const { migration, drops } of progress.undo) {
    const what = drops === undefined ? (migration.sql === undefined ? 'its SQL is known only when it runs' : 'its SQL could not be parsed') : drops.length === 0 ? 'drops nothing' : `drops ${listed(drops, 20)}`;
    deps.log.info(`Would undo ${migration.label}: ${what}.`);
  }
  if (plan.toUndo.length > 0) deps.log.info('Dry run: nothing was changed and no lock was taken.');
  return plan.toUndo.length > 0 ? 'pending' : 'up-to-date';
}

/** backup-retention: remove older dumps of this database; a failure here is a warning (the backup is taken). */
async function pruneOldBackups(backup: BackupConfig, keep: string, config: Config, deps: RunDeps): Promise<string[]> {
  const retention = backup.retention!;
  try {
    const { dumpPrefix } = await import('./migrations/backup.js');
    const result = await pruneBackups({ dir: backup.dir, database: dumpPrefix(config.endpoint), keep, retention, now: deps.clock.now() });
    const names = result.removed.map((file) => path.basename(file));
    deps.log.info(
      names.length > 0
        ? `backup-retention ${retention.text}: removed ${names.length} older dump(s) of ${config.endpoint.database}: ${listed(names)}.`
        : `backup-retention ${retention.text}: no older dump of ${config.endpoint.database} to remove (${result.kept} kept).`,
    );
    for (const failed of result.failed) deps.log.warning(`backup-retention: could not remove ${failed.path}: ${failed.reason}.`);
    return result.removed;
  } catch (error) {
    deps.log.warning(`backup-retention ${retention.text}: older dumps were not removed: ${messageOf(error)}`);
    return [];
  }
}

/** baseline: under the lock, record the migrations up to target-revision as applied without running them. */
async function baseline(engine: Engine, ctx: EngineContext, config: Config, deps: RunDeps, progress: Progress): Promise<Status> {
  const state = await readState(engine, ctx, 'apply', progress);
  const toRecord = engine.within(state, config.targetRevision);
  const after = await deps.log.group(`Record ${toRecord.length} migration(s) as applied`, () => engine.baseline!(ctx, state, toRecord));
  progress.baselined = toRecord.map((m) => m.fileName);
  progress.pending = after.pending;
  progress.revision = after.revision;
  deps.log.info(
    progress.baselined.length === 0
      ? `Nothing to record: everything up to ${config.targetRevision} was already recorded.`
      : `Recorded ${listed(progress.baselined)} without running them.`,
  );
  return 'baselined';
}


export function describeRevision(revision: EngineRevision | undefined): string {
  if (!revision) return 'unknown';
  if (revision.none) return revision.id === '' ? 'none' : `${revision.id} (none)`;
  return revision.name === '' ? revision.id : `${revision.id} (${revision.name})`;
}

function toRunError(error: unknown, lost: Error | undefined, command: Command): RunError {
  if (error instanceof UserError) {
    return {
      message: error.message,
      location: error.location,
      pg: error instanceof MigrationFailed ? error.pg : error instanceof EngineFailed && error.code ? { code: error.code, message: error.message } : undefined,
      expected: true,
    };
  }
  // The lock connection ended outside a migration (reading the state, taking the backup).
  if (lost || isConnectionError(error)) {
    const holdsLock = command === 'apply' || command === 'baseline' || command === 'rollback';
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
