import type { Config } from '../config.js';
import { MAX_MIGRATION_ID, describeSettings } from '../config.js';
import { restoreSessionSql } from '../db/session.js';
import { Cancelled, UserError } from '../errors.js';
import { MigrationFailed, applyMigration, applySessionSettings, executableSql, type MigrationSession } from '../migrations/apply.js';
import { DOWN_DIR, loadDownFiles, loadMigrations, tableMigration, type LoadOptions, type MigrationFile } from '../migrations/files.js';
import { NO_REVISION, pendingMigrations, readAppliedState, recordBaseline, revisionOf, type AppliedRow, type Revision } from '../migrations/state.js';
import { findTransactionEnd } from '../migrations/transaction-control.js';
import { hasStatements, linearUndo } from './rollback.js';
import type { Engine, EngineContext, EngineMigration, EngineRevision, EngineState } from './types.js';

/** postgres-migrations' revision as the frame sees it: the id as text, `0` when none. Pure. */
export function nativeRevision(revision: Revision): EngineRevision {
  return { id: String(revision.id), name: revision.name, none: revision.id === NO_REVISION.id };
}

function toMigration(file: MigrationFile): EngineMigration {
  return {
    id: String(file.id),
    name: file.name,
    fileName: file.fileName,
    label: file.label,
    sql: file.sql,
    sqlLine: file.kind === 'sql' ? 1 : undefined,
    transaction: file.transaction,
  };
}

/**
 * The built-in engine: postgres-migrations' files and table, byte-compatible, run on the run's own
 * connection (the one that holds the lock), each migration in one transaction with its row.
 */
export function postgresMigrationsEngine(config: Config, load?: LoadOptions): Engine {
  let files: MigrationFile[] = [];
  const byId = new Map<string, MigrationFile>();
  let rows: AppliedRow[] = [];
  /** The migrations table with its schema, once read; undefined until then. */
  let table: string | undefined;
  let tableExists = false;

  const target = (): number | undefined => {
    if (config.targetRevision === undefined) return undefined;
    const id = /^\d+$/.test(config.targetRevision) ? Number(config.targetRevision) : NaN;
    if (!Number.isSafeInteger(id) || id < 1 || id > MAX_MIGRATION_ID) {
      throw new UserError(
        `Input target-revision "${config.targetRevision.slice(0, 40)}" is not a migration id; use the number at the start of a file name, from 1 to ${MAX_MIGRATION_ID} (0 means no migration).`,
      );
    }
    return id;
  };

  /** The session migrations and undos run in, on the run's connection that holds the lock. */
  async function migrationSession(ctx: EngineContext): Promise<MigrationSession> {
    return {
      lockPid: ctx.lockPid!,
      restoreSql: restoreSessionSql(config.settings, (await ctx.session).serverVersion),
      table: table!,
      role: config.settings.find((setting) => setting.name.toLowerCase() === 'role')?.value,
    };
  }

  /** The down files of the last rollback plan, by id. */
  const downs = new Map<string, MigrationFile>();

  /** A transactional file must not end the transaction it runs in (see checkBeforeApply). */
  async function refuseTransactionEnd(file: MigrationFile, what: string, fix: string): Promise<void> {
    if (!file.transaction) return;
    const found = await findTransactionEnd(executableSql(file));
    if (!found) return;
    throw new UserError(
      `${what} ${file.label} ends the transaction it runs in: "${found.statement}" at line ${found.line}. Each ${what.toLowerCase()} runs in ` +
        `one transaction together with its row in the migrations table, so this would commit or undo part of the file on its own. ${fix}`,
      { location: { file: file.label, line: found.line } },
    );
  }

  async function readState(ctx: EngineContext, purpose: 'plan' | 'apply'): Promise<EngineState> {
    const { client, log } = ctx;
    // plan, check and status read in a READ ONLY transaction: nothing they run can change the database.
    if (purpose === 'plan') await client.query('BEGIN READ ONLY');
    try {
      // Settings first: a search_path among them decides which `migrations` table is read and written.
      if (config.settings.length > 0) {
        await applySessionSettings(client, config.settings, ctx.session);
        log.info(`Session settings: ${describeSettings(config.settings)}.`);
      }
      const state = await readAppliedState(client, files, ctx.lockPid);
      rows = state.rows;
      table = state.table;
    } finally {
      if (purpose === 'plan') await client.query('ROLLBACK').catch(() => undefined);
    }
    // Known before the files are compared with the rows: a drift refusal still reports the revision.
    const revision = nativeRevision(revisionOf(rows));
    ctx.revision(revision);
    // Also what is pending by id, should the comparison below refuse (drift): the report still lists it.
    const head = Number(revision.id);
    ctx.pending(files.filter((f) => f.id > head).map(toMigration));
    const pending = pendingMigrations(files, rows, config.migrationsDirLabel);
    tableExists = !pending.some((f) => f.id === 0);
    // status shows when each was applied: read only then (the usual read sends a digest, not the rows).
    const executedAt = new Map<number, string>();
    if (config.command === 'status' && tableExists) {
      const { rows: times } = await client.query<{ id: number; at: Date | null }>(`SELECT id, executed_at::timestamptz AS at FROM ${table!}`);
      for (const { id, at } of times) if (at) executedAt.set(id, at.toISOString());
    }
    return {
      revision,
      applied: rows
        .filter((r) => r.id > 0)
        .map((r) => ({ id: String(r.id), name: r.name, fileName: byId.get(String(r.id))?.fileName ?? r.name, appliedAt: executedAt.get(r.id) })),
      pending: pending.filter((f) => f.id > 0).map(toMigration),
    };
  }

  return {
    name: 'postgres-migrations',
    runsOnRunConnection: true,
    unsupported: {},

    async prepare() {
      // rollback reads its target itself (0, base, -N or an applied id): see rollbackPlan.
      const wanted = config.command === 'rollback' ? undefined : target();
      files = await loadMigrations(config.migrationsDir, config.migrationsDirLabel, load);
      for (const file of files) byId.set(String(file.id), file);
      const last = files[files.length - 1]!;
      if (wanted !== undefined && wanted > last.id) {
        throw new UserError(
          `Input target-revision ${wanted} is beyond the last migration file, ${last.label} (id ${last.id}); ` +
            `use an id from 1 to ${last.id}, or add the missing files.`,
        );
      }
      return `${files.length - 1} migration files in ${config.migrationsDirLabel}, ids 1..${last.id}.`;
    },

    readState,

    within(state, _target) {
      const wanted = target();
      return wanted === undefined ? state.pending : state.pending.filter((m) => Number(m.id) <= wanted);
    },

    /**
     * A transactional migration must not end the transaction it runs in: its SQL and its row would no
     * longer commit together. Refused before anything runs, naming the file, the line and the statement.
     */
    async checkBeforeApply(_ctx, toRun) {
      for (const migration of toRun) {
        await refuseTransactionEnd(
          byId.get(migration.id)!,
          'Migration',
          'Remove the statement, or, if the file must control transactions itself, mark it with -- postgres-migrations disable-transaction. Nothing was applied.',
        );
      }
    },

    async apply(ctx, state, toRun) {
      const { client, clock, log } = ctx;
      const session = await migrationSession(ctx);
      const run = [...(tableExists ? [] : [tableMigration()]), ...toRun.map((m) => byId.get(m.id)!)];
      let appliedCount = 0;
      for (const migration of run) {
        if (ctx.signal?.aborted) {
          throw new Cancelled(
            `The run was cancelled (${String(ctx.signal.reason)}) before ${migration.label}: the ${appliedCount} migration(s) before it stay applied; nothing more is applied.`,
          );
        }
        ctx.watch.assertAlive(migration.id === 0 ? 'before the migrations table was created' : `before ${migration.label}`);
        const t0 = clock.now();
        log.info(migration.id === 0 ? 'Creating the migrations table ...' : `Applying ${migration.label}${migration.transaction ? '' : ' (without a transaction)'} ...`);
        ctx.current(migration.id === 0 ? 'the migrations table' : migration.label);
        const applied = () => {
          if (migration.id === 0) return;
          appliedCount += 1;
          ctx.applied({ id: String(migration.id), fileName: migration.fileName, label: migration.label, durationMs: clock.now() - t0, transaction: migration.transaction });
          ctx.revision(nativeRevision({ id: migration.id, name: migration.name }));
        };
        try {
          await applyMigration(client, migration, { session, lockRetries: config.lockRetries, clock, log, signal: ctx.signal });
        } catch (error) {
          // Committed before what failed: the report must say it is applied.
          if (error instanceof MigrationFailed && error.applied) applied();
          throw error;
        } finally {
          ctx.current(undefined);
        }
        if (migration.id === 0) {
          tableExists = true;
          continue;
        }
        applied();
        log.info(`Applied ${migration.label} in ${clock.now() - t0} ms.`);
      }
      const done = new Set(toRun.map((m) => m.id));
      const last = toRun[toRun.length - 1];
      return {
        revision: last ? nativeRevision({ id: Number(last.id), name: last.name }) : state.revision,
        applied: [...state.applied, ...toRun.map((m) => ({ id: m.id, name: m.name, fileName: m.fileName }))],
        pending: state.pending.filter((m) => !done.has(m.id)),
      };
    },

    /** Down files: `<migrations-dir>/down/<the up file's name>`; an up file without one has no way back. */
    async rollbackPlan(_ctx, state, wanted) {
      const { undo, stays } = linearUndo(state, wanted, {
        where: config.migrationsDirLabel,
        idHint: 'the number at the start of a file name',
      });
      const ups = undo.map((record) => byId.get(record.id)!);
      const found = await loadDownFiles(config.migrationsDir, config.migrationsDirLabel, ups, load);
      downs.clear();
      const irreversible: string[] = [];
      for (const up of ups) {
        const down = found.get(up.id);
        if (!down) irreversible.push(`${up.label} (no ${config.migrationsDirLabel}/${DOWN_DIR}/${up.fileName})`);
        else if (!hasStatements(executableSql(down))) irreversible.push(`${up.label} (${down.label} has no statement)`);
        else downs.set(String(up.id), down);
      }
      for (const down of downs.values()) {
        await refuseTransactionEnd(
          down,
          'Down file',
          'Remove the statement, or, if the file must control transactions itself, mark it with -- postgres-migrations disable-transaction. Nothing was changed.',
        );
      }
      return {
        toUndo: ups.map((up) => {
          const down = downs.get(String(up.id));
          return { id: String(up.id), name: up.name, fileName: up.fileName, label: down?.label ?? up.label, sql: down?.sql, transaction: down?.transaction };
        }),
        target: stays ? nativeRevision({ id: Number(stays.id), name: stays.name }) : nativeRevision(NO_REVISION),
        irreversible,
      };
    },

    async rollback(ctx, state, plan) {
      const { client, clock, log } = ctx;
      // Loaded only for a rollback.
      const { undoMigration } = await import('../migrations/undo.js');
      const session = await migrationSession(ctx);
      let revision = state.revision;
      let undone = 0;
      for (const [index, migration] of plan.toUndo.entries()) {
        const down = downs.get(migration.id)!;
        const now = `${undone} migration(s) undone before it stay undone; the database is at revision ${revision.id}`;
        if (ctx.signal?.aborted) {
          throw new Cancelled(`The run was cancelled (${String(ctx.signal.reason)}) before ${down.label}: ${now}; nothing more is undone.`);
        }
        ctx.watch.assertAlive(`before ${down.label}`);
        const t0 = clock.now();
        log.info(`Undoing ${migration.fileName} with ${down.label}${down.transaction ? '' : ' (without a transaction)'} ...`);
        ctx.current(down.label);
        try {
          await undoMigration(client, down, session, { now, signal: ctx.signal });
        } finally {
          ctx.current(undefined);
        }
        undone += 1;
        const next = plan.toUndo[index + 1];
        revision = next ? nativeRevision({ id: Number(next.id), name: next.name }) : plan.target;
        ctx.undone({ id: migration.id, fileName: migration.fileName, label: down.label, durationMs: clock.now() - t0, transaction: down.transaction });
        ctx.revision(revision);
        log.info(`Undid ${migration.fileName} in ${clock.now() - t0} ms; the database is at revision ${revision.id}.`);
      }
      const gone = new Set(plan.toUndo.map((m) => m.id));
      return {
        revision,
        applied: state.applied.filter((record) => !gone.has(record.id)),
        pending: [...plan.toUndo.map((m) => toMigration(byId.get(m.id)!)).reverse(), ...state.pending],
      };
    },

    /** Record ids 1..target-revision as applied without running them. */
    async baseline(ctx, state, toRecord) {
      const wanted = target()!;
      const beyond = rows.filter((r) => r.id > wanted);
      if (beyond.length > 0) {
        throw new UserError(
          `Cannot baseline at target-revision ${wanted}: the migrations table already has ${beyond
            .slice(0, 20)
            .map((r) => `${r.id} "${r.name}"`)
            .join(', ')}${beyond.length > 20 ? ` and ${beyond.length - 20} more` : ''} ` +
            'beyond it; baseline only adopts a database whose history stops at or below the target. Use apply instead, or a higher target-revision.',
        );
      }
      const record = [...(tableExists ? [] : [tableMigration()]), ...toRecord.map((m) => byId.get(m.id)!)];
      await recordBaseline(ctx.client, record);
      tableExists = true;
      const last = byId.get(String(wanted))!;
      const done = new Set(toRecord.map((m) => m.id));
      return {
        revision: nativeRevision({ id: last.id, name: last.name }),
        applied: [...state.applied, ...toRecord.map((m) => ({ id: m.id, name: m.name, fileName: m.fileName }))],
        pending: state.pending.filter((m) => !done.has(m.id)),
      };
    },
  };
}
